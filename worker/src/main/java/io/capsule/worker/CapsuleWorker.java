// Over 400 lines: the worker's lifecycle and the one place its parts are wired together.
package io.capsule.worker;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.OperatorCeiling;
import io.capsule.protocol.RetryBackoff;
import io.capsule.sandbox.Sandbox;
import io.capsule.sandbox.SandboxConfig;
import io.capsule.worker.internal.Admission;
import io.capsule.worker.internal.CancelWatch;
import io.capsule.worker.internal.ChildTasks;
import io.capsule.worker.internal.ClassicLevelConsumer;
import io.capsule.worker.internal.EmptyFilesRoot;
import io.capsule.worker.internal.EventRecorder;
import io.capsule.worker.internal.GuestBoundary;
import io.capsule.worker.internal.HttpEndpoint;
import io.capsule.worker.internal.KafkaClients;
import io.capsule.worker.internal.Lease;
import io.capsule.worker.internal.LevelConsumer;
import io.capsule.worker.internal.LevelContext;
import io.capsule.worker.internal.ModuleCache;
import io.capsule.worker.internal.OffsetTracker;
import io.capsule.worker.internal.OutcomePolicy;
import io.capsule.worker.internal.OutcomePublisher;
import io.capsule.worker.internal.OutputFence;
import io.capsule.worker.internal.OutputPublisher;
import io.capsule.worker.internal.RecordIntake;
import io.capsule.worker.internal.Redeliveries;
import io.capsule.worker.internal.RetryingPublisher;
import io.capsule.worker.internal.RunningEvents;
import io.capsule.worker.internal.ShareLevelConsumer;
import io.capsule.worker.internal.TaskExecution;
import io.capsule.worker.internal.TaskLedger;
import io.capsule.worker.internal.TopicSetup;
import io.capsule.worker.internal.TransactionalOutputs;
import io.capsule.worker.internal.WorkerMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateless fleet worker: consumes its levels' task topics, runs each task's attempt in the
 * sandbox, and publishes envelopes, lifecycle events, retries and dead letters.
 *
 * <pre>{@code
 * CapsuleWorker worker = CapsuleWorker.create(WorkerConfig.builder()
 *     .withBootstrapServers("localhost:9092").withLevels("low,medium").build());
 * worker.start();
 * ...
 * worker.shutdown().join();   // drains in-flight tasks up to the grace period
 * }</pre>
 *
 * <p>Delivery: at-least-once execution; at most one final envelope per task id downstream, with the
 * limits documented in {@code worker/README.md}.
 */
public final class CapsuleWorker {
  private static final Logger LOG = LoggerFactory.getLogger(CapsuleWorker.class);

  /** Where a worker is in its lifecycle. */
  public enum State {
    /** Built, not started. */
    CREATED,
    /** Consuming and running tasks. */
    RUNNING,
    /** Shutting down: no new tasks; in-flight ones finish within the grace period. */
    DRAINING,
    /** Stopped; everything closed. */
    TERMINATED
  }

  private final WorkerConfig config;
  private final AtomicReference<State> state = new AtomicReference<>(State.CREATED);
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private final List<LevelConsumer> consumers = new ArrayList<>();
  private final Admission admission;
  private final WorkerMetrics metrics;
  private Sandbox sandbox;
  private KafkaProducer<String, byte[]> producer; // null with transactional outputs
  private OutputPublisher publisher;
  private TaskLedger ledger;
  private CancelWatch cancels;
  private ModuleCache modules;
  private TaskExecution execution;
  private RetryingPublisher retrying;
  private ExecutorService pool;
  private ScheduledExecutorService timer;
  private HttpEndpoint http;
  private volatile int handedBack;
  private Path noFilesRoot;

  private CapsuleWorker(WorkerConfig config) {
    this.config = config;
    this.admission = new Admission(config.concurrency(), config.memoryBudget().bytes());
    this.metrics = new WorkerMetrics(admission::running);
  }

