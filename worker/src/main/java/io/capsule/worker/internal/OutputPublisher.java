package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskCancel;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.Topics;
import io.capsule.protocol.WireHeader;
import io.capsule.protocol.WireRecord;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Publishes the worker's outputs (envelopes, lifecycle events, retries, cancels, dead letters)
 * through one idempotent producer — or, in transactional mode, through each level's {@link
 * TransactionalOutputs} — and nothing else: no read model is fed here (see {@link EventRecorder}).
 * Every record is a {@link WireRecord} keyed by task id with the contract's headers ({@code
 * traceparent} when the request had one).
 */
public final class OutputPublisher {
  private final Producer<String, byte[]> producer;
  private final Topics topics;
  // transactional mode: the committers by level name and by task topic (null otherwise)
  private final Map<String, TransactionalOutputs> byLevel;
  private final Map<String, TransactionalOutputs> byTopic;

  /** A publisher over {@code producer} (idempotent) to the topics of {@code topics}. */
  public OutputPublisher(Producer<String, byte[]> producer, Topics topics) {
    this.producer = producer;
    this.topics = topics;
    this.byLevel = null;
    this.byTopic = null;
  }

  private OutputPublisher(Topics topics) {
    this.producer = null;
    this.topics = topics;
    this.byLevel = new ConcurrentHashMap<>();
    this.byTopic = new ConcurrentHashMap<>();
  }

  /**
   * A publisher whose outputs go into Kafka transactions, through the committer of the level they
   * belong to ({@link #transactionsOf}).
   */
  public static OutputPublisher transactional(Topics topics) {
    return new OutputPublisher(topics);
  }

  /** Whether outputs go into transactions. */
  public boolean transactional() {
    return byLevel != null;
  }

  /** Sends the outputs of {@code level}'s records, read from {@code topic}, through {@code tx}. */
  public void transactionsOf(String level, String topic, TransactionalOutputs tx) {
    byLevel.put(level, tx);
    byTopic.put(topic, tx);
  }

  /**
   * Runs {@code outputs}, the outputs of the item's attempt: in transactional mode they join one
   * transaction together with the advance of the item's offset ({@link
   * TransactionalOutputs#atomically}); otherwise each is sent on its own.
   */
  public CompletableFuture<Void> atomically(
      TaskItem item, Supplier<CompletableFuture<Void>> outputs) {
    TransactionalOutputs tx = byLevel == null ? null : byLevel.get(item.level());
    return tx == null ? outputs.get() : tx.atomically(item, outputs);
  }

  /** Sends a lifecycle event to the events topic. */
  public CompletableFuture<Void> event(LifecycleEvent event, String traceparent) {
    return send(eventRecord(event, traceparent), levelTx(event.level()));
  }

  /**
   * Sends a terminal event whose envelope is {@code envelopeJson}, the envelope as already written
   * for its reply ({@link CapsuleJson#writeBytes}): written once for both records.
   */
  public CompletableFuture<Void> finalEvent(
      LifecycleEvent event, byte[] envelopeJson, String traceparent) {
    byte[] value = CapsuleJson.writeWithMember(event.withEnvelope(null), "envelope", envelopeJson);
    return send(
        WireRecord.of(
            topics.events(),
            event.taskId(),
            value,
            LifecycleEvent.SCHEMA,
            event.taskId(),
            traceparent),
        levelTx(event.level()));
  }

  /**
   * Sends a {@code running} event recording the {@code delivery}-th delivery of its attempt (in the
   * {@link WireHeader#DELIVERY} header).
   */
  public CompletableFuture<Void> runningEvent(
      LifecycleEvent event, String traceparent, int delivery) {
    return send(
        eventRecord(event, traceparent).withHeader(WireHeader.DELIVERY, Integer.toString(delivery)),
        levelTx(event.level()));
  }

  /** Sends an envelope to the request's reply topic (the results topic by default). */
  public CompletableFuture<Void> envelope(
      TaskRequest request, ResultEnvelope envelope, String traceparent) {
    return envelope(request, CapsuleJson.writeBytes(envelope), traceparent);
  }

