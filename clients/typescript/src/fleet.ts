/** The Kafka client of a Capsule fleet, over kafkajs. */
import { randomUUID } from "node:crypto";
import kafkajs from "kafkajs";
import type { Admin, Consumer, EachMessageHandler, Kafka as KafkaType, KafkaConfig, Producer } from "kafkajs";
import type { Envelope, TaskStatus } from "./envelope.js";
import { CapsuleTimeout, FleetError, InvalidArgument, TaskCancelled } from "./errors.js";
import { TaskOptions, checkOptions, checkTimeout, durationSeconds } from "./options.js";
import { TaskRequest, buildRequest } from "./request.js";
import { readSource, scriptSource } from "./source.js";
import * as wire from "./wire.js";

const { Kafka, Partitioners, logLevel } = kafkajs;
const RECENT = 10_000;
const CANCELLED = Symbol("cancelled");
const DEFAULT_ATTEMPT_SECONDS = 300; // the worker's default timeout (--default-timeout)
const WAIT_SLACK_SECONDS = 120;

/** Where a task comes from and how it runs: capsule-run's options, camelCase as its TS SDK. */
export interface TaskSpec extends TaskOptions {
  /** A .wasm module or a .py/.js/.mjs/.ts/.mts task file. */
  file?: string;
  /** Instead of file: a script's text, with its fileName. */
  source?: string;
  fileName?: string;
  args?: unknown[];
  /** The task to run (default "main"). */
  task?: string;
  taskId?: string;
}

export interface RunSpec extends TaskSpec {
  /** Bound on the wait in ms (CapsuleTimeout past it); default: every attempt's timeout plus 2 minutes. */
  waitMs?: number;
}

export interface ClientOptions {
  /** "host:port,host:port" or a list; default $CAPSULE_BOOTSTRAP_SERVERS. */
  bootstrapServers?: string | string[];
  topicPrefix?: string;
  /** Read replies from this private topic (created if allowed) instead of the shared results topic. */
  replyTopic?: string;
  clientId?: string;
  inlineThreshold?: number;
  /** Any other kafkajs setting: ssl, sasl, connectionTimeout, logLevel, ... */
  kafka?: Partial<KafkaConfig>;
}

/** A submitted task: its id, level topic suffix, and its final envelope to wait for. */
export class TaskHandle {
  constructor(private readonly client: Client, readonly id: string, readonly level: string) {}

  /** Waits at most waitMs for the envelope (CapsuleTimeout after). */
  result(waitMs: number): Promise<Envelope> {
    return this.client.wait(this.id, waitMs);
  }
}

interface Waiter {
  resolve(envelope: Envelope): void;
  reject(error: Error): void;
}

/** The default wait: every attempt's timeout (the worker default, 5m, when none) plus two minutes. */
export function defaultWaitMs(options: TaskOptions): number {
  const attempt = options.timeout === undefined ? DEFAULT_ATTEMPT_SECONDS : durationSeconds(options.timeout);
  return (attempt * ((options.maxRetries ?? 0) + 1) + WAIT_SLACK_SECONDS) * 1000;
}

/**
 * One connection to a fleet: a producer and one reader of the reply and events topics (positioned
 * at their ends before the first request goes out, so no reply passes unseen). Create it with
 * {@link Client.connect}; close it to stop its consumer.
 */
export class Client {
  readonly topics: wire.Topics;
  readonly replyTopic: string;
  readonly clientId: string;
  private readonly pending = new Map<string, Set<Waiter>>();
  private readonly recent = new Map<string, Buffer | typeof CANCELLED>();
  private readonly submitted = new Set<string>();
  private readonly uploads = new Map<string, Promise<void>>();
  private readonly groupId: string;
  private closed = false;

  private constructor(
    private readonly kafka: KafkaType,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly reader: Consumer,
    topics: wire.Topics,
    replyTopic: string,
    clientId: string,
    groupId: string,
    private readonly inlineThreshold: number,
  ) {
    this.topics = topics;
    this.replyTopic = replyTopic;
    this.clientId = clientId;
    this.groupId = groupId;
  }