  /** A worker with these settings; call {@link #start()}. */
  public static CapsuleWorker create(WorkerConfig config) {
    return new CapsuleWorker(config);
  }

  /** Its settings. */
  public WorkerConfig config() {
    return config;
  }

  /** Its lifecycle state. */
  public State state() {
    return state.get();
  }

  /**
   * Creates missing topics (if allowed), starts reading the events topic and one poll thread per
   * level, and serves metrics and health if a port is set.
   *
   * @throws IllegalStateException if already started
   */
  public CapsuleWorker start() {
    if (!state.compareAndSet(State.CREATED, State.RUNNING)) {
      throw new IllegalStateException("worker already started");
    }
    KafkaClients clients = new KafkaClients(config);
    if (config.createTopics()) {
      try (Admin admin = clients.admin()) {
        TopicSetup.createMissing(admin, config.topics(), config.levels());
      }
    }
    sandbox = Sandbox.create(sandboxConfig());
    OperatorCeiling ceiling = sandbox.config().ceiling();
    boolean transactional = config.outputs() == OutputMode.TRANSACTIONAL;
    producer = transactional ? null : clients.producer();
    if (producer != null) {
      OutputFence.knowTopics(producer, outputTopics());
    }
    KafkaConsumer<String, byte[]> ledgerReader =
        clients.batchedReader("ledger", TaskLedger.FETCH_WAIT);
    ledger =
        new TaskLedger(
            ledgerReader,
            config.topics().events(),
            transactional ? clients::highWatermarks : ledgerReader::endOffsets);
    ledger.start();
    cancels = new CancelWatch(clients.reader("cancels"), config.topics().cancels());
    modules = new ModuleCache(() -> clients.reader("modules"), config.topics().modules());
    publisher =
        transactional
            ? OutputPublisher.transactional(config.topics())
            : new OutputPublisher(producer, config.topics());
    EventRecorder events = new EventRecorder(publisher, ledger);
    // running-event timers are cancelled by most tasks: drop them from the queue at once
    var timers = new ScheduledThreadPoolExecutor(1, named("capsule-timer-"));
    timers.setRemoveOnCancelPolicy(true);
    timer = timers;
    retrying = new RetryingPublisher(metrics);
    OutcomePublisher outcomes =
        new OutcomePublisher(
            publisher,
            events,
            retrying,
            OutcomePolicy.forRecordsOf(ceiling, clients.maxEnvelopeRecordBytes()),
            new RetryBackoff(config.retryBackoff(), config.maxRetryBackoff()),
            metrics,
            config.workerId());
    ChildTasks children =
        new ChildTasks(
            publisher,
            events,
            ledger,
            admission,
            config.topics(),
            childLimits(ceiling),
            new OutputFence(metrics));
    execution =
        new TaskExecution(
            new GuestBoundary(sandbox, modules, children, ceiling, config.defaultTimeout()),
            outcomes,
            new Redeliveries(ledger, config.maxDeliveries()),
            new RunningEvents(events, timer, config.runningEventAfter(), new OutputFence(metrics)),
            cancels,
            metrics);
    // Admission bounds the running tasks (up to maxTasks() with long ones); the pool may hold
    // more threads than that because a parent waiting for its sub-tasks gives its slot back.
    cancels.onCancel(execution::cancelRunning);
    cancels.start();
    pool = Executors.newCachedThreadPool(named("capsule-task-"));
    RecordIntake intake =
        new RecordIntake(
            execution,
            outcomes,
            cancels,
            admission,
            pool,
            new RecordIntake.Ram(config.defaultRam().bytes(), ceiling.maxRam().bytes()));
    LevelContext context = new LevelContext(intake, admission, timer, ledger::catchUp, metrics);
    for (ComputeLevel level : config.levels()) {
      if (config.mode() == ConsumptionMode.SHARE) {
        startShareSlots(clients, level, context);
      } else {
        startClassic(clients, level, context);
      }
    }
    if (config.metricsPort() >= 0) {
      http = new HttpEndpoint(config.metricsPort(), metrics::scrape, this::healthy);
    }
    LOG.info("worker {} consuming {}", config.workerId(), config.levels());
    return this;
  }

