package io.capsule.worker.internal;

import io.capsule.protocol.ResultEnvelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The worker's Micrometer meters, in a Prometheus registry: {@code capsule_tasks_total{level,
 * outcome}}, {@code capsule_task_duration_seconds{level}}, {@code capsule_task_fuel{level}}, {@code
 * capsule_tasks_in_flight}, {@code capsule_task_retries_total{level}}, {@code
 * capsule_dead_letters_total{level,reason}}, {@code capsule_outputs_dropped_total{reason}}, {@code
 * capsule_duplicates_skipped_total{level}} and {@code capsule_consumer_lag{level}}.
 */
public final class WorkerMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, AtomicLong> lags = new ConcurrentHashMap<>();
  private final Map<String, AttemptMeters> attempts = new ConcurrentHashMap<>();

  /** Registers the in-flight gauge over {@code inFlight}. */
  public WorkerMetrics(Supplier<Number> inFlight) {
    Gauge.builder("capsule.tasks.in.flight", inFlight).register(registry);
  }

  /** Counts a finished attempt by outcome ({@code succeeded}, {@code retried}, an error type). */
  public void attempt(String level, ResultEnvelope envelope, String outcome) {
    attempts
        .computeIfAbsent(level + "/" + outcome, k -> attemptMeters(level, outcome))
        .record(envelope);
  }

  // Looked up once per level and outcome: building and registering meters per task showed in the
  // fleet benchmark's profile.
  private record AttemptMeters(Counter count, Timer duration, DistributionSummary fuel) {
    void record(ResultEnvelope envelope) {
      count.increment();
      duration.record(envelope.execution().durationMs(), TimeUnit.MILLISECONDS);
      fuel.record(envelope.execution().fuelConsumed());
    }
  }

  private AttemptMeters attemptMeters(String level, String outcome) {
    return new AttemptMeters(
        Counter.builder("capsule.tasks")
            .tag("level", level)
            .tag("outcome", outcome)
            .register(registry),
        Timer.builder("capsule.task.duration").tag("level", level).register(registry),
        DistributionSummary.builder("capsule.task.fuel").tag("level", level).register(registry));
  }

  /** Counts a retry scheduled. */
  public void retry(String level) {
    Counter.builder("capsule.task.retries").tag("level", level).register(registry).increment();
  }

  /** Counts a dead letter. */
  public void deadLetter(String level, String reason) {
    Counter.builder("capsule.dead.letters")
        .tag("level", level)
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  /**
   * Counts a record's outputs dropped because this worker no longer held the record (frozen or cut
   * off past its session timeout or lock): its new owner runs the task.
   */
  public void outputsFenced(String level) {
    Counter.builder("capsule.outputs.fenced").tag("level", level).register(registry).increment();
  }

  /**
   * Counts an output the worker gave up sending because it can never fit a Kafka record ({@code
   * reason}: the Kafka error, e.g. {@code RecordTooLargeException}); its task's record settled
   * without it.
   */
  public void outputDropped(String reason) {
    Counter.builder("capsule.outputs.dropped").tag("reason", reason).register(registry).increment();
  }

  /**
   * Counts a share-group acquisition lock renewal of a running task's record: {@code renewed} when
   * the broker handed the record back to this consumer, {@code lapsed} when it did not in time.
   */
  public void lockRenewal(String level, boolean renewed) {
    Counter.builder("capsule.share.lock.renewals")
        .tag("level", level)
        .tag("outcome", renewed ? "renewed" : "lapsed")
        .register(registry)
        .increment();
  }

  /** Counts a redelivered record recognised and skipped. */
  public void duplicateSkipped(String level) {
    Counter.builder("capsule.duplicates.skipped")
        .tag("level", level)
        .register(registry)
        .increment();
  }

  /** Sets a level's consumer lag (records behind the end of its assigned partitions). */
  public void lag(String level, long records) {
    lags.computeIfAbsent(
            level,
            l -> {
              AtomicLong value = new AtomicLong();
              Gauge.builder("capsule.consumer.lag", value, AtomicLong::get)
                  .tag("level", l)
                  .register(registry);
              return value;
            })
        .set(records);
  }

  /** The Prometheus text exposition. */
  public String scrape() {
    return registry.scrape();
  }

  /** The registry, for callers that add meters. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }
}
