/** The client's errors: one root, a subtype per thing the caller does next. */
import type { Envelope } from "./envelope.js";

/** Root of every error this client throws. */
export class CapsuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bad argument to run/submit, refused before anything is sent; names the parameter. */
export class InvalidArgument extends CapsuleError {
  constructor(readonly parameter: string, message: string) {
    super(`${parameter}: ${message}`);
  }
}

/** No final envelope within the wait bound; the task may still run (see status(id)). */
export class CapsuleTimeout extends CapsuleError {
  constructor(readonly taskId: string, readonly waitMs: number) {
    super(`no result for task ${taskId} within ${waitMs} ms (it may still run: status("${taskId}"))`);
  }
}

/** The task was cancelled (by this client or anyone else) before it produced an envelope. */
export class TaskCancelled extends CapsuleError {
  constructor(readonly taskId: string) {
    super(`task ${taskId} was cancelled`);
  }
}

/** A final envelope with success false: its errorType, message and the envelope itself. */
export class TaskFailed extends CapsuleError {
  readonly errorType: string;
  readonly errorMessage: string;
  constructor(readonly envelope: Envelope) {
    const error = envelope.error ?? { error_type: "internal_error", message: "" };
    super(`${error.error_type}: ${error.message}`);
    this.errorType = error.error_type;
    this.errorMessage = error.message;
  }
}

/** Kafka refused or could not take a record, or a topic of the contract is missing. */
export class FleetError extends CapsuleError {}

/** The local capsule command is missing, refused its arguments or printed no envelope. */
export class LocalRunError extends CapsuleError {}
