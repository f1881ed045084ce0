package io.capsule.dispatcher.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Every partition of one topic read by one daemon thread, without a consumer group, each record
 * (tombstones included) handed to a handler on that thread. Positions are fixed when it is built,
 * at the topic's beginning or end, so nothing written after construction is missed.
 */
public final class TopicReader implements AutoCloseable {
  /** Where reading starts. */
  public enum From {
    /** The oldest retained record. */
    BEGINNING,
    /** Records written from now on. */
    END
  }

  private static final Duration POLL = Duration.ofMillis(500);

  private final KafkaConsumer<String, byte[]> consumer;
  private final Consumer<ConsumerRecord<String, byte[]>> handler;
  private final Thread thread;
  private final AtomicLong lastPoll = new AtomicLong(System.currentTimeMillis());
  private volatile boolean running = true;

  /** A reader of {@code topic} with a consumer of {@code props}; call {@link #start()}. */
  public TopicReader(
      String threadName,
      Properties props,
      String topic,
      From from,
      Consumer<ConsumerRecord<String, byte[]>> handler) {
    this.handler = handler;
    this.consumer = new KafkaConsumer<>(props);
    try {
      List<TopicPartition> partitions = new ArrayList<>(TopicScan.partitions(consumer, topic));
      consumer.assign(partitions);
      if (from == From.BEGINNING) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
      }
      partitions.forEach(consumer::position); // fix the positions now, not at the first poll
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
    this.thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
  }

  /** Starts the reading thread. */
  public void start() {
    lastPoll.set(System.currentTimeMillis());
    thread.start();
  }

  /** Whether the thread runs and polled within {@code within}. */
  public boolean healthy(Duration within) {
    return thread.isAlive() && System.currentTimeMillis() - lastPoll.get() < within.toMillis();
  }

  private void run() {
    try {
      while (running) {
        var records = consumer.poll(POLL);
        lastPoll.set(System.currentTimeMillis());
        for (ConsumerRecord<String, byte[]> r : records) {
          handler.accept(r);
        }
      }
    } catch (WakeupException e) {
      // close() woke us up
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  /** Stops the thread and closes the consumer. */
  @Override
  public void close() {
    running = false;
    if (!thread.isAlive()) {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      return;
    }
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
