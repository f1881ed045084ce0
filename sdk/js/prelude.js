// Capsule guest SDK for JavaScript/TypeScript tasks, evaluated before the task file.
// `__capsule_host(op, payloadJson)` is the host function; it answers with JSON text.
(function () {
  const host = (op, payload) => JSON.parse(__capsule_host(op, JSON.stringify(payload)));
  const tasks = {};
  const pending = {};

  class TaskError extends Error {
    constructor(envelope) {
      const e = envelope.error || {};
      super(`${e.error_type}: ${e.message}`);
      this.name = "TaskError";
      this.envelope = envelope;
    }
  }

  function task(options, fn) {
    const name = options && options.name;
    if (typeof name !== "string" || typeof fn !== "function") {
      throw new TypeError("task(options, fn) needs options.name and a function");
    }
    tasks[name] = fn;
    // A call runs the sub-task to its end and returns its result (throws TaskError), as in
    // capsule-run: `const r = sub(x)` and `await sub(x)` both work. `sub.spawn(x)` starts it at
    // once and returns a Promise: `Promise.all([a.spawn(x), b.spawn(y)])` runs several at a time.
    const call = (...args) => {
      const envelope = host("call", { name, args });
      if (!envelope.success) throw new TaskError(envelope);
      return envelope.result;
    };
    call.spawn = (...args) => {
      const { handle } = host("spawn", { name, args });
      return new Promise((resolve, reject) => { pending[handle] = { resolve, reject }; });
    };
    call.taskName = name;
    return call;
  }

  class Headers {
    constructor(init) {
      this.map = {};
      for (const [k, v] of Object.entries(init || {})) this.map[k.toLowerCase()] = String(v);
    }
    get(name) { const v = this.map[name.toLowerCase()]; return v === undefined ? null : v; }
    has(name) { return name.toLowerCase() in this.map; }
    forEach(f) { for (const [k, v] of Object.entries(this.map)) f(v, k, this); }
  }

  class Response {
    constructor(doc) {
      this.status = doc.status;
      this.ok = doc.status >= 200 && doc.status < 300;
      this.url = doc.url;
      this.headers = new Headers(doc.headers);
      this._body = doc.body !== undefined ? doc.body : doc.body_base64;
    }
    async text() { return this._body; }
    async json() { return JSON.parse(this._body); }
  }

  async function fetch(input, init) {
    init = init || {};
    const headers = {};
    const given = init.headers || {};
    if (typeof given.forEach === "function" && !Array.isArray(given)) given.forEach((v, k) => (headers[k] = v));
    else for (const [k, v] of Object.entries(given)) headers[k] = v;
    const request = { url: String(input.url || input), method: init.method || "GET", headers };
    if (init.body !== undefined && init.body !== null) request.body = String(init.body);
    const answer = host("http", request);
    if (answer.error) {
      const error = new TypeError(`fetch failed: ${answer.error.message}`);
      error.cause = answer.error;
      throw error;
    }
    return new Response(answer);
  }

  const file = (request) => {
    const answer = host("fs", request);
    if (answer.error) throw new Error(answer.error.message);
    return answer;
  };
  const sdk = { task, TaskError, files: null };
  const fsPromises = {
    readFile: async (path, options) => file({ op: "read", path: String(path) }).text,
    writeFile: async (path, data) => { file({ op: "write", path: String(path), text: String(data) }); },
  };
  const fs = {
    readFileSync: (path, options) => file({ op: "read", path: String(path) }).text,
    writeFileSync: (path, data) => { file({ op: "write", path: String(path), text: String(data) }); },
    promises: fsPromises,
  };
  sdk.files = {
    readText: async (path) => fs.readFileSync(path),
    writeText: async (path, text) => fs.writeFileSync(path, text),
  };

  // Math.random: xoshiro128**, seeded per task by the host (a snapshot would repeat QuickJS's own).
  let s0 = 1, s1 = 2, s2 = 3, s3 = 4;
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  const next = () => {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
    return r >>> 0;
  };
  Object.defineProperty(Math, "random", {
    value: function random() { return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992; },
    writable: true, configurable: true, enumerable: false,
  });

  // Timers run from the host's event loop (`__capsule_tick`), which sleeps until the next is due.
  let timers = [];
  let timerIds = 0;
  const addTimer = (fn, ms, args, every) => {
    const id = ++timerIds;
    const delay = Math.max(0, Number(ms) || 0);
    timers.push({ id, at: Date.now() + delay, fn, args, every: every ? delay : undefined });
    return id;
  };
  const clearTimer = (id) => { timers = timers.filter((t) => t.id !== id); };
  globalThis.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
  globalThis.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
  globalThis.clearTimeout = clearTimer;
  globalThis.clearInterval = clearTimer;
  let settled = false; // once the task has its result, timers still pending are dropped
  // Called whenever no promise job is pending. With no timer left either, a task that has not
  // settled never can: that is its failure.
  // -2: the task has its result (sub-tasks it spawned and never awaited are not waited for).
  globalThis.__capsule_tick = () => {
    if (settled) return -2;
    if (timers.length === 0) {
      if (Object.keys(pending).length > 0) return -1; // the host settles spawned sub-tasks
      host("error", "the task's promise never settled (no pending job or timer is left)");
      return -1;
    }
    timers.sort((a, b) => a.at - b.at || a.id - b.id);
    const due = timers[0];
    const wait = due.at - Date.now();
    if (wait > 0) return wait;
    timers.shift();
    if (due.every !== undefined) { due.at = Date.now() + due.every; timers.push(due); }
    if (typeof due.fn === "function") due.fn(...due.args);
    return 0;
  };

  const line = (args) => args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
  globalThis.console = {
    log: (...a) => host("log", line(a)), info: (...a) => host("log", line(a)),
    warn: (...a) => host("log", line(a)), error: (...a) => host("log", line(a)),
    debug: (...a) => host("log", line(a)),
  };
  globalThis.process = { env: {}, argv: [], platform: "wasi" };
  globalThis.fetch = fetch;
  globalThis.Headers = Headers;
  globalThis.Response = Response;
  globalThis.__capsule_modules = {
    "@capsule-run/sdk": sdk, "fs": fs, "node:fs": fs, "fs/promises": fsPromises,
    "node:fs/promises": fsPromises, "process": globalThis.process, "node:process": globalThis.process,
  };
  globalThis.__capsule_import = (name) => {
    const m = globalThis.__capsule_modules[name];
    if (m === undefined) throw new Error(`module '${name}' is not available in the capsule sandbox`);
    return m;
  };
  globalThis.__capsule_settle = (done) => {
    for (const [handle, envelope] of Object.entries(done)) {
      const p = pending[handle];
      delete pending[handle];
      if (!p) continue;
      if (envelope.success) p.resolve(envelope.result);
      else p.reject(new TaskError(envelope));
    }
  };
  // Called first in every task: the prelude itself may be part of a snapshot shared by all tasks,
  // so nothing task-specific is read before this point.
  globalThis.__capsule_begin = (a, b, c, d) => {
    globalThis.process.env = host("env", null);
    [s0, s1, s2, s3] = [a | 0, b | 0, c | 0, d | 1];
  };
  // An unhandled exception: its stack goes to the logs, and the error names the task file's line
  // where it was thrown (the innermost frame in the file).
  const failure = (e, file) => {
    const isError = e instanceof Error;
    const text = (isError ? `${e.name}: ${e.message}` : String(e)).slice(0, 4000);
    const stack = isError && typeof e.stack === "string" ? e.stack : "";
    host("log", stack ? `${text}\n${stack.replace(/\s+$/, "")}` : text);
    const at = file ? stack.indexOf(`${file}:`) : -1;
    const line = at < 0 ? 0 : parseInt(stack.slice(at + file.length + 1), 10) || 0;
    return { type: isError ? e.name : typeof e, text, file: line > 0 ? file : null, line };
  };
  globalThis.__capsule_run = (name, args, file) => {
    const report = (value) => {
      settled = true;
      host("result", JSON.stringify(value === undefined ? null : value));
    };
    const fail = (e) => {
      settled = true;
      host("error", failure(e, file));
    };
    try {
      globalThis.process.argv = args;
      const fn = tasks[name];
      if (!fn) throw new Error(`the file declares no task named '${name}'`);
      const value = fn(...args);
      if (value && typeof value.then === "function") value.then(report, fail);
      else report(value);
    } catch (e) {
      fail(e);
    }
  };
})();
