// Over 400 lines: the public client API (submit, await, cancel, status, modules) with its Javadoc.
package io.capsule.dispatcher;

import static io.capsule.protocol.WireHeader.newTraceparent;

import com.fasterxml.jackson.databind.JsonNode;
import io.capsule.dispatcher.internal.EventLog;
import io.capsule.dispatcher.internal.KafkaSettings;
import io.capsule.dispatcher.internal.ModuleUploads;
import io.capsule.dispatcher.internal.ReplyListener;
import io.capsule.dispatcher.internal.Sends;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ModuleRef;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.ScriptRef;
import io.capsule.protocol.Sha256;
import io.capsule.protocol.TaskCancel;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.TaskState;
import io.capsule.protocol.Topics;
import io.capsule.protocol.WireRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;

/**
 * The Java client of a Capsule fleet: submits tasks to their level topics, uploads modules once by
 * hash, correlates result envelopes by task id, reads a task's status and cancels tasks.
 *
 * <pre>{@code
 * try (CapsuleClient client = CapsuleClient.builder().bootstrapServers("localhost:9092").build()) {
 *   TaskHandle task = client.submit(wasm, List.of(), TaskOptions.NONE);
 *   ResultEnvelope envelope = task.result().get(1, TimeUnit.MINUTES);
 * }
 * }</pre>
 *
 * <p>Modules up to {@link Builder#DEFAULT_INLINE_THRESHOLD} bytes travel inline in the request (one
 * record, no lookup by the worker); larger ones are published once to the compacted modules topic
 * and the request names their SHA-256. A client built with {@link Builder#queuedEvents(boolean)}
 * publishes a {@code queued} lifecycle event before each request and waits for its acknowledgement,
 * so a worker's {@code running} event always lands after it on the compacted events topic; without
 * it (the default) a task has no event until a worker publishes one, and each task costs the fleet
 * one record less.
 *
 * <p>Thread-safe. One producer and two reading threads per client (replies, and lifecycle events
 * read in batches up to 100 ms late: they matter for cancels, envelopes sent to another reply topic
 * and {@link Builder#onEvent}); {@link #status(String)} opens a short-lived consumer per call.
 */
public final class CapsuleClient implements AutoCloseable {
  private final FleetConnection connection;
  private final String replyTopic;
  private final int inlineThreshold;
  private final boolean queuedEvents;
  private final Producer<String, byte[]> producer;
  private final ModuleUploads modules;
  private final ReplyListener replies;
  private final EventLog events;
  // Sends chained on an acknowledgement run here, never on the producer's I/O thread (a send that
  // waits for metadata there would wait for itself).
  private final ExecutorService sender;

  private CapsuleClient(Builder builder) {
    this.connection = builder.connection();
    this.replyTopic =
        builder.replyTopic != null ? builder.replyTopic : connection.topics().results();
    this.inlineThreshold = builder.inlineThreshold;
    this.queuedEvents = builder.queuedEvents;
    this.events = new EventLog(connection, builder.readTimeout);
    this.replies = new ReplyListener(connection, replyTopic, builder.observer);
    this.producer = new KafkaProducer<>(KafkaSettings.producer(connection, "dispatcher"));
    this.modules = new ModuleUploads(producer, connection.topics().modules());
    this.sender = Executors.newSingleThreadExecutor(CapsuleClient::senderThread);
  }

  private static Thread senderThread(Runnable task) {
    Thread thread = new Thread(task, "capsule-dispatch");
    thread.setDaemon(true);
    return thread;
  }

  /** Starts a builder; bootstrap servers are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Submits a module with arguments and options as a new task.
   *
   * @param module the module bytes (WebAssembly binary)
   * @param args the task's JSON arguments
   * @param options its limits and permissions; unset ones take the worker's defaults
   * @return the task's handle; its futures complete when Kafka accepts it and when it finishes
   */
  public TaskHandle submit(byte[] module, List<JsonNode> args, TaskOptions options) {
    return submit(TaskRequest.of(ModuleRef.inline(module), args, options));
  }

  /**
   * Submits a Python or JavaScript/TypeScript task file as a new task; the worker runs it on the
   * matching interpreter. Sources above the inline threshold are uploaded to the modules topic and
   * sent by hash.
   *
   * @param fileName the file's name ({@code .py}, {@code .js}, {@code .mjs}, {@code .ts}, {@code
   *     .mts}): it picks the interpreter
   * @param source the file's text
   * @param args the task's JSON arguments
   * @param options its limits and permissions; unset ones take the worker's defaults
   * @throws io.capsule.protocol.InvalidRequestException when the file name is not a script's
   */
  public TaskHandle submitScript(
      String fileName, String source, List<JsonNode> args, TaskOptions options) {
    return submit(TaskRequest.of(ScriptRef.inline(fileName, source), args, options));
  }

