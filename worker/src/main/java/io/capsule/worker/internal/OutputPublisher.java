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
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Publishes the worker's outputs (envelopes, lifecycle events, retries, cancels, dead letters)
 * through one idempotent producer, and nothing else: no read model is fed here (see {@link
 * EventRecorder}). Every record is a {@link WireRecord} keyed by task id with the contract's
 * headers ({@code traceparent} when the request had one).
 */
public final class OutputPublisher {
  private final Producer<String, byte[]> producer;
  private final Topics topics;

  /** A publisher over {@code producer} to the topics of {@code topics}. */
  public OutputPublisher(Producer<String, byte[]> producer, Topics topics) {
    this.producer = producer;
    this.topics = topics;
  }

  /** Sends a lifecycle event to the events topic. */
  public CompletableFuture<Void> event(LifecycleEvent event, String traceparent) {
    return send(eventRecord(event, traceparent));
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
            traceparent));
  }

  /**
   * Sends a {@code running} event recording the {@code delivery}-th delivery of its attempt (in the
   * {@link WireHeader#DELIVERY} header).
   */
  public CompletableFuture<Void> runningEvent(
      LifecycleEvent event, String traceparent, int delivery) {
    return send(
        eventRecord(event, traceparent)
            .withHeader(WireHeader.DELIVERY, Integer.toString(delivery)));
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
    return send(WireRecord.json(topic, TaskRequest.SCHEMA, request.id(), request, traceparent));
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

  /** Sends one record; completes when the broker acknowledged it. */
  private CompletableFuture<Void> send(WireRecord record) {
    RecordHeaders headers = new RecordHeaders();
    record.headers().forEach(headers::add);
    ProducerRecord<String, byte[]> kafka =
        new ProducerRecord<>(record.topic(), null, record.key(), record.value(), headers);
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
}