  /** Connects to the cluster named by bootstrapServers or $CAPSULE_BOOTSTRAP_SERVERS. */
  static async connect(options: ClientOptions = {}): Promise<Client> {
    const servers = options.bootstrapServers ?? process.env.CAPSULE_BOOTSTRAP_SERVERS;
    const brokers = (Array.isArray(servers) ? servers : (servers ?? "").split(",")).map((s) => s.trim()).filter(Boolean);
    if (brokers.length === 0) {
      throw new InvalidArgument("bootstrapServers", "name the cluster (bootstrapServers or $CAPSULE_BOOTSTRAP_SERVERS)");
    }
    const threshold = options.inlineThreshold ?? wire.INLINE_THRESHOLD;
    if (!Number.isInteger(threshold) || threshold < 0) throw new InvalidArgument("inlineThreshold", `expected bytes >= 0, got ${threshold}`);
    const topics = new wire.Topics(options.topicPrefix ?? "capsule");
    const clientId = options.clientId ?? "capsule-typescript";
    const replyTopic = options.replyTopic ?? topics.results;
    const kafka = new Kafka({ logLevel: logLevel.ERROR, ...options.kafka, clientId, brokers });
    const admin = kafka.admin();
    await admin.connect();
    const groupId = `${clientId}-replies-${randomUUID()}`;
    let producer: Producer | undefined;
    let reader: Consumer | undefined;
    try {
      if (options.replyTopic) {
        await admin.createTopics({ topics: [{ topic: replyTopic, numPartitions: 1 }] }).catch(() => false);
      }
      const ends = await endsOf(admin, [replyTopic, topics.events]);
      producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // keys hash as the Java clients and workers hash them (murmur2), so that a task's queued
        // event and its workers' events share a partition of the compacted events topic
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      reader = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
      const client = new Client(kafka, admin, producer, reader, topics, replyTopic, clientId, groupId, threshold);
      await client.startReading(ends);
      return client;
    } catch (e) {
      await reader?.disconnect().catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
      await admin.disconnect();
      throw e instanceof FleetError || e instanceof InvalidArgument ? e : new FleetError(`cannot connect to ${brokers}: ${(e as Error).message}`);
    }
  }

  /** Submits a task and resolves once Kafka has acknowledged it. */
  async submit(spec: TaskSpec): Promise<TaskHandle> {
    const options = checkOptions(spec);
    const source = spec.source !== undefined ? scriptSource(spec.fileName, spec.source) : readSource(spec.file);
    if (spec.source !== undefined && spec.file !== undefined) throw new InvalidArgument("source", "give either file or source with fileName, not both");
    const request = buildRequest(source, spec.args, options, {
      task: spec.task,
      taskId: spec.taskId,
      replyTo: this.replyTopic,
      inlineThreshold: this.inlineThreshold,
    });
    this.remember(this.submitted, request.id);
    await this.publish(request);
    return new TaskHandle(this, request.id, request.level);
  }

  /** Submits a task and resolves with its final envelope (a failed task too: see raiseForError). */
  async run(spec: RunSpec): Promise<Envelope> {
    const options = checkOptions(spec);
    const waitMs = spec.waitMs ?? defaultWaitMs(options);
    checkTimeout("waitMs", waitMs);
    const handle = await this.submit(spec);
    return handle.result(waitMs);
  }

