/**
 * Runs a task on this machine through the capsule command (its warm local daemon), as
 * capsule-run's run() does with its CLI: `capsule run FILE --json ...`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Envelope } from "./envelope.js";
import { CapsuleTimeout, InvalidArgument, LocalRunError } from "./errors.js";
import { TaskOptions, durationSeconds } from "./options.js";
import { checkArgs, checkTask } from "./request.js";

const LOCAL_EXTENSIONS = [".wasm", ".wat", ".capsule", ".py", ".js", ".mjs", ".ts", ".mts"];

/** capsule-run's run() options that only a local run has. */
export interface LocalCall {
  /** Where file and relative paths resolve, and where the command runs. */
  cwd?: string;
  /** --mount specs: HOST[::GUEST][:ro|:rw]. */
  mounts?: string[];
  /** The capsule command. */
  capsulePath?: string;
}

/** capsulePath, $CAPSULE_COMMAND (split on spaces; quote nothing) or `capsule` on the PATH. */
export function capsuleCommand(capsulePath?: string): string[] {
  if (capsulePath) return [capsulePath];
  const configured = process.env.CAPSULE_COMMAND;
  return configured ? configured.trim().split(/\s+/) : ["capsule"];
}

/** The `capsule run` arguments for a task file and its options. */
export function commandLine(file: string, argsFile: string | null, options: TaskOptions, task: string, mounts: string[] = []): string[] {
  const line = ["run", resolve(file), "--json", "--task", task];
  for (const mount of mounts) line.push("--mount", mount);
  const flags: [string, unknown][] = [
    ["--compute", options.compute],
    ["--ram", options.ram],
    ["--timeout", options.timeout === undefined ? undefined : typeof options.timeout === "string" ? options.timeout : `${Math.round(durationSeconds(options.timeout) * 1000)}ms`],
    ["--max-retries", options.maxRetries],
  ];
  for (const [flag, value] of flags) if (value !== undefined) line.push(flag, String(value));
  for (const grant of options.allowedFiles ?? []) line.push("--allow-file", typeof grant === "string" ? grant : `${grant.path}:${grant.mode ?? "rw"}`);
  for (const host of options.allowedHosts ?? []) line.push("--allow-host", host);
  for (const name of options.envVariables ?? []) line.push("--env", name);
  if (argsFile) line.push("--args-file", argsFile);
  return line;
}

/** Runs the task with the capsule command and resolves with the envelope it prints. */
export async function runLocal(given: unknown, args: unknown, options: TaskOptions, task = "main", waitMs?: number, call: LocalCall = {}): Promise<Envelope> {
  if (typeof given !== "string" || given.length === 0) throw new InvalidArgument("file", `expected a path to a task file, got ${String(given)}`);
  checkLocalCall(call);
  const file = resolve(call.cwd ?? ".", given);
  if (!LOCAL_EXTENSIONS.some((e) => file.toLowerCase().endsWith(e))) {
    throw new InvalidArgument("file", `${file}: expected .wasm, .wat, .capsule, .py, .js/.mjs or .ts/.mts`);
  }
  if (!existsSync(file) || !statSync(file).isFile()) throw new InvalidArgument("file", `file not found: ${resolve(file)}`);
  const argv = checkArgs(args);
  const dir = argv.length > 0 ? mkdtempSync(join(tmpdir(), "capsule-args-")) : null;
  try {
    // a JSON array keeps each argument's JSON type (the command line would make them text)
    const argsFile = dir ? join(dir, "args.json") : null;
    if (argsFile) writeFileSync(argsFile, JSON.stringify(argv));
    const [command, ...prefix] = capsuleCommand(call.capsulePath);
    return await execute(command, [...prefix, ...commandLine(file, argsFile, options, checkTask(task), call.mounts)], file, waitMs, call.cwd);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function checkLocalCall(call: LocalCall): void {
  if (call.cwd !== undefined && !(existsSync(call.cwd) && statSync(call.cwd).isDirectory())) throw new InvalidArgument("cwd", `not a directory: ${call.cwd}`);
  if (call.mounts !== undefined && (!Array.isArray(call.mounts) || !call.mounts.every((m) => typeof m === "string" && m.length > 0))) {
    throw new InvalidArgument("mounts", `expected an array of "HOST[::GUEST][:ro|:rw]" strings, got ${JSON.stringify(call.mounts)}`);
  }
}

function execute(command: string, argv: string[], file: string, waitMs?: number, cwd?: string): Promise<Envelope> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(command, argv, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: waitMs ?? 0, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      const envelope = parse(stdout);
      if (envelope) return resolvePromise(envelope);
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
        return reject(new LocalRunError(`cannot start the capsule command "${command}": put capsule on the PATH or set $CAPSULE_COMMAND (or name a cluster: bootstrapServers or $CAPSULE_BOOTSTRAP_SERVERS)`));
      }
      if (error && error.killed && waitMs) return reject(new CapsuleTimeout(`local:${file}`, waitMs));
      const reason = stderr.trim().split("\n").pop() || stdout.trim() || "no output";
      reject(new LocalRunError(`capsule run exited ${child.exitCode ?? (error as NodeJS.ErrnoException | null)?.code}: ${reason}`));
    });
  });
}

function parse(stdout: string): Envelope | null {
  const lines = stdout.trim().split("\n");
  try {
    const parsed = JSON.parse(lines[lines.length - 1]);
    return parsed && typeof parsed === "object" && "success" in parsed ? parsed : null;
  } catch {
    return null;
  }
}
