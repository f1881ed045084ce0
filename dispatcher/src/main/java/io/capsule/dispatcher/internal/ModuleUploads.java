package io.capsule.dispatcher.internal;

import io.capsule.protocol.Topics;
import io.capsule.protocol.WireHeader;
import io.capsule.protocol.WireRecord;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.Producer;

/**
 * Publishes each module once to the compacted modules topic (key = hex SHA-256, value = the bytes),
 * remembering the hashes this client has published. A failed upload is forgotten so that the next
 * submit tries again.
 */
public final class ModuleUploads {
  /** Schema header value of a module record. */
  public static final String SCHEMA = Topics.MODULE_SCHEMA;

  private final Producer<String, byte[]> producer;
  private final String topic;
  private final Map<String, CompletableFuture<Void>> published = new ConcurrentHashMap<>();

  /** Uploads through the producer to the modules topic. */
  public ModuleUploads(Producer<String, byte[]> producer, String topic) {
    this.producer = producer;
    this.topic = topic;
  }

  /** Publishes the module unless this client already has; completes when Kafka acknowledges. */
  public CompletableFuture<Void> ensure(String sha256, byte[] module) {
    CompletableFuture<Void> upload = published.computeIfAbsent(sha256, h -> send(h, module));
    upload.whenComplete((ok, error) -> forgetOnFailure(sha256, upload, error));
    return upload;
  }

  /** How many distinct modules this client has published (or is publishing). */
  public int count() {
    return published.size();
  }

  private CompletableFuture<Void> send(String sha256, byte[] module) {
    var record = WireRecord.of(topic, sha256, module, SCHEMA, sha256, WireHeader.newTraceparent());
    return Sends.send(producer, record, "module " + sha256).thenApply(metadata -> null);
  }

  private void forgetOnFailure(String sha256, CompletableFuture<Void> upload, Throwable error) {
    if (error != null) {
      published.remove(sha256, upload);
    }
  }
}
