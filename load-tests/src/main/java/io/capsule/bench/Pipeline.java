package io.capsule.bench;

import java.util.concurrent.CompletableFuture;

/**
 * One way of taking a trivial task from submission to its reply: the fleet, or the raw Kafka
 * ceiling. The load driver measures both through this, with the same code.
 */
interface Pipeline extends AutoCloseable {
  /** How the report names this pipeline. */
  String name();

  /** Submits one trivial task; the future completes when its reply is received. */
  CompletableFuture<?> submit();

  /** Stops what the pipeline started; waits a bounded time for it. */
  @Override
  void close();
}
