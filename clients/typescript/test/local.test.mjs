// run() with no cluster named runs the task through the capsule command, as capsule-run does.
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { test } from "node:test";
import { InvalidArgument, LocalRunError, run } from "../dist/index.js";
import { HELLO_WASM, SPIN_WASM } from "./support.mjs";

const COMMAND = process.env.CAPSULE_COMMAND;
const NO_COMMAND = COMMAND ? false : "no local capsule command: set CAPSULE_COMMAND (e.g. the repository's ./capsule)";

function withoutCluster(fn) {
  return async () => {
    const saved = process.env.CAPSULE_BOOTSTRAP_SERVERS;
    delete process.env.CAPSULE_BOOTSTRAP_SERVERS;
    try {
      await fn();
    } finally {
      if (saved !== undefined) process.env.CAPSULE_BOOTSTRAP_SERVERS = saved;
    }
  };
}

test("capsule-run's example call works with only the import changed", { skip: NO_COMMAND }, withoutCluster(async () => {
  const result = await run({ file: HELLO_WASM, args: ["Ada"] });
  assert.equal(result.success, true, JSON.stringify(result));
  assert.equal(result.result.name, "Ada");
  assert.equal(result.worker, undefined); // it ran here, not on a fleet
}));

test("capsule-run's cwd resolves the file", { skip: NO_COMMAND }, withoutCluster(async () => {
  const result = await run({ file: "hello.wasm", cwd: dirname(HELLO_WASM) });
  assert.equal(result.success, true, JSON.stringify(result));
}));

test("limits travel as flags and a failed task is an envelope", { skip: NO_COMMAND }, withoutCluster(async () => {
  const result = await run({ file: SPIN_WASM, compute: 1_000_000, waitMs: 120_000 });
  assert.equal(result.error.error_type, "fuel_exhausted");
  assert.equal(result.execution.fuel_consumed, 1_000_000);
}));

test("a missing command is a LocalRunError naming it", withoutCluster(async () => {
  const saved = process.env.CAPSULE_COMMAND;
  process.env.CAPSULE_COMMAND = "/nonexistent/capsule";
  try {
    await assert.rejects(run({ file: HELLO_WASM }), (e) => e instanceof LocalRunError && e.message.includes("/nonexistent/capsule"));
  } finally {
    if (saved === undefined) delete process.env.CAPSULE_COMMAND;
    else process.env.CAPSULE_COMMAND = saved;
  }
}));

test("a bad cwd or mounts is refused naming it", withoutCluster(async () => {
  await assert.rejects(run({ file: HELLO_WASM, cwd: "/no/such/dir" }), (e) => e instanceof InvalidArgument && e.parameter === "cwd");
  await assert.rejects(run({ file: HELLO_WASM, mounts: "data" }), (e) => e instanceof InvalidArgument && e.parameter === "mounts");
  await assert.rejects(run({ file: HELLO_WASM, mounts: ["data"], bootstrapServers: "127.0.0.1:1" }), (e) => e instanceof InvalidArgument && e.parameter === "mounts");
}));

test("client settings without a cluster are refused", withoutCluster(async () => {
  await assert.rejects(run({ file: HELLO_WASM, client: { topicPrefix: "x" } }), (e) => e instanceof InvalidArgument && e.parameter === "client");
}));
