package io.capsule.dispatcher.internal;

import io.capsule.dispatcher.DispatcherException;
import io.capsule.protocol.WireRecord;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Kafka's callback-style send as a {@link CompletableFuture}, for records of the contract. */
public final class Sends {
  private Sends() {}

  /**
   * Sends a record of the contract; the future fails with {@link DispatcherException} naming {@code
   * what} when Kafka refuses it or cannot be reached.
   */
  public static CompletableFuture<RecordMetadata> send(
      Producer<String, byte[]> producer, WireRecord record, String what) {
    return send(producer, kafkaRecord(record), what);
  }

  /** The record as Kafka's type, headers in order. */
  public static ProducerRecord<String, byte[]> kafkaRecord(WireRecord record) {
    RecordHeaders headers = new RecordHeaders();
    record.headers().forEach(headers::add);
    return new ProducerRecord<>(record.topic(), null, record.key(), record.value(), headers);
  }

  /**
   * Sends a record; the future fails with {@link DispatcherException} naming {@code what} when
   * Kafka refuses it or cannot be reached.
   */
  public static CompletableFuture<RecordMetadata> send(
      Producer<String, byte[]> producer, ProducerRecord<String, byte[]> record, String what) {
    CompletableFuture<RecordMetadata> future = new CompletableFuture<>();
    try {
      producer.send(
          record,
          (metadata, error) -> {
            if (error != null) {
              future.completeExceptionally(failure(what, record.topic(), error));
            } else {
              future.complete(metadata);
            }
          });
    } catch (RuntimeException e) {
      future.completeExceptionally(failure(what, record.topic(), e));
    }
    return future;
  }

  private static DispatcherException failure(String what, String topic, Throwable error) {
    return new DispatcherException(
        "cannot publish " + what + " to " + topic + ": " + error.getMessage(), error);
  }
}