  /** Waits for the final envelope of any task (this client's or not, before or after it started). */
  wait(taskId: string, waitMs: number): Promise<Envelope> {
    if (typeof taskId !== "string" || taskId.length === 0) throw new InvalidArgument("taskId", `expected a task id, got ${taskId}`);
    checkTimeout("waitMs", waitMs);
    return new Promise<Envelope>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(taskId, waiter);
        reject(new CapsuleTimeout(taskId, waitMs));
      }, waitMs);
      const waiter: Waiter = {
        resolve: (envelope) => (clearTimeout(timer), resolve(envelope)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.register(taskId, waiter);
    });
  }

  /**
   * The task's latest lifecycle event (state, level, attempt, worker, and on a terminal state its
   * envelope), read from the compacted events topic: the partition the id hashes to, from its start
   * to its current end. null for an unknown task.
   */
  async status(taskId: string, timeoutMs = 30_000): Promise<TaskStatus | null> {
    if (typeof taskId !== "string" || taskId.length === 0) throw new InvalidArgument("taskId", `expected a task id, got ${taskId}`);
    const topic = this.topics.events;
    const offsets = await this.admin.fetchTopicOffsets(topic);
    const target = offsets.find((o) => o.partition === wire.partitionFor(taskId, offsets.length))!;
    if (BigInt(target.high) <= BigInt(target.low)) return null;
    const groupId = `${this.clientId}-status-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    try {
      return await readLatest(consumer, { topic, partition: target.partition, offset: target.low }, BigInt(target.high), taskId, timeoutMs);
    } finally {
      await consumer.disconnect();
      await this.admin.deleteGroups([groupId]).catch(() => undefined);
    }
  }

  /**
   * Cancels a task: a terminal cancelled event, then a capsule.cancel/v1 record that every worker
   * follows. Its waiters get TaskCancelled. false when it had already finished (nothing published).
   */
  async cancel(taskId: string): Promise<boolean> {
    const latest = await this.status(taskId);
    if (latest && wire.TERMINAL_STATES.has(latest.state)) return false;
    const event: Record<string, unknown> = {
      schema: wire.EVENT_SCHEMA,
      task_id: taskId,
      state: "cancelled",
      attempt: 0,
      at: Date.now(),
      message: `cancelled by ${this.clientId}`,
    };
    if (latest?.level) event.level = latest.level;
    await this.send(this.topics.events, taskId, Buffer.from(JSON.stringify(event)), wire.EVENT_SCHEMA);
    const cancel = { schema: wire.CANCEL_SCHEMA, task_id: taskId, by: this.clientId, at: Date.now() };
    await this.send(this.topics.cancels, taskId, Buffer.from(JSON.stringify(cancel)), wire.CANCEL_SCHEMA);
    this.remember(this.recent, taskId, CANCELLED);
    this.finish(taskId, undefined, new TaskCancelled(taskId));
    return true;
  }

  /** Stops the reader, disconnects, and removes this client's consumer group. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const taskId of [...this.pending.keys()]) {
      this.finish(taskId, undefined, new FleetError(`the client closed while waiting for task ${taskId}`));
    }
    await this.reader.disconnect();
    await this.producer.disconnect();
    await this.admin.deleteGroups([this.groupId]).catch(() => undefined);
    await this.admin.disconnect();
  }

  // --- publishing ---------------------------------------------------------------------------

  private async publish(request: TaskRequest): Promise<void> {
    if (request.upload) await this.upload(request.upload.sha256, request.upload.data);
    const queued = { schema: wire.EVENT_SCHEMA, task_id: request.id, state: "queued", level: request.level, attempt: 1, at: Date.now() };
    // acknowledged before the request, so a worker's running event always lands after it
    await this.send(this.topics.events, request.id, Buffer.from(JSON.stringify(queued)), wire.EVENT_SCHEMA);
    await this.send(this.topics.tasks(request.level), request.id, Buffer.from(JSON.stringify(request.value)), wire.TASK_SCHEMA);
  }

  /** Publishes a module or source once per client, keyed by its hash; a failure is retried next time. */
  private upload(digest: string, data: Buffer): Promise<void> {
    let upload = this.uploads.get(digest);
    if (!upload) {
      upload = this.send(this.topics.modules, digest, data, wire.MODULE_SCHEMA);
      this.uploads.set(digest, upload);
      upload.catch(() => this.uploads.delete(digest));
    }
    return upload;
  }

  private async send(topic: string, key: string, value: Buffer, schema: string): Promise<void> {
    try {
      await this.producer.send({ topic, acks: -1, messages: [{ key, value, headers: wire.headers(schema, key) }] });
    } catch (e) {
      throw new FleetError(`${schema} record ${key} to ${topic}: ${(e as Error).message}`);
    }
  }

  // --- reading replies and events -----------------------------------------------------------

  /** Reads the reply and events topics from the ends taken before the first request went out. */
  private async startReading(ends: Seek[]): Promise<void> {
    await joinAndSeek(this.reader, ends, async ({ topic, message }) => {
      if (!message.key || !message.value) return;
      try {
        this.dispatch(topic, message.key.toString("utf8"), message.value);
      } catch {
        // records come from anyone who can produce here: one that breaks a parser must not stop
        // the reader (kafkajs would retry it forever)
      }
    });
  }

  private register(taskId: string, waiter: Waiter): void {
    let waiters = this.pending.get(taskId);
    if (!waiters) this.pending.set(taskId, (waiters = new Set()));
    waiters.add(waiter);
    const seen = this.recent.get(taskId);
    const envelope = seen === undefined || seen === CANCELLED ? null : parseEnvelope(seen);
    if (seen === CANCELLED) {
      this.finish(taskId, undefined, new TaskCancelled(taskId));
    } else if (envelope) {
      this.finish(taskId, envelope);
    } else if (!this.submitted.has(taskId)) {
      // a task submitted elsewhere may have finished before this client started reading
      this.status(taskId).then(
        (latest) => this.completeFrom(taskId, latest),
        () => undefined,
      );
    }
  }

  private completeFrom(taskId: string, latest: TaskStatus | null): void {
    if (latest?.state === "cancelled") this.finish(taskId, undefined, new TaskCancelled(taskId));
    else if (latest && wire.TERMINAL_STATES.has(latest.state) && latest.envelope) this.finish(taskId, latest.envelope);
  }

  private forget(taskId: string, waiter: Waiter): void {
    const waiters = this.pending.get(taskId);
    waiters?.delete(waiter);
    if (waiters?.size === 0) this.pending.delete(taskId);
  }

  private finish(taskId: string, envelope?: Envelope, error?: Error): void {
    const waiters = this.pending.get(taskId);
    this.pending.delete(taskId);
    for (const waiter of waiters ?? []) {
      if (error) waiter.reject(error);
      else waiter.resolve(envelope!);
    }
  }

  private dispatch(topic: string, key: string, value: Buffer): void {
    if (topic === this.replyTopic) {
      if (this.submitted.has(key)) this.remember(this.recent, key, value); // others' cost nothing
      if (this.pending.has(key)) {
        const envelope = parseEnvelope(value);
        if (envelope) this.finish(key, envelope);
      }
    } else if (this.pending.has(key) || this.submitted.has(key)) {
      this.onEvent(key, value); // an event: only those of this client's tasks are parsed
    }
  }

  private onEvent(key: string, value: Buffer): void {
    let event: TaskStatus;
    try {
      event = JSON.parse(value.toString("utf8"));
    } catch {
      return;
    }
    if (event.state === "cancelled") {
      this.remember(this.recent, key, CANCELLED);
      this.finish(key, undefined, new TaskCancelled(key));
    } else if (wire.TERMINAL_STATES.has(event.state) && event.envelope) {
      this.finish(key, event.envelope);
    }
  }

  private remember<V>(map: Map<string, V> | Set<string>, key: string, value?: V): void {
    if (map instanceof Set) map.add(key);
    else map.set(key, value as V);
    if (map.size > RECENT) {
      const oldest = map.keys().next().value as string;
      map.delete(oldest);
    }
  }
}

interface Seek {
  topic: string;
  partition: number;
  offset: string;
}

/** The current end offset of every partition of the topics. */
async function endsOf(admin: Admin, topics: string[]): Promise<Seek[]> {
  const ends: Seek[] = [];
  for (const topic of new Set(topics)) {
    let offsets;
    try {
      offsets = await admin.fetchTopicOffsets(topic);
    } catch (e) {
      throw new FleetError(`topic ${topic} does not exist (create it: capsule topics --create): ${(e as Error).message}`);
    }
    for (const o of offsets) ends.push({ topic, partition: o.partition, offset: o.high });
  }
  return ends;
}

/**
 * Joins the consumer's (new, single-member) group and, once it holds its partitions, moves it to
 * the given offsets: kafkajs cannot assign partitions, and its "latest" would be resolved only at
 * the first fetch, after records may have arrived. Records seen twice are harmless here.
 */
async function joinAndSeek(consumer: Consumer, seeks: Seek[], eachMessage: EachMessageHandler): Promise<void> {
  const joined = new Promise<void>((resolve) => {
    const stop = consumer.on(consumer.events.GROUP_JOIN, () => {
      stop();
      resolve();
    });
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...new Set(seeks.map((s) => s.topic))] });
  await consumer.run({ autoCommit: false, eachMessage });
  await joined;
  for (const seek of seeks) consumer.seek(seek);
}

async function readLatest(consumer: Consumer, start: Seek, high: bigint, taskId: string, timeoutMs: number): Promise<TaskStatus | null> {
  let latest: TaskStatus | null = null;
  let done: (value: TaskStatus | null) => void = () => undefined;
  const read = new Promise<TaskStatus | null>((resolve) => (done = resolve));
  await joinAndSeek(consumer, [start], async ({ partition, message }) => {
    const offset = BigInt(message.offset);
    if (partition !== start.partition || offset < BigInt(start.offset) || offset >= high) return;
    if (message.key?.toString("utf8") === taskId) latest = message.value ? parseEvent(message.value, latest) : null;
    if (offset + 1n >= high) done(latest);
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FleetError(`reading ${start.topic}[${start.partition}] took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
  }
}

function parseEvent(value: Buffer, previous: TaskStatus | null): TaskStatus | null {
  try {
    return JSON.parse(value.toString("utf8"));
  } catch {
    return previous; // an unreadable event is skipped
  }
}

function parseEnvelope(value: Buffer): Envelope | null {
  try {
    const parsed = JSON.parse(value.toString("utf8"));
    return parsed && typeof parsed === "object" && "success" in parsed ? parsed : null;
  } catch {
    return null;
  }
}
