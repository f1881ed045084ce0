// Runs a WASI preview1 command module under Node's WebAssembly engine (V8) through node:wasi, as
// the outside reference of `capsule bench sandbox`.
// Usage: node --no-warnings --expose-gc node-wasi-runner.mjs MODULE.wasm RUNS WARM_UP_MS [ARG...]
// Compiles once, then per run: a fresh WASI + instance, then _start. Warms up for WARM_UP_MS
// first. Prints one JSON line: medians (ns) of the whole run and of _start alone. Collects garbage
// between runs (untimed): without it, dead instances' memory reservations pile up until V8 aborts.
import { readFileSync, openSync, closeSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { argv, hrtime } from 'node:process';

const [file, runsText, warmText, ...args] = argv.slice(2);
const module = new WebAssembly.Module(readFileSync(file));
const devNull = openSync('/dev/null', 'w');

function once() {
  const t0 = hrtime.bigint();
  const wasi = new WASI({ version: 'preview1', args: ['bench', ...args], env: {}, stdout: devNull,
    returnOnExit: true });
  const instance = new WebAssembly.Instance(module, wasi.getImportObject());
  const t1 = hrtime.bigint();
  const code = wasi.start(instance);
  const t2 = hrtime.bigint();
  if (code !== 0 && code !== undefined) {
    throw new Error(`exit code ${code}`);
  }
  globalThis.gc?.();
  return [Number(t2 - t0), Number(t2 - t1)];
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const warmUntil = Date.now() + Number(warmText);
for (let i = 0; i < 3 || Date.now() < warmUntil; i++) once();
const total = [];
const start = [];
for (let i = 0; i < Number(runsText); i++) {
  const [t, s] = once();
  total.push(t);
  start.push(s);
}
closeSync(devNull);
console.log(JSON.stringify({ total_ns: median(total), start_ns: median(start) }));
