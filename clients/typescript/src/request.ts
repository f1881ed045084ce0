/** Builds the task request (capsule.task/v1) a submit produces. */
import { randomUUID } from "node:crypto";
import { InvalidArgument } from "./errors.js";
import { TaskOptions, levelOf, limitsJson, permissionsJson } from "./options.js";
import { TaskSource, declaredOptions } from "./source.js";
import * as wire from "./wire.js";

export interface TaskRequest {
  id: string;
  level: string;
  value: Record<string, unknown>;
  /** Bytes to publish on the modules topic first, keyed by their SHA-256. */
  upload?: { sha256: string; data: Buffer };
}

export interface BuildOptions {
  task?: string;
  taskId?: string;
  replyTo: string;
  inlineThreshold?: number;
}

export function checkArgs(args: unknown): unknown[] {
  if (args === undefined || args === null) return [];
  if (!Array.isArray(args)) throw new InvalidArgument("args", `expected an array of JSON values, got ${typeof args}`);
  const why = notJson(args, 0);
  if (why) throw new InvalidArgument("args", `every argument must be a JSON value: ${why}`);
  return [...args];
}

/** Why a value is not plain JSON (JSON.stringify would drop it or write null), or null. */
function notJson(value: unknown, depth: number): string | null {
  if (depth > 512) return "nested deeper than 512 levels";
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : `${value} is not a JSON number`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const why = notJson(item, depth + 1);
      if (why) return why;
    }
    return null;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value as object)) {
      const why = notJson(item, depth + 1);
      if (why) return why;
    }
    return null;
  }
  return `a ${value === undefined ? "undefined" : typeof value === "object" ? (value as object).constructor?.name ?? "object" : typeof value} is not JSON`;
}

export function checkTaskId(taskId: unknown): string {
  if (taskId === undefined || taskId === null) return randomUUID();
  if (typeof taskId !== "string" || taskId.length < 1 || taskId.length > 200) {
    throw new InvalidArgument("taskId", `expected 1-200 characters, got ${JSON.stringify(taskId)}`);
  }
  return taskId;
}

export function checkTask(task: unknown): string {
  if (typeof task !== "string" || task.length === 0) throw new InvalidArgument("task", `expected a task name, got ${JSON.stringify(task)}`);
  return task;
}

/** The request for one task; sources or modules over the inline threshold go by hash. */
export function buildRequest(source: TaskSource, args: unknown, options: TaskOptions, build: BuildOptions): TaskRequest {
  const task = checkTask(build.task ?? "main");
  const declared = declaredOptions(source, task);
  const effective: TaskOptions = {
    ...options,
    compute: options.compute ?? declared.compute,
    ram: options.ram ?? declared.ram,
    timeout: options.timeout ?? declared.timeout,
    maxRetries: options.maxRetries ?? declared.maxRetries,
  };
  const value: Record<string, unknown> = {
    schema: wire.TASK_SCHEMA,
    id: checkTaskId(build.taskId),
    task,
    args: checkArgs(args),
    reply_to: build.replyTo,
    submitted_at: Date.now(),
  };
  const limits = limitsJson(effective);
  const permissions = permissionsJson(effective);
  if (Object.keys(limits).length > 0) value.limits = limits;
  if (Object.keys(permissions).length > 0) value.permissions = permissions;
  const upload = attach(value, source, build.inlineThreshold ?? wire.INLINE_THRESHOLD);
  return { id: value.id as string, level: levelOf(effective.compute), value, upload };
}

function attach(value: Record<string, unknown>, source: TaskSource, threshold: number): TaskRequest["upload"] {
  if (source.module !== undefined) {
    if (source.module.length <= threshold) {
      value.module = { inline: source.module.toString("base64") };
      return undefined;
    }
    const digest = wire.sha256(source.module);
    value.module = { sha256: digest };
    return { sha256: digest, data: source.module };
  }
  const data = Buffer.from(source.script!, "utf8");
  if (data.length <= threshold) {
    value.script = { file_name: source.fileName, source: source.script };
    return undefined;
  }
  const digest = wire.sha256(data);
  value.script = { file_name: source.fileName, sha256: digest };
  return { sha256: digest, data };
}
