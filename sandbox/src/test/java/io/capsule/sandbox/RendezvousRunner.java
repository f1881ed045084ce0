package io.capsule.sandbox;

import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.Execution;
import io.capsule.protocol.ResultEnvelope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A sub-task runner that finishes nothing until {@code n} sub-tasks have been started: then each
 * succeeds with {@code "<first arg> together"}. One left waiting 30 s succeeds with {@code "<arg>
 * alone"} instead, so a guest that waits for each sub-task before starting the next shows up in the
 * results, not as a hang.
 */
final class RendezvousRunner implements SubTaskRunner {
  private final int n;
  private final List<CompletableFuture<ResultEnvelope>> started = new ArrayList<>();
  private final List<String> names = new ArrayList<>();

  RendezvousRunner(int n) {
    this.n = n;
  }

  @Override
  public synchronized CompletableFuture<ResultEnvelope> start(TaskCall call) {
    var future = new CompletableFuture<ResultEnvelope>();
    String who = call.args().get(0).asText();
    started.add(future);
    names.add(who);
    if (started.size() == n) {
      for (int i = 0; i < n; i++) {
        started.get(i).complete(envelope(names.get(i) + " together"));
      }
    }
    return future.completeOnTimeout(envelope(who + " alone"), 30, TimeUnit.SECONDS);
  }

  private static ResultEnvelope envelope(String text) {
    return ResultEnvelope.success(
        TextNode.valueOf(text), new Execution("child", 0, 0, 0, 0, List.of()));
  }
}
