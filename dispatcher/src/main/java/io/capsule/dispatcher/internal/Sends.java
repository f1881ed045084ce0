package io.capsule.dispatcher.internal;

import io.capsule.dispatcher.DispatcherException;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Kafka's callback-style send as a {@link CompletableFuture}. */
public final class Sends {
  private Sends() {}

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
