package io.capsule.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ModuleRef;
import io.capsule.protocol.TaskOptions;
import io.capsule.protocol.TaskRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/** Requests, items and records of unit tests (the module is never run). */
final class Tasks {
  static final long MIB = 1024 * 1024;
  private static final byte[] EMPTY_MODULE = {0, 'a', 's', 'm', 1, 0, 0, 0};

  private Tasks() {}

  static TaskRequest request(TaskOptions options) {
    return TaskRequest.of(ModuleRef.inline(EMPTY_MODULE), List.of(), options);
  }

  static TaskRequest request() {
    return request(TaskOptions.NONE);
  }

  static TaskRequest withRetries(int maxRetries) {
    return request(TaskOptions.builder().maxRetries(maxRetries).build());
  }

  static TaskItem item(TaskRequest request) {
    return new TaskItem(
        new TopicPartition(MockOutputs.LOW, 0),
        7,
        System.currentTimeMillis(),
        "low",
        request,
        64 * MIB,
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        TaskItem.Delivery.FIRST);
  }

  static ConsumerRecord<String, byte[]> record(int partition, long offset, TaskRequest request) {
    return record(partition, offset, request.id(), CapsuleJson.write(request));
  }

  static ConsumerRecord<String, byte[]> record(
      int partition, long offset, String key, String value) {
    return new ConsumerRecord<>(
        MockOutputs.LOW, partition, offset, key, value.getBytes(StandardCharsets.UTF_8));
  }

  /** The next task the fake runner started, waiting up to 10 s for it. */
  static <T> T nextStarted(BlockingQueue<T> started) throws InterruptedException {
    T next = started.poll(10, TimeUnit.SECONDS);
    assertThat(next).as("a task started").isNotNull();
    return next;
  }
}
