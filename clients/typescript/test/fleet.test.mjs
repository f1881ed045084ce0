// The client against a real fleet (capsule up): the cases of the Java CapsuleClient's tests.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import kafkajs from "kafkajs";
import { CapsuleTimeout, Client, TaskCancelled, TaskFailed, closeAll, raiseForError, run } from "../dist/index.js";
import {
  ECHO_TS, FAIL_JS, HELLO_TS, HELLO_WASM, NO_FLEET, SERVERS, SLEEP_WASM, SPIN_WASM, SUBTASKS_JS, TRAP_WASM, WAIT_MS,
  header, records, until,
} from "./support.mjs";

const { Kafka, Partitioners, logLevel } = kafkajs;

describe("fleet", { skip: NO_FLEET }, () => {
  let client;
  before(async () => {
    client = await Client.connect({ bootstrapServers: SERVERS });
  });
  after(async () => {
    await client?.close();
    await closeAll();
  });

  test("a module succeeds on each level and runs on that level's pool", async () => {
    for (const level of ["LOW", "MEDIUM", "HIGH"]) {
      const envelope = await client.run({ file: HELLO_WASM, compute: level, waitMs: WAIT_MS });
      assert.equal(envelope.success, true, JSON.stringify(envelope));
      assert.equal(envelope.result.name, "world");
      assert.equal(envelope.worker, `up-${level.toLowerCase()}`);
      assert.equal(envelope.execution.retries, 0);
    }
  });

  test("run() takes the cluster from the environment and routes custom fuel", async () => {
    const envelope = await run({ file: HELLO_WASM, compute: 5_000_000, waitMs: WAIT_MS });
    assert.equal(envelope.success, true, JSON.stringify(envelope));
    assert.equal(envelope.worker, "up-low");
  });

  test("a TypeScript task file runs on the level it declares", async () => {
    const envelope = await client.run({ file: HELLO_TS, waitMs: WAIT_MS });
    assert.equal(envelope.result, "Hello from Capsule!", JSON.stringify(envelope));
    assert.equal(envelope.worker, "up-low");
  });

  test("arguments reach the task as JSON values", async () => {
    const envelope = await client.run({ file: ECHO_TS, args: ["Ada", 3, { k: true }], waitMs: WAIT_MS });
    assert.deepEqual(envelope.result.args, ["Ada", 3, { k: true }], JSON.stringify(envelope));
  });

  test("sub-tasks run as child requests and return their results", async () => {
    const envelope = await client.run({ file: SUBTASKS_JS, args: [3, 4], waitMs: WAIT_MS });
    assert.deepEqual(envelope.result, { doubled: [6, 8] }, JSON.stringify(envelope));
    const children = (await records("capsule.events")).filter((r) => r.key?.toString().startsWith(`${envelope.task_id}/`));
    assert.ok(children.length > 0, "the children's ids start with the parent's");
    for (const child of children) assert.equal(JSON.parse(child.value.toString()).parent_id, envelope.task_id);
  });

  test("fuel_exhausted is a failed envelope carrying its error type", async () => {
    const envelope = await client.run({ file: SPIN_WASM, compute: "LOW", waitMs: WAIT_MS });
    assert.equal(envelope.success, false);
    assert.equal(envelope.error.error_type, "fuel_exhausted");
    assert.equal(envelope.execution.fuel_consumed, 100_000_000);
    assert.throws(() => raiseForError(envelope), (e) => e instanceof TaskFailed && e.errorType === "fuel_exhausted" && e.envelope === envelope);
  });

  test("each failure type reaches the caller with its error type", async () => {
    const cases = [
      ["wasm_error", TRAP_WASM, {}],
      // over the operator's ceiling of capsule up: no variables, a 15m timeout at most
      ["permission_denied", HELLO_WASM, { envVariables: ["DB_PASSWORD"] }],
      ["invalid_request", HELLO_WASM, { timeout: "2400h" }],
    ];
    for (const [type, file, options] of cases) {
      const envelope = await client.run({ file, compute: "LOW", waitMs: WAIT_MS, ...options });
      assert.equal(envelope.error?.error_type, type, JSON.stringify(envelope));
      assert.throws(() => raiseForError(envelope), (e) => e instanceof TaskFailed && e.errorType === type);
    }
  });

  test("a failing task is retried as asked and reports the retries made", async () => {
    const envelope = await client.run({ file: FAIL_JS, args: ["no network"], maxRetries: 1, waitMs: WAIT_MS });
    assert.equal(envelope.error.error_type, "task_error");
    assert.match(envelope.error.message, /tool failed: no network/);
    assert.equal(envelope.execution.retries, 1);
  });

  test("cancel stops a running task and its waiter learns it", async () => {
    const handle = await client.submit({ file: SLEEP_WASM, compute: "LOW", timeout: "2m" });
    const waiter = handle.result(WAIT_MS);
    waiter.catch(() => undefined);
    await until(async () => (await client.status(handle.id))?.state === "running");
    assert.equal(await client.cancel(handle.id), true);
    await assert.rejects(waiter, TaskCancelled);
    assert.equal((await client.status(handle.id)).state, "cancelled");
    assert.equal(await client.cancel(handle.id), false);
    await assert.rejects(client.wait(handle.id, 5000), TaskCancelled);
  });

  test("a bounded wait rejects with CapsuleTimeout and the task runs on", async () => {
    const handle = await client.submit({ file: SLEEP_WASM, compute: "LOW", timeout: "1m" });
    await assert.rejects(handle.result(500), (e) => e instanceof CapsuleTimeout && e.taskId === handle.id);
    assert.ok(["queued", "running"].includes((await client.status(handle.id)).state));
    assert.equal(await client.cancel(handle.id), true); // frees its slot for the other tests
  });

  test("a large script is uploaded once by hash and runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capsule-large-"));
    const file = join(dir, "large.js");
    const source = `// run ${randomUUID()}\n` + 'import { task } from "@capsule-run/sdk";\n' + ("// " + "y".repeat(100) + "\n").repeat(700) +
      'export const main = task({ name: "main", compute: "LOW" }, (n) => ({ big: true, n }));\n';
    writeFileSync(file, source);
    try {
      const first = await client.run({ file, args: [1], waitMs: WAIT_MS });
      const second = await client.run({ file, args: [2], waitMs: WAIT_MS });
      assert.deepEqual([first.result, second.result], [{ big: true, n: 1 }, { big: true, n: 2 }], JSON.stringify(first));
      const digest = createHash("sha256").update(source).digest("hex");
      const uploads = await records("capsule.modules", digest);
      assert.equal(uploads.length, 1, "one upload for two tasks");
      assert.equal(uploads[0].value.toString(), source);
      assert.equal(header(uploads[0], "capsule-schema"), "capsule.module/v1");
      const [request] = await records("capsule.tasks.low", first.task_id);
      assert.deepEqual(JSON.parse(request.value.toString()).script, { file_name: "large.js", sha256: digest });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("records carry the contract's key, headers and a queued event first", async () => {
    const envelope = await client.run({ file: HELLO_WASM, compute: "LOW", waitMs: WAIT_MS });
    const [request] = await records("capsule.tasks.low", envelope.task_id);
    assert.equal(header(request, "capsule-schema"), "capsule.task/v1");
    assert.equal(header(request, "capsule-task-id"), envelope.task_id);
    assert.match(header(request, "traceparent"), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const events = await records("capsule.events", envelope.task_id);
    assert.equal(new Set(events.map((e) => e.partition)).size, 1, "queued and the worker's events share a partition");
    assert.equal(JSON.parse(events[0].value.toString()).state, "queued");
    const status = await client.status(envelope.task_id);
    assert.equal(status.state, "succeeded");
    assert.deepEqual(status.envelope.result, envelope.result);
  });

  test("malformed records on the reply and events topics are skipped", async () => {
    const handle = await client.submit({ file: SLEEP_WASM, compute: "LOW", timeout: "1m" });
    const waiter = handle.result(WAIT_MS);
    waiter.catch(() => undefined);
    const kafka = new Kafka({ brokers: SERVERS.split(","), clientId: "hostile", logLevel: logLevel.ERROR });
    const hostile = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await hostile.connect();
    for (const [topic, value] of [
      ["capsule.results", "\xff not json"], ["capsule.results", "[1, 2]"], ["capsule.results", '{"no": "success field"}'],
      ["capsule.results", "[".repeat(100_000)], ["capsule.events", '{"state": "failed", "envelope": "not an object"'],
      ["capsule.events", "[".repeat(100_000)],
    ]) {
      await hostile.send({ topic, messages: [{ key: handle.id, value }] });
    }
    await hostile.disconnect();
    assert.equal(await client.cancel(handle.id), true);
    await assert.rejects(waiter, TaskCancelled);
    const envelope = await client.run({ file: HELLO_WASM, compute: "LOW", waitMs: WAIT_MS });
    assert.equal(envelope.success, true, "the reader still reads after the hostile records");
  });

  test("status of an unknown task is null and waiting for it times out", async () => {
    assert.equal(await client.status(`no-such-task-${randomUUID()}`), null);
    await assert.rejects(client.wait("no-such-task", 300), CapsuleTimeout);
  });

  test("another client waits for a task that finished before it started", async () => {
    const envelope = await client.run({ file: HELLO_WASM, compute: "LOW", waitMs: WAIT_MS });
    const late = await Client.connect({ bootstrapServers: SERVERS });
    try {
      assert.deepEqual((await late.wait(envelope.task_id, WAIT_MS)).result, envelope.result);
    } finally {
      await late.close();
    }
  });

  test("a private reply topic gets the replies", async () => {
    const topic = `capsule.replies.${randomUUID().slice(0, 8)}`;
    const priv = await Client.connect({ bootstrapServers: SERVERS, replyTopic: topic });
    try {
      const envelope = await priv.run({ file: HELLO_WASM, compute: "LOW", waitMs: WAIT_MS });
      assert.equal(envelope.success, true, JSON.stringify(envelope));
      assert.equal((await records(topic, envelope.task_id)).length, 1);
    } finally {
      await priv.close();
    }
  });

  test("one hundred mixed tasks get one hundred correct envelopes", async () => {
    const kinds = Array.from({ length: 100 }, (_, i) => (i % 10 < 5 ? "wasm" : i % 10 < 8 ? "ts" : i % 10 === 8 ? "spin" : "fail"));
    const one = (i, kind) => {
      if (kind === "wasm") return client.run({ file: HELLO_WASM, compute: ["LOW", "MEDIUM", "HIGH"][i % 3], waitMs: WAIT_MS * 2 });
      if (kind === "ts") return client.run({ file: ECHO_TS, args: [i], waitMs: WAIT_MS * 2 });
      if (kind === "spin") return client.run({ file: SPIN_WASM, compute: 1_000_000, waitMs: WAIT_MS * 2 });
      return client.run({ file: FAIL_JS, args: [String(i)], waitMs: WAIT_MS * 2 });
    };
    const envelopes = await Promise.all(kinds.map((kind, i) => one(i, kind)));
    assert.equal(new Set(envelopes.map((e) => e.task_id)).size, 100);
    envelopes.forEach((envelope, i) => {
      const kind = kinds[i];
      if (kind === "wasm") assert.equal(envelope.result.name, "world", `${i}`);
      else if (kind === "ts") assert.deepEqual(envelope.result.args, [i], `${i}`);
      else if (kind === "spin") assert.equal(envelope.error.error_type, "fuel_exhausted", `${i}`);
      else assert.match(envelope.error.message, new RegExp(`tool failed: ${i}\\b`), `${i}`);
    });
  });
});
