package io.capsule.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.dispatcher.CapsuleClient;
import io.capsule.dispatcher.TaskHandle;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.protocol.TaskRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code capsule submit --requests FILE.jsonl}: submits many task requests, with a progress bar for
 * the acknowledgements and, with {@code --wait}, one for the results.
 */
final class BatchSubmit {
  private final CapsuleClient client;
  private final PrintWriter out;
  private final PrintWriter err;

  BatchSubmit(CapsuleClient client, PrintWriter out, PrintWriter err) {
    this.client = client;
    this.out = out;
    this.err = err;
  }

  /** The requests of a JSON-lines file; blank lines are skipped, {@code id} is filled in. */
  static List<TaskRequest> read(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UsageException("cannot read " + file + ": " + e.getMessage());
    }
    List<TaskRequest> requests = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).isBlank()) {
        requests.add(parse(file, i + 1, lines.get(i)));
      }
    }
    if (requests.isEmpty()) {
      throw new UsageException(file + " holds no task request");
    }
    return requests;
  }

  private static TaskRequest parse(Path file, int line, String text) {
    try {
      JsonNode tree = CapsuleJson.readTree(text);
      if (!(tree instanceof ObjectNode object)) {
        throw new UsageException(file + ":" + line + ": a task request is a JSON object");
      }
      if (!object.hasNonNull("id")) {
        object.put("id", UUID.randomUUID().toString());
      }
      if (!object.hasNonNull("submitted_at")) {
        object.put("submitted_at", System.currentTimeMillis());
      }
      return CapsuleJson.convert(object, TaskRequest.class);
    } catch (CapsuleException | IllegalArgumentException e) {
      throw new UsageException(file + ":" + line + ": " + e.getMessage());
    }
  }

  /** Submits all, prints ids (or envelopes); exit 1 when waiting and any task failed. */
  int run(List<TaskRequest> requests, boolean await, Duration timeout) throws InterruptedException {
    List<TaskHandle> handles = new ArrayList<>();
    requests.forEach(r -> handles.add(client.submit(r)));
    track("submitting", handles.stream().map(TaskHandle::accepted).toList(), timeout);
    if (!await) {
      handles.forEach(h -> out.println(h.id()));
      out.flush();
      return 0;
    }
    track("waiting", handles.stream().map(TaskHandle::result).toList(), timeout);
    int failed = 0;
    for (TaskHandle handle : handles) {
      ResultEnvelope envelope = handle.result().getNow(null);
      out.println(CapsuleJson.write(envelope));
      failed += envelope.success() ? 0 : 1;
    }
    out.flush();
    err.printf("capsule: %d succeeded, %d failed%n", handles.size() - failed, failed);
    err.flush();
    return failed == 0 ? 0 : Main.TASK_FAILED;
  }

  private void track(String label, List<? extends CompletableFuture<?>> futures, Duration timeout)
      throws InterruptedException {
    ProgressBar bar = ProgressBar.onStderr(err, label, futures.size());
    bar.update(0);
    futures.forEach(f -> f.whenComplete((v, e) -> bar.step()));
    try {
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new UsageException(label + " took longer than " + timeout);
    } finally {
      bar.update(futures.stream().filter(CompletableFuture::isDone).count());
      bar.finish();
    }
  }
}