  /**
   * Submits a prepared request. Inline modules above the inline threshold are uploaded to the
   * modules topic and replaced by their hash; a request without {@code reply_to} gets this client's
   * reply topic.
   */
  public TaskHandle submit(TaskRequest request) {
    TaskRequest ready = request.replyTo() == null ? request.withReplyTo(replyTopic) : request;
    CompletableFuture<ResultEnvelope> result = replies.await(ready.id());
    CompletableFuture<TaskRequest> announced = moduleReady(ready);
    if (queuedEvents) {
      announced = announced.thenComposeAsync(this::publishQueued, sender);
    }
    CompletableFuture<Void> accepted =
        announced.thenComposeAsync(this::publishRequest, sender).thenApply(r -> null);
    accepted.whenComplete((ok, error) -> failOnRejection(ready.id(), result, error));
    return new TaskHandle(ready.id(), ready.level(), accepted, result);
  }

  /**
   * The latest lifecycle event of a task, read from the compacted events topic; works for any task
   * id, also after this client or the whole fleet restarted. A terminal event carries the final
   * envelope.
   */
  public Optional<LifecycleEvent> status(String taskId) {
    Objects.requireNonNull(taskId, "taskId");
    return events.latest(taskId);
  }

  /**
   * Waits for the final envelope of any task (submitted by this client or not, before or after this
   * client started).
   *
   * @throws AwaitTimeoutException when no final envelope arrives in time
   * @throws CancellationException when the task is cancelled
   */
  public ResultEnvelope await(String taskId, Duration timeout) {
    CompletableFuture<ResultEnvelope> future = replies.await(taskId);
    status(taskId).ifPresent(event -> completeFrom(taskId, event));
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      replies.forget(taskId, future);
      throw new AwaitTimeoutException(taskId, timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while waiting for task " + taskId);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new DispatcherException("await", e);
    }
  }

  /**
   * Cancels a task: publishes a terminal {@code cancelled} event for it, then a {@link TaskCancel}
   * on its level topic (on every level topic when its level is not known yet), and cancels this
   * client's future. The worker that owns the task's request drops it if it has not started, or
   * stops its running attempt (classic consumer groups; with share groups a running task stops only
   * when the cancel reaches the worker running it).
   *
   * @return {@code false} when the task had already finished (nothing was published)
   */
  public boolean cancel(String taskId) {
    Optional<LifecycleEvent> latest = status(taskId);
    if (latest.isPresent() && latest.get().state().terminal()) {
      return false;
    }
    String level = latest.map(LifecycleEvent::level).orElse(null);
    LifecycleEvent cancelled =
        LifecycleEvent.of(taskId, TaskState.CANCELLED, level, 0, null)
            .withError(null, "cancelled by " + connection.clientId());
    join(publishEvent(cancelled));
    TaskCancel cancel = TaskCancel.of(taskId, connection.clientId());
    var record =
        WireRecord.json(
            connection.topics().cancels(), TaskCancel.SCHEMA, taskId, cancel, newTraceparent());
    join(Sends.send(producer, record, "cancel of " + taskId));
    replies.cancel(taskId);
    return true;
  }

  /** The topic this client reads replies from. */
  public String replyTopic() {
    return replyTopic;
  }

  /** The topic names in use. */
  public Topics topics() {
    return connection.topics();
  }

  /** Sends buffered records and closes the producer and the reply reader. */
  @Override
  public void close() {
    try {
      sender.shutdown();
      producer.close(Duration.ofSeconds(10));
    } finally {
      replies.close();
    }
  }

  private CompletableFuture<TaskRequest> moduleReady(TaskRequest request) {
    if (request.script() != null) {
      return scriptReady(request);
    }
    byte[] inline = request.module().inline();
    if (inline == null || inline.length <= inlineThreshold) {
      return CompletableFuture.completedFuture(request);
    }
    String sha256 = Sha256.hex(inline);
    return modules
        .ensure(sha256, inline)
        .thenApply(v -> request.withModule(ModuleRef.byHash(sha256)));
  }

  private CompletableFuture<TaskRequest> scriptReady(TaskRequest request) {
    ScriptRef script = request.script();
    byte[] source =
        script.source() == null ? null : script.source().getBytes(StandardCharsets.UTF_8);
    if (source == null || source.length <= inlineThreshold) {
      return CompletableFuture.completedFuture(request);
    }
    String sha256 = Sha256.hex(source);
    return modules
        .ensure(sha256, source)
        .thenApply(v -> request.withScript(ScriptRef.byHash(script.fileName(), sha256)));
  }

  private CompletableFuture<TaskRequest> publishQueued(TaskRequest request) {
    LifecycleEvent queued =
        LifecycleEvent.of(
            request.id(), TaskState.QUEUED, request.level().topicSuffix(), request.attempt(), null);
    return publishEvent(queued).thenApply(m -> request);
  }

  private CompletableFuture<?> publishEvent(LifecycleEvent event) {
    var record =
        WireRecord.json(
            connection.topics().events(),
            LifecycleEvent.SCHEMA,
            event.taskId(),
            event,
            newTraceparent());
    return Sends.send(producer, record, event.state().wireName() + " event");
  }

