/**
 * What a task file becomes in a request: a module (.wasm) or a script (.py, .js/.mjs, .ts/.mts).
 * For scripts the limits the named task declares in its literal options are read here, as
 * `capsule submit` does, so that the request routes to the declared compute level and carries
 * the declared ram and retries (the worker reads the rest from the file itself).
 */
import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { InvalidArgument } from "./errors.js";
import { TaskOptions, checkCompute, checkMaxRetries, checkRam, checkTimeout, dropUndefined } from "./options.js";

export const SCRIPT_EXTENSIONS = [".py", ".js", ".mjs", ".ts", ".mts"];

export interface TaskSource {
  fileName: string;
  module?: Buffer;
  script?: string;
}

export function readSource(file: unknown): TaskSource {
  if (typeof file !== "string" || file.length === 0) throw new InvalidArgument("file", `expected a path to a task file, got ${String(file)}`);
  const name = basename(file);
  const extension = extname(name).toLowerCase();
  if (extension !== ".wasm" && !SCRIPT_EXTENSIONS.includes(extension)) {
    throw new InvalidArgument("file", `${name}: expected a .wasm module or a .py/.js/.mjs/.ts/.mts task file`);
  }
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (e) {
    throw new InvalidArgument("file", `cannot read ${file}: ${(e as Error).message}`);
  }
  if (extension === ".wasm") {
    if (content.subarray(0, 4).toString("latin1") !== "\0asm") throw new InvalidArgument("file", `${name} is not a WebAssembly binary`);
    return { fileName: name, module: content };
  }
  return scriptSource(name, content.toString("utf8"));
}

export function scriptSource(fileName: unknown, source: unknown): TaskSource {
  if (typeof fileName !== "string" || fileName.includes("/") || !SCRIPT_EXTENSIONS.includes(extname(fileName).toLowerCase())) {
    throw new InvalidArgument("fileName", `expected NAME.py/.js/.mjs/.ts/.mts, got ${JSON.stringify(fileName)}`);
  }
  if (typeof source !== "string" || source.length === 0) throw new InvalidArgument("source", "expected the task file's text");
  return { fileName, script: source };
}

/** The limits `task` declares in a script (none for modules or unreadable declarations). */
export function declaredOptions(source: TaskSource, task: string): TaskOptions {
  if (source.script === undefined) return {};
  const found = source.fileName.toLowerCase().endsWith(".py") ? pythonOptions(source.script, task) : jsOptions(source.script, task);
  try {
    return dropUndefined({
      compute: checkCompute(found.compute),
      ram: checkRam(found.ram),
      timeout: checkTimeout("timeout", found.timeout),
      maxRetries: checkMaxRetries(found.max_retries),
    });
  } catch {
    return {}; // the worker reports a bad declaration in the envelope
  }
}

const OPTION = /\b(name|compute|ram|timeout|maxRetries|max_retries)\s*[:=]\s*("[^"]*"|'[^']*'|[0-9_]+)/g;

function jsOptions(source: string, task: string): Record<string, unknown> {
  for (const match of source.matchAll(/\btask\s*\(\s*\{/g)) {
    const options = literalOptions(braced(source, match.index! + match[0].length - 1, "{", "}"));
    if (options.name === task) return options;
  }
  return {};
}

function pythonOptions(source: string, task: string): Record<string, unknown> {
  for (const match of source.matchAll(/@(?:\w+\.)?task\s*\(/g)) {
    const options = literalOptions(braced(source, match.index! + match[0].length - 1, "(", ")"));
    const fn = /^\s*(?:@.*\n\s*)*(?:async\s+)?def\s+(\w+)/.exec(source.slice(match.index! + match[0].length).replace(/^[^\n]*\n/, ""));
    if ((options.name ?? fn?.[1]) === task) return options;
  }
  return {};
}

function literalOptions(literal: string): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [, key, value] of literal.matchAll(OPTION)) {
    const name = key === "maxRetries" ? "max_retries" : key;
    if (!(name in options)) options[name] = /^["']/.test(value) ? value.slice(1, -1) : Number(value.replace(/_/g, ""));
  }
  return options;
}

function braced(text: string, start: number, open: string, close: string): string {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === open) depth++;
    if (text[i] === close && --depth === 0) return text.slice(start, i + 1);
  }
  return text.slice(start);
}
