/**
 * Task options as capsule-run's TypeScript SDK spells them (compute, ram, timeout, maxRetries,
 * allowedFiles, allowedHosts, envVariables), checked before anything is sent. Each check throws
 * {@link InvalidArgument} naming the option; accepted forms are the task request schema's.
 */
import { InvalidArgument } from "./errors.js";

export const LEVELS: Record<string, number> = { LOW: 100_000_000, MEDIUM: 2_000_000_000, HIGH: 50_000_000_000 };
const SIZE = /^[0-9]+(\.[0-9]+)?\s*([kKmMgGtT]?)([iI]?[bB]?)$/;
const DURATION = /^(([0-9]+(\.[0-9]+)?)(ms|s|m|h))+$|^[0-9]+(\.[0-9]+)?$/;
const SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
export const MAX_RETRIES = 100;

export type FileGrant = string | { path: string; mode?: "ro" | "rw" };

export interface TaskOptions {
  compute?: string | number;
  ram?: string | number;
  timeout?: string | number;
  maxRetries?: number;
  allowedFiles?: FileGrant[];
  allowedHosts?: string[];
  envVariables?: string[];
}

/** Validated options: unset means the worker's default. */
export function checkOptions(options: TaskOptions): TaskOptions {
  return dropUndefined({
    compute: checkCompute(options.compute),
    ram: checkRam(options.ram),
    timeout: checkTimeout("timeout", options.timeout),
    maxRetries: checkMaxRetries(options.maxRetries),
    allowedFiles: checkFiles(options.allowedFiles),
    allowedHosts: checkStrings("allowedHosts", options.allowedHosts),
    envVariables: checkEnv(options.envVariables),
  });
}

export function checkCompute(value: unknown): string | number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 1) return value;
  if (typeof value === "string") {
    if (value.toUpperCase() in LEVELS) return value.toUpperCase();
    const digits = value.replace(/[_,]/g, "");
    if (/^[0-9_,]+$/.test(value) && Number(digits) >= 1) return Number(digits);
  }
  throw new InvalidArgument("compute", `expected LOW, MEDIUM, HIGH or a fuel number, got ${show(value)}`);
}

export function checkRam(value: unknown): string | number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 1) return value;
  if (typeof value === "string" && SIZE.test(value.trim())) return value.trim();
  throw new InvalidArgument("ram", `expected a size such as "64MB" or a number of bytes, got ${show(value)}`);
}

export function checkTimeout(parameter: string, value: unknown): string | number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isFinite(value) && value > 0) return value;
  if (typeof value === "string" && DURATION.test(value.trim()) && durationSeconds(value) > 0) return value.trim();
  throw new InvalidArgument(parameter, `expected a duration such as "500ms", "30s", "5m" or seconds > 0, got ${show(value)}`);
}

/** Seconds of a duration in the contract's forms (a bare number is seconds). */
export function durationSeconds(value: string | number): number {
  if (typeof value === "number") return value;
  const text = value.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) return Number(text);
  let total = 0;
  for (const [, n, unit] of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(n) * SECONDS[unit];
  return total;
}

export function checkMaxRetries(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_RETRIES) return value;
  throw new InvalidArgument("maxRetries", `expected an integer from 0 to ${MAX_RETRIES}, got ${show(value)}`);
}

function checkStrings(parameter: string, values: unknown): string[] | undefined {
  if (values === undefined || values === null) return undefined;
  if (!Array.isArray(values)) throw new InvalidArgument(parameter, `expected an array of strings, got ${show(values)}`);
  for (const value of values) {
    if (typeof value !== "string" || value.length === 0) {
      throw new InvalidArgument(parameter, `expected non-empty strings, got ${show(value)}`);
    }
  }
  return [...values];
}

function checkEnv(values: unknown): string[] | undefined {
  const checked = checkStrings("envVariables", values);
  for (const name of checked ?? []) {
    if (name.includes("=")) throw new InvalidArgument("envVariables", `a variable name cannot hold "=": ${show(name)}`);
  }
  return checked;
}

function checkFiles(values: unknown): FileGrant[] | undefined {
  if (values === undefined || values === null) return undefined;
  if (!Array.isArray(values)) throw new InvalidArgument("allowedFiles", `expected an array, got ${show(values)}`);
  return values.map((value) => {
    if (typeof value === "string" && value.length > 0) return value;
    if (value && typeof value === "object" && typeof value.path === "string" && value.path.length > 0) {
      if (value.mode !== undefined && value.mode !== "ro" && value.mode !== "rw") {
        throw new InvalidArgument("allowedFiles", `mode must be "ro" or "rw": ${show(value)}`);
      }
      return { ...value };
    }
    throw new InvalidArgument("allowedFiles", `expected "DIR", "DIR:ro" or {path: DIR, mode: "ro"}, got ${show(value)}`);
  });
}

/** The fuel the compute option names (MEDIUM when unset). */
export function fuelOf(compute: string | number | undefined): number {
  if (compute === undefined) return LEVELS.MEDIUM;
  return typeof compute === "number" ? compute : LEVELS[compute];
}

/** The level topic suffix: a level by name, custom fuel to the smallest level that holds it. */
export function levelOf(compute: string | number | undefined): string {
  if (typeof compute === "string") return compute.toLowerCase();
  const fuel = fuelOf(compute);
  if (fuel <= LEVELS.LOW) return "low";
  return fuel <= LEVELS.MEDIUM ? "medium" : "high";
}

/** The request's limits and permissions objects, in the contract's snake_case. */
export function limitsJson(options: TaskOptions): Record<string, unknown> {
  return dropUndefined({ compute: options.compute, ram: options.ram, timeout: options.timeout, max_retries: options.maxRetries });
}

export function permissionsJson(options: TaskOptions): Record<string, unknown> {
  return dropUndefined({
    allowed_files: options.allowedFiles,
    allowed_hosts: options.allowedHosts,
    env_variables: options.envVariables,
  });
}

export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function show(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}