  private CompletableFuture<?> publishRequest(TaskRequest request) {
    var record =
        WireRecord.json(
            connection.topics().tasks(request.level()),
            TaskRequest.SCHEMA,
            request.id(),
            request,
            newTraceparent());
    return Sends.send(producer, record, "task " + request.id());
  }

  private void completeFrom(String taskId, LifecycleEvent event) {
    if (event.state() == TaskState.CANCELLED) {
      replies.cancel(taskId);
    } else if (event.state().terminal() && event.envelope() != null) {
      replies.complete(taskId, event.envelope());
    }
  }

  private void failOnRejection(
      String taskId, CompletableFuture<ResultEnvelope> result, Throwable error) {
    if (error != null) {
      replies.forget(taskId, result);
      result.completeExceptionally(
          error instanceof java.util.concurrent.CompletionException c ? c.getCause() : error);
    }
  }

  private static void join(CompletableFuture<?> future) {
    try {
      future.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** Builds a {@link CapsuleClient}; each setter validates at once. */
  public static final class Builder {
    /** Modules up to this many bytes travel inline by default: 64 KiB. */
    public static final int DEFAULT_INLINE_THRESHOLD = 64 * 1024;

    private FleetConnection connection;
    private String bootstrapServers;
    private String topicPrefix = Topics.DEFAULT.prefix();
    private Map<String, String> properties = Map.of();
    private String clientId;
    private String replyTopic;
    private int inlineThreshold = DEFAULT_INLINE_THRESHOLD;
    private boolean queuedEvents;
    private Duration readTimeout = Duration.ofSeconds(30);
    private Consumer<LifecycleEvent> observer; // none: only awaited tasks' events are parsed

    private Builder() {}

    /** Uses a prepared connection (its servers, topics, properties and client id). */
    public Builder connection(FleetConnection connection) {
      this.connection = Objects.requireNonNull(connection, "connection");
      return this;
    }

    /** Sets Kafka's {@code bootstrap.servers}. */
    public Builder bootstrapServers(String servers) {
      this.bootstrapServers = Objects.requireNonNull(servers, "servers");
      return this;
    }

    /** Sets the topic prefix (default {@code capsule}). */
    public Builder topicPrefix(String prefix) {
      this.topicPrefix = new Topics(prefix).prefix();
      return this;
    }

    /** Adds any Kafka client properties (security, timeouts...). */
    public Builder kafkaProperties(Map<String, String> properties) {
      this.properties = Map.copyOf(properties);
      return this;
    }

    /** Sets the {@code client.id} stem (default {@code capsule}). */
    public Builder clientId(String clientId) {
      this.clientId = clientId;
      return this;
    }

    /**
     * Reads replies from a private topic instead of the shared results topic; it must exist (or the
     * cluster must auto-create topics). Requests without {@code reply_to} name it.
     */
    public Builder replyTopic(String topic) {
      this.replyTopic = new Topics(Objects.requireNonNull(topic, "topic")).prefix();
      return this;
    }

    /** Modules up to this many bytes travel inline; 0 uploads every module by hash. */
    public Builder inlineThreshold(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("inline threshold cannot be negative");
      }
      this.inlineThreshold = bytes;
      return this;
    }

    /**
     * Whether a {@code queued} event precedes each request on the events topic, acknowledged before
     * the request is sent (default {@code false}): then {@link #status(String)}, {@code capsule
     * status} and the gateway show a task as queued before any worker took it. Without it a task
     * waiting for a worker has no state yet, and each task costs one record (and one round trip)
     * less. The gateway and {@code capsule submit} turn it on.
     */
    public Builder queuedEvents(boolean queuedEvents) {
      this.queuedEvents = queuedEvents;
      return this;
    }

    /**
     * Observes every lifecycle event published after the client starts (of any task), on the
     * client's events thread, up to 100 ms after it was written; keep it quick. For logs and
     * dashboards. Without an observer the client parses only the events of tasks it awaits.
     */
    public Builder onEvent(Consumer<LifecycleEvent> observer) {
      this.observer = Objects.requireNonNull(observer, "observer");
      return this;
    }

    /** How long a status read may take (default 30s). */
    public Builder readTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("read timeout must be positive");
      }
      this.readTimeout = timeout;
      return this;
    }

    /**
     * Connects: positions the reply reader at the current ends of the reply and events topics (they
     * must exist) and starts it.
     *
     * @throws DispatcherException when a topic is missing or Kafka cannot be reached
     */
    public CapsuleClient build() {
      CapsuleClient client = new CapsuleClient(this);
      client.replies.start();
      return client;
    }

    FleetConnection connection() {
      if (connection != null) {
        return connection;
      }
      return new FleetConnection(bootstrapServers, new Topics(topicPrefix), properties, clientId);
    }
  }
}