  private void startClassic(KafkaClients clients, ComputeLevel level, LevelContext context) {
    String name = level.topicSuffix();
    String topic = config.topics().tasks(level);
    OffsetTracker offsets = new OffsetTracker();
    TransactionalOutputs transactions = null;
    if (publisher.transactional()) {
      transactions =
          new TransactionalOutputs(
              () -> clients.transactionalProducer(name),
              offsets,
              config.transactionInterval(),
              clients.maxRequestBytes());
      publisher.transactionsOf(name, topic, transactions);
    }
    KafkaConsumer<String, byte[]> group =
        clients.groupConsumer(config.groupId(level), "tasks-" + name);
    ClassicLevelConsumer consumer =
        new ClassicLevelConsumer(
            group,
            topic,
            name,
            context,
            new Lease(clients.leaseTerm()),
            offsets,
            transactions,
            // read_committed end offsets stop at open transactions, of which only a
            // transactional fleet writes any
            transactions != null ? clients::highWatermarks : group::endOffsets);
    cancels.onCancel(consumer::cancelWaiting);
    consumers.add(consumer);
    consumer.start();
  }

  private void startShareSlots(KafkaClients clients, ComputeLevel level, LevelContext context) {
    String group = config.shareGroupId(level);
    try (Admin admin = clients.admin()) {
      TopicSetup.readShareGroupFromEarliest(admin, group);
    }
    for (int slot = 0; slot < config.concurrency(); slot++) {
      LevelConsumer consumer =
          new ShareLevelConsumer(
              clients.shareConsumer(group, "share-" + level.topicSuffix() + "-" + slot),
              config.topics().tasks(level),
              level.topicSuffix(),
              context,
              slot);
      consumers.add(consumer);
      consumer.start();
    }
  }

  /**
   * The sandbox holds only what the policy grants: the allowlisted variables (so no bug elsewhere
   * can hand a task any other), the files root (or an empty directory of its own when the policy
   * grants no files), and the policy's ceiling, which bounds every task and sub-task.
   */
  /**
   * The topics most of this worker's outputs go to, which it cannot work without (its dead letters
   * and reply topics named by requests aside).
   */
  private List<String> outputTopics() {
    List<String> topics = new ArrayList<>();
    topics.add(config.topics().events());
    topics.add(config.topics().results());
    config.levels().forEach(level -> topics.add(config.topics().tasks(level)));
    return topics;
  }

  private SandboxConfig sandboxConfig() {
    WorkerPolicy policy = config.policy();
    SandboxConfig.Builder builder = SandboxConfig.builder();
    if (config.cacheDir() != null) {
      builder.withCacheDir(config.cacheDir());
    }
    return builder
        .withFilesRoot(filesRoot(policy))
        .withEnvironment(policy.taskEnvironment(config.environment()))
        .withDefaultRam(config.defaultRam())
        .withCeiling(policy.ceiling(config.levels(), config.memoryBudget()))
        .withSubTaskLimits(policy.maxSubTasks(), policy.maxSubTaskDepth())
        .build();
  }

  /**
   * The policy's sub-task bounds, and the defaults a child naming no ram or timeout gets (the
   * sandbox's ram default within the policy's maximum, as the sandbox applies it).
   */
  private ChildTasks.Limits childLimits(OperatorCeiling ceiling) {
    WorkerPolicy policy = config.policy();
    ByteSize defaultRam = sandbox.config().defaultRam();
    if (ceiling.maxRam() != null && ceiling.maxRam().bytes() < defaultRam.bytes()) {
      defaultRam = ceiling.maxRam();
    }
    return new ChildTasks.Limits(
        policy.maxSubTasks(),
        policy.maxSubTaskDepth(),
        defaultRam,
        config.defaultTimeout(),
        sandbox.config().filesRoot());
  }

