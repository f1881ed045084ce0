/**
 * capsule-client: run Capsule tasks on a Kafka-fed fleet, or locally, with capsule-run's run().
 *
 *     import { run } from "capsule-client";   // was: import { run } from "@capsule-run/sdk/runner"
 *     const result = await run({ file: "./hello.ts", args: [] });
 *
 * With bootstrapServers or $CAPSULE_BOOTSTRAP_SERVERS the task goes to that fleet (one shared
 * Client per cluster; closeAll() closes them); with neither it runs on this machine through the
 * capsule command. Either way the result is the envelope, as capsule-run returns it.
 */
import { Client, ClientOptions, RunSpec } from "./fleet.js";
import type { Envelope } from "./envelope.js";
import { InvalidArgument } from "./errors.js";
import { checkOptions, checkTimeout } from "./options.js";
import { LocalCall, runLocal } from "./local.js";
import { resolve } from "node:path";

export { Client, TaskHandle, defaultWaitMs } from "./fleet.js";
export type { ClientOptions, RunSpec, TaskSpec } from "./fleet.js";
export type { Envelope, TaskStatus, HostRequest } from "./envelope.js";
export { raiseForError, errorType } from "./envelope.js";
export type { TaskOptions, FileGrant } from "./options.js";
export { CapsuleError, CapsuleTimeout, FleetError, InvalidArgument, LocalRunError, TaskCancelled, TaskFailed } from "./errors.js";

export interface RunOptions extends RunSpec, LocalCall {
  /** The fleet; default $CAPSULE_BOOTSTRAP_SERVERS; with neither the task runs locally. */
  bootstrapServers?: string | string[];
  /** Other client settings (topicPrefix, kafka: {ssl, sasl, ...}) for the shared client. */
  client?: Omit<ClientOptions, "bootstrapServers">;
}

const shared = new Map<string, Promise<Client>>();

/** Runs one task and resolves with its envelope (a failed task too: see raiseForError). */
export async function run(options: RunOptions): Promise<Envelope> {
  if (!options || typeof options !== "object") throw new InvalidArgument("options", "expected { file, args, ... }");
  const checked = checkOptions(options);
  const servers = options.bootstrapServers ?? process.env.CAPSULE_BOOTSTRAP_SERVERS;
  if (!servers || servers.length === 0) {
    if (options.client) throw new InvalidArgument("client", "client settings need a cluster (bootstrapServers or $CAPSULE_BOOTSTRAP_SERVERS)");
    if (options.waitMs !== undefined) checkTimeout("waitMs", options.waitMs);
    return runLocal(options.file, options.args, checked, options.task, options.waitMs, options);
  }
  if (options.mounts?.length) {
    throw new InvalidArgument("mounts", "host mounts apply to local runs; on a fleet grant allowedFiles under the worker's --files-root");
  }
  const client = await sharedClient(servers, options.client ?? {});
  const file = options.cwd !== undefined && options.file !== undefined ? resolve(options.cwd, options.file) : options.file;
  return client.run({ ...options, file });
}

function sharedClient(servers: string | string[], settings: Omit<ClientOptions, "bootstrapServers">): Promise<Client> {
  const key = JSON.stringify([servers, settings]);
  let client = shared.get(key);
  if (!client) {
    client = Client.connect({ ...settings, bootstrapServers: servers });
    shared.set(key, client);
    client.catch(() => shared.delete(key));
  }
  return client;
}

/** Closes the clients run() opened (call before the process should exit). */
export async function closeAll(): Promise<void> {
  const clients = [...shared.values()];
  shared.clear();
  await Promise.all(clients.map((c) => c.then((client) => client.close(), () => undefined)));
}