  /**
   * Sends an envelope already written as JSON ({@link CapsuleJson#writeBytes}) to the reply topic.
   */
  public CompletableFuture<Void> envelope(
      TaskRequest request, byte[] envelopeJson, String traceparent) {
    String topic = request.replyTo() == null ? topics.results() : request.replyTo();
    return send(
        WireRecord.of(
            topic, request.id(), envelopeJson, ResultEnvelope.SCHEMA, request.id(), traceparent));
  }

  /** Publishes a request (a retry, a sub-task) to a level topic. */
  public CompletableFuture<Void> request(String topic, TaskRequest request, String traceparent) {
    return send(
        WireRecord.json(topic, TaskRequest.SCHEMA, request.id(), request, traceparent),
        byTopic == null ? null : byTopic.get(topic));
  }

  /** Sends a cancel to the cancels topic. */
  public CompletableFuture<Void> cancel(TaskCancel cancel, String traceparent) {
    return send(
        WireRecord.json(topics.cancels(), TaskCancel.SCHEMA, cancel.taskId(), cancel, traceparent));
  }

  /**
   * Sends a dead letter to the dlq topic; one too large for a record ({@link
   * RetryingPublisher#neverFits}) is sent again without its request, envelope or raw value ({@link
   * DeadLetter#withoutBodies}), which says why and where the request is.
   */
  public CompletableFuture<Void> deadLetter(DeadLetter letter, String traceparent) {
    // Async: the first send's callback runs on the producer's I/O thread, which must not send.
    WireRecord whole = deadLetterRecord(letter, traceparent);
    return send(whole)
        .exceptionallyComposeAsync(
            e ->
                RetryingPublisher.neverFits(e) && !letter.bodiesOmitted()
                    ? send(
                        deadLetterRecord(
                            letter.withoutBodies(tooLarge(e, whole.value().length)), traceparent))
                    : CompletableFuture.failedFuture(e));
  }

  private WireRecord deadLetterRecord(DeadLetter letter, String traceparent) {
    return WireRecord.json(
        topics.deadLetters(), DeadLetter.SCHEMA, letter.taskId(), letter, traceparent);
  }

  private static String tooLarge(Throwable error, int bytes) {
    Throwable cause = RetryingPublisher.cause(error);
    return "the whole dead letter ("
        + bytes
        + " bytes) was refused as too large for a record ("
        + cause.getClass().getSimpleName()
        + ": "
        + cause.getMessage()
        + "); the request stays at source until its topic's retention";
  }

  private WireRecord eventRecord(LifecycleEvent event, String traceparent) {
    return WireRecord.json(
        topics.events(), LifecycleEvent.SCHEMA, event.taskId(), event, traceparent);
  }

  private TransactionalOutputs levelTx(String level) {
    return byLevel == null || level == null ? null : byLevel.get(level);
  }

  private CompletableFuture<Void> send(WireRecord record) {
    return send(record, null);
  }

  /**
   * Sends one record; completes when the broker acknowledged it. In transactional mode: staged in
   * the calling thread's attempt if it has one, else sent in the open transaction of {@code tx} (or
   * of any level when {@code null}); completes when that transaction committed.
   */
  private CompletableFuture<Void> send(WireRecord record, TransactionalOutputs tx) {
    RecordHeaders headers = new RecordHeaders();
    record.headers().forEach(headers::add);
    ProducerRecord<String, byte[]> kafka =
        new ProducerRecord<>(record.topic(), null, record.key(), record.value(), headers);
    if (byLevel != null) {
      return transactionally(kafka, tx);
    }
    CompletableFuture<Void> acked = new CompletableFuture<>();
    try {
      producer.send(
          kafka,
          (metadata, error) -> {
            if (error == null) {
              acked.complete(null);
            } else {
              acked.completeExceptionally(error);
            }
          });
    } catch (RuntimeException e) {
      acked.completeExceptionally(e);
    }
    return acked;
  }

  private CompletableFuture<Void> transactionally(
      ProducerRecord<String, byte[]> record, TransactionalOutputs tx) {
    CompletableFuture<Void> staged = TransactionalOutputs.stage(record);
    if (staged != null) {
      return staged;
    }
    TransactionalOutputs chosen =
        tx != null ? tx : byLevel.values().stream().findFirst().orElse(null);
    if (chosen == null) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("no level consumer takes transactional outputs yet"));
    }
    return chosen.send(record);
  }
}
