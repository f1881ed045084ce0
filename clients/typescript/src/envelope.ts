/** The result envelope, as capsule-run's run() returns it (result-envelope.schema.json). */
import { TaskFailed } from "./errors.js";

export interface HostRequest {
  method: string;
  url: string;
  status: number;
}

export interface Envelope {
  success: boolean;
  result: unknown;
  error: { error_type: string; message: string } | null;
  execution: {
    task_name: string;
    duration_ms: number;
    retries: number;
    fuel_consumed: number;
    ram_used: number;
    host_requests: HostRequest[];
  };
  task_id?: string;
  attempt?: number;
  worker?: string;
  logs?: string;
}

/** The latest lifecycle event of a task (lifecycle-event.schema.json). */
export interface TaskStatus {
  schema: string;
  task_id: string;
  state: "queued" | "running" | "retrying" | "succeeded" | "failed" | "dead_lettered" | "cancelled";
  level?: string;
  attempt?: number;
  worker?: string;
  at: number;
  error_type?: string;
  message?: string;
  envelope?: Envelope;
  parent_id?: string;
}

/** Throws {@link TaskFailed} (with errorType) when the task failed; returns the envelope. */
export function raiseForError(envelope: Envelope): Envelope {
  if (!envelope.success) {
    throw new TaskFailed(envelope);
  }
  return envelope;
}

/** The envelope's error_type, or null on success. */
export function errorType(envelope: Envelope): string | null {
  return envelope.error?.error_type ?? null;
}
