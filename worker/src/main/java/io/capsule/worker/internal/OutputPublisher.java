package io.capsule.worker.internal;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.DeadLetter;
import io.capsule.protocol.LifecycleEvent;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskCancel;
import io.capsule.protocol.TaskRequest;
import io.capsule.protocol.Topics;
import io.capsule.protocol.WireHeader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Publishes the worker's outputs (envelopes, lifecycle events, retries, dead letters) through one
 * idempotent producer. Every record is keyed by task id and carries the headers of the contract:
 * {@code capsule-schema}, {@code capsule-task-id} and, when the request had one, {@code
 * traceparent}.
 */
public final class OutputPublisher {
  /** Header naming the value's schema. */
  public static final String SCHEMA_HEADER = WireHeader.SCHEMA;

  /** Header carrying the task id. */
  public static final String TASK_ID_HEADER = WireHeader.TASK_ID;

  /** The W3C trace context header, copied from the request. */
  public static final String TRACEPARENT_HEADER = WireHeader.TRACEPARENT;

  /**
   * Header of a {@code running} event: which delivery of its attempt's record it is (1 = the first
   * worker to run it). The ledger counts deliveries that never reached an outcome with it.
   */
  public static final String DELIVERY_HEADER = WireHeader.DELIVERY;

  private final Producer<String, byte[]> producer;
  private final Topics topics;
  private final TaskLedger ledger;

  /** A publisher over {@code producer}; events are also noted in {@code ledger}. */
  public OutputPublisher(Producer<String, byte[]> producer, Topics topics, TaskLedger ledger) {
    this.producer = producer;
    this.topics = topics;
    this.ledger = ledger;
  }

  /** Sends a lifecycle event to the events topic. */
  public CompletableFuture<Void> event(LifecycleEvent event, String traceparent) {
    ledger.note(event, System.currentTimeMillis());
    return send(topics.events(), event.taskId(), LifecycleEvent.SCHEMA, event, traceparent);
  }

  /** Sends a {@code running} event recording the {@code delivery}-th delivery of its attempt. */
  public CompletableFuture<Void> runningEvent(
      LifecycleEvent event, String traceparent, int delivery) {
    ledger.note(event, System.currentTimeMillis(), delivery);
    Headers headers = headers(LifecycleEvent.SCHEMA, event.taskId(), traceparent);
    headers.add(DELIVERY_HEADER, Integer.toString(delivery).getBytes(StandardCharsets.UTF_8));
    return send(topics.events(), event.taskId(), event, headers);
  }

  /** Sends an envelope to the request's reply topic (the results topic by default). */
  public CompletableFuture<Void> envelope(
      TaskRequest request, ResultEnvelope envelope, String traceparent) {
    String topic = request.replyTo() == null ? topics.results() : request.replyTo();
    return send(topic, request.id(), ResultEnvelope.SCHEMA, envelope, traceparent);
  }

  /** Re-publishes a request (a retry) to a level topic. */
  public CompletableFuture<Void> request(String topic, TaskRequest request, String traceparent) {
    return send(topic, request.id(), TaskRequest.SCHEMA, request, traceparent);
  }

  /** Sends a cancel to the cancels topic. */
  public CompletableFuture<Void> cancel(TaskCancel cancel, String traceparent) {
    return send(topics.cancels(), cancel.taskId(), TaskCancel.SCHEMA, cancel, traceparent);
  }

  /** Sends a dead letter to the dlq topic. */
  public CompletableFuture<Void> deadLetter(DeadLetter letter, String traceparent) {
    return send(topics.deadLetters(), letter.taskId(), DeadLetter.SCHEMA, letter, traceparent);
  }

  private CompletableFuture<Void> send(
      String topic, String key, String schema, Object value, String traceparent) {
    return send(topic, key, value, headers(schema, key, traceparent));
  }

  private static Headers headers(String schema, String key, String traceparent) {
    Headers headers = new RecordHeaders();
    headers.add(SCHEMA_HEADER, schema.getBytes(StandardCharsets.UTF_8));
    if (key != null) {
      headers.add(TASK_ID_HEADER, key.getBytes(StandardCharsets.UTF_8));
    }
    if (traceparent != null) {
      headers.add(TRACEPARENT_HEADER, traceparent.getBytes(StandardCharsets.UTF_8));
    }
    return headers;
  }

  private CompletableFuture<Void> send(String topic, String key, Object value, Headers headers) {
    byte[] bytes = CapsuleJson.write(value).getBytes(StandardCharsets.UTF_8);
    CompletableFuture<Void> acked = new CompletableFuture<>();
    try {
      producer.send(
          new ProducerRecord<>(topic, null, key, bytes, headers),
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