  /**
   * The policy's files root, or an empty directory when it grants no files: {@code no-files} in the
   * cache directory (one for every worker using it, so a killed worker leaves nothing behind), or
   * without a cache directory a temporary one ({@link EmptyFilesRoot}), deleted on close, when the
   * JVM exits, or by the next worker to start if this one is killed.
   */
  private Path filesRoot(WorkerPolicy policy) {
    if (policy.filesRoot() != null) {
      return Path.of(policy.filesRoot().path());
    }
    try {
      if (config.cacheDir() != null) {
        return Files.createDirectories(config.cacheDir().resolve("no-files"));
      }
      noFilesRoot = EmptyFilesRoot.create(Path.of(System.getProperty("java.io.tmpdir")));
      return noFilesRoot;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the worker's empty files root", e);
    }
  }

  /**
   * Stops taking tasks, lets in-flight ones finish for up to the grace period, then gives back the
   * rest (their offsets stay uncommitted, so other workers run them) and closes everything.
   *
   * @return completes when the worker has terminated
   */
  public CompletableFuture<Void> shutdown() {
    if (state.compareAndSet(State.CREATED, State.TERMINATED)) {
      terminated.complete(null);
    } else if (state.compareAndSet(State.RUNNING, State.DRAINING)) {
      Thread stopper = new Thread(this::drainAndClose, "capsule-shutdown");
      stopper.start();
    }
    return terminated;
  }

  /** Waits for termination; false if {@code timeout} passed first. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    try {
      terminated.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true;
    }
  }

  private void drainAndClose() {
    try {
      consumers.forEach(LevelConsumer::drain);
      long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
      while (inFlight() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      handedBack = inFlight();
      if (handedBack > 0) {
        LOG.warn("grace period over; handing back {} task(s)", handedBack);
      }
      retrying.close();
      consumers.forEach(LevelConsumer::stop);
      for (LevelConsumer consumer : consumers) {
        consumer.join(Duration.ofSeconds(30));
      }
      closeRest();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("shutdown failed", e);
    } finally {
      state.set(State.TERMINATED);
      terminated.complete(null);
    }
  }

  private void closeRest() {
    pool.shutdownNow();
    timer.shutdownNow();
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
    }
    ledger.close();
    cancels.close();
    modules.close();
    sandbox.close();
    deleteNoFilesRoot();
    if (http != null) {
      http.close();
    }
    LOG.info("worker {} stopped", config.workerId());
  }

  private void deleteNoFilesRoot() {
    if (noFilesRoot == null) {
      return;
    }
    try {
      Files.deleteIfExists(noFilesRoot);
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", noFilesRoot, e.toString());
    }
  }

  /** How many in-flight tasks the last shutdown handed back unfinished (0 = a clean drain). */
  public int handedBack() {
    return handedBack;
  }

  /** Running, with every level consumer's thread alive. */
  public boolean healthy() {
    return state.get() == State.RUNNING && consumers.stream().allMatch(LevelConsumer::alive);
  }

  /** Tasks started (or waiting to be retried) and not yet acknowledged. */
  public int inFlight() {
    return consumers.stream().mapToInt(LevelConsumer::active).sum();
  }

  // What the tests in this package observe (not API: the metrics say it to operators).

  /** Tasks running in the sandbox now. */
  int running() {
    return admission.running();
  }

  /** The most bytes of ram caps reserved at once so far. */
  long peakReservedRam() {
    return admission.peakReserved();
  }

  /**
   * How many partition assignments the level consumers received: one per level after joining; more
   * means the group rebalanced.
   */
  int assignments() {
    return consumers.stream().mapToInt(LevelConsumer::assignments).sum();
  }

  /** The metrics endpoint's port, or -1 when none is served. */
  public int metricsPort() {
    return http == null ? -1 : http.port();
  }

  /** The Prometheus text of this worker's metrics. */
  public String scrapeMetrics() {
    return metrics.scrape();
  }

  private static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread t = new Thread(task, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
