/** The Kafka contract's names and encodings (docs/kafka-contract.md). */
import { createHash, randomBytes } from "node:crypto";
import { InvalidArgument } from "./errors.js";

export const TASK_SCHEMA = "capsule.task/v1";
export const EVENT_SCHEMA = "capsule.event/v1";
export const CANCEL_SCHEMA = "capsule.cancel/v1";
export const MODULE_SCHEMA = "capsule.module/v1";
export const TERMINAL_STATES = new Set(["succeeded", "failed", "dead_lettered", "cancelled"]);
export const INLINE_THRESHOLD = 64 * 1024;

/** Topic names under a prefix (default "capsule"). */
export class Topics {
  constructor(readonly prefix = "capsule") {
    if (!prefix || /\s/.test(prefix)) throw new InvalidArgument("topicPrefix", `expected a topic name prefix, got ${JSON.stringify(prefix)}`);
  }
  tasks(level: string): string {
    return `${this.prefix}.tasks.${level}`;
  }
  get results(): string {
    return `${this.prefix}.results`;
  }
  get events(): string {
    return `${this.prefix}.events`;
  }
  get modules(): string {
    return `${this.prefix}.modules`;
  }
  get cancels(): string {
    return `${this.prefix}.cancels`;
  }
}

/** The headers every record of the contract carries. */
export function headers(schema: string, key: string): Record<string, string> {
  return { "capsule-schema": schema, "capsule-task-id": key, traceparent: newTraceparent() };
}

/** A W3C traceparent: version 00, random non-zero trace and span ids, sampled. */
export function newTraceparent(): string {
  const trace = randomBytes(16);
  const span = randomBytes(8);
  trace[0] |= 1;
  span[0] |= 1;
  return `00-${trace.toString("hex")}-${span.toString("hex")}-01`;
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed 32-bit int. */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (length % 4) {
    case 3:
      h ^= data[whole + 2] << 16;
    // falls through
    case 2:
      h ^= data[whole + 1] << 8;
    // falls through
    case 1:
      h ^= data[whole];
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default (Java) partitioner picks for a string key. */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, "utf8")) & 0x7fffffff) % partitions;
}
