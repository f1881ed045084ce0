// Requests as the contract spells them, and bad arguments refused naming the option (no broker).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { InvalidArgument } from "../dist/index.js";
import { checkOptions, levelOf } from "../dist/options.js";
import { buildRequest } from "../dist/request.js";
import { readSource, scriptSource } from "../dist/source.js";
import { murmur2, newTraceparent } from "../dist/wire.js";
import { commandLine } from "../dist/local.js";
import { HELLO_WASM, REPO } from "./support.mjs";

const HELLO_PY = join(REPO, "examples", "python", "hello.py");

test("a small module travels inline with snake_case limits and permissions", () => {
  const options = checkOptions({ compute: "low", ram: "16MB", timeout: "20s", maxRetries: 1, allowedHosts: ["api.example.com"] });
  const request = buildRequest(readSource(HELLO_WASM), ["Ada", { n: 3 }], options, { replyTo: "capsule.results" });
  assert.equal(request.value.schema, "capsule.task/v1");
  assert.equal(request.value.task, "main");
  assert.deepEqual(Buffer.from(request.value.module.inline, "base64"), readFileSync(HELLO_WASM));
  assert.deepEqual(request.value.args, ["Ada", { n: 3 }]);
  assert.deepEqual(request.value.limits, { compute: "LOW", ram: "16MB", timeout: "20s", max_retries: 1 });
  assert.deepEqual(request.value.permissions, { allowed_hosts: ["api.example.com"] });
  assert.equal(request.level, "low");
  assert.equal(request.upload, undefined);
});

test("a Python task file carries its source and routes by its declared compute", () => {
  const request = buildRequest(readSource(HELLO_PY), [], {}, { replyTo: "r" });
  assert.deepEqual(request.value.script, { file_name: "hello.py", source: readFileSync(HELLO_PY, "utf8") });
  assert.equal(request.level, "low");
  assert.deepEqual(request.value.limits, { compute: "LOW", ram: "64MB" });
  assert.equal(buildRequest(readSource(HELLO_PY), [], checkOptions({ compute: "HIGH" }), { replyTo: "r" }).level, "high");
});

test("TypeScript declarations are read for the named task", () => {
  const source = 'const child = task({ name: "child", compute: "HIGH" }, () => 1);\nexport const main = task({\n  name: "main",\n  compute: "LOW",\n  maxRetries: 2\n}, () => child());\n';
  const request = buildRequest(scriptSource("agent.ts", source), [], {}, { replyTo: "r" });
  assert.equal(request.level, "low");
  assert.deepEqual(request.value.limits, { compute: "LOW", max_retries: 2 });
});

test("a source over 64 KiB goes by sha256 and is uploaded; 64 KiB exactly stays inline", () => {
  const source = "// " + "x".repeat(64 * 1024) + "\nexport const main = 1;\n";
  const request = buildRequest(scriptSource("big.js", source), [], {}, { replyTo: "r" });
  const digest = createHash("sha256").update(source).digest("hex");
  assert.deepEqual(request.value.script, { file_name: "big.js", sha256: digest });
  assert.equal(request.upload.sha256, digest);
  const atLimit = Buffer.concat([Buffer.from("\0asm\x01\0\0\0", "latin1"), Buffer.alloc(64 * 1024 - 8)]);
  assert.ok(buildRequest({ fileName: "m.wasm", module: atLimit }, [], {}, { replyTo: "r" }).value.module.inline);
  const over = Buffer.concat([atLimit, Buffer.alloc(1)]);
  assert.deepEqual(buildRequest({ fileName: "m.wasm", module: over }, [], {}, { replyTo: "r" }).value.module, {
    sha256: createHash("sha256").update(over).digest("hex"),
  });
});

test("custom fuel routes to the smallest level that holds it", () => {
  const cases = [[5_000_000, "low"], [100_000_000, "low"], [100_000_001, "medium"], [2_000_000_000, "medium"], [2_000_000_001, "high"], [undefined, "medium"]];
  for (const [compute, level] of cases) assert.equal(levelOf(checkOptions({ compute }).compute), level, String(compute));
});

test("each bad option is refused naming it", () => {
  const bad = [
    ["compute", { compute: "TURBO" }], ["compute", { compute: 0 }], ["compute", { compute: true }],
    ["ram", { ram: "lots" }], ["timeout", { timeout: "soon" }], ["timeout", { timeout: Infinity }],
    ["maxRetries", { maxRetries: 101 }], ["maxRetries", { maxRetries: 1.5 }],
    ["allowedHosts", { allowedHosts: "example.com" }], ["allowedFiles", { allowedFiles: [{ path: "d", mode: "rwx" }] }],
    ["envVariables", { envVariables: ["A=B"] }],
  ];
  for (const [parameter, options] of bad) {
    assert.throws(() => checkOptions(options), (e) => e instanceof InvalidArgument && e.parameter === parameter, parameter);
  }
  assert.throws(() => readSource(join(REPO, "no-such.wasm")), (e) => e.parameter === "file");
  assert.throws(() => readSource(join(REPO, "README.md")), (e) => e.parameter === "file");
  assert.throws(() => buildRequest(readSource(HELLO_WASM), "Ada", {}, { replyTo: "r" }), (e) => e.parameter === "args");
  assert.throws(() => buildRequest(readSource(HELLO_WASM), [() => 1], {}, { replyTo: "r" }), (e) => e.parameter === "args");
  assert.throws(() => buildRequest(readSource(HELLO_WASM), [], {}, { replyTo: "r", taskId: "x".repeat(201) }), (e) => e.parameter === "taskId");
  assert.throws(() => scriptSource("../escape.js", "1"), (e) => e.parameter === "fileName");
});

test("murmur2 matches Kafka's Java partitioner and traceparent is W3C", () => {
  const cases = { 21: -973932308, foobar: -790332482, "a-little-bit-long-string": -985981536, "a-little-bit-longer-string": -1486304829,
    lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971, abc: 479470107 };
  for (const [key, expected] of Object.entries(cases)) assert.equal(murmur2(Buffer.from(key)), expected, key);
  assert.match(newTraceparent(), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
});

test("a local run spells each option as a capsule run flag", () => {
  const options = checkOptions({ compute: "low", ram: "64MB", timeout: 1.5, maxRetries: 2, allowedFiles: ["data:ro", { path: "out", mode: "rw" }],
    allowedHosts: ["api.example.com"], envVariables: ["API_KEY"] });
  assert.deepEqual(commandLine(HELLO_WASM, "/tmp/a.json", options, "main").slice(2), [
    "--json", "--task", "main", "--compute", "LOW", "--ram", "64MB", "--timeout", "1500ms", "--max-retries", "2",
    "--allow-file", "data:ro", "--allow-file", "out:rw", "--allow-host", "api.example.com", "--env", "API_KEY", "--args-file", "/tmp/a.json",
  ]);
});

test("arguments that JSON.stringify would change are refused", () => {
  for (const args of [[NaN], [{ x: Infinity }], [undefined], [new Date(0)], [1n], [[[() => 1]]]]) {
    assert.throws(() => buildRequest(readSource(HELLO_WASM), args, {}, { replyTo: "r" }), (e) => e instanceof InvalidArgument && e.parameter === "args", String(args));
  }
  assert.deepEqual(buildRequest(readSource(HELLO_WASM), ["a", 1, null, true, { k: [1.5] }], {}, { replyTo: "r" }).value.args, ["a", 1, null, true, { k: [1.5] }]);
});
