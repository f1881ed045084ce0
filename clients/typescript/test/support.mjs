// What the fleet tests share: the cluster named by $CAPSULE_BOOTSTRAP_SERVERS, the task files, and
// a reader of whole topics (to check what the client put on the wire).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import kafkajs from "kafkajs";

const { Kafka, logLevel } = kafkajs;
const here = dirname(fileURLToPath(import.meta.url));
export const REPO = join(here, "..", "..", "..");
export const TESTDATA = join(REPO, "clients", "testdata");
export const HELLO_WASM = join(REPO, "examples", "hello.wasm");
export const HELLO_TS = join(REPO, "examples", "typescript", "hello.ts");
export const SPIN_WASM = join(TESTDATA, "spin.wasm");
export const SLEEP_WASM = join(TESTDATA, "sleep.wasm");
export const TRAP_WASM = join(TESTDATA, "trap.wasm");
export const ECHO_TS = join(TESTDATA, "echo.ts");
export const FAIL_JS = join(TESTDATA, "fail.js");
export const SUBTASKS_JS = join(TESTDATA, "subtasks.js");
export const SERVERS = process.env.CAPSULE_BOOTSTRAP_SERVERS;
export const WAIT_MS = 90_000;
export const NO_FLEET = SERVERS ? false : "no fleet: set CAPSULE_BOOTSTRAP_SERVERS (./capsule up prints it)";

/** Every record of a topic from its start to its current end (optionally one key's). */
export async function records(topic, key) {
  const kafka = new Kafka({ brokers: SERVERS.split(","), clientId: "tests", logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = (await admin.fetchTopicOffsets(topic)).filter((o) => BigInt(o.high) > BigInt(o.low));
  const groupId = `tests-${Math.random().toString(16).slice(2)}`;
  const found = [];
  if (offsets.length > 0) {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    const remaining = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    let done;
    const read = new Promise((resolve) => (done = resolve));
    const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic] });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const high = remaining.get(partition);
        if (high === undefined || BigInt(message.offset) >= high) return;
        if (key === undefined || message.key?.toString() === key) found.push({ partition, ...message });
        if (BigInt(message.offset) + 1n >= high) remaining.delete(partition);
        if (remaining.size === 0) done();
      },
    });
    await joined;
    for (const o of offsets) consumer.seek({ topic, partition: o.partition, offset: o.low });
    await Promise.race([read, new Promise((_, reject) => setTimeout(() => reject(new Error(`reading ${topic} took over 30 s`)), 30_000))]);
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  await admin.disconnect();
  return found;
}

export function header(record, name) {
  return record.headers?.[name]?.toString();
}

/** Polls an async condition until it is truthy, at most boundMs. */
export async function until(condition, boundMs = WAIT_MS) {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not true within ${boundMs} ms: ${condition}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
