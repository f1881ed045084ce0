package io.capsule.sandbox.internal.lang;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.ErrorType;
import io.capsule.protocol.Execution;
import io.capsule.protocol.InternalException;
import io.capsule.protocol.ResultEnvelope;
import io.capsule.sandbox.internal.net.HttpImports;
import io.capsule.sandbox.internal.wasi.Mount;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * What an interpreter's guest SDK asks of the host, one JSON request at a time: {@code result},
 * {@code error}, {@code call} (a sub-task in its own sandbox, waited for), {@code spawn} (a
 * sub-task started without waiting: answers a handle) and {@code wait} (blocks until at least one
 * of the given handles is done and answers every finished one), {@code http} (through the attempt's
 * allowlisted {@link HttpImports}), {@code env}, {@code log} and {@code fs} (JavaScript only:
 * QuickJS has no WASI file calls). One per attempt.
 */
public final class GuestRequests {
  /** Starts other tasks of the same file, each in its own sandbox (or as a fleet child task). */
  public interface SubTasks {
    /** Starts task {@code name} with {@code args}; completes with its final envelope. */
    CompletableFuture<ResultEnvelope> start(String name, List<JsonNode> args);

    /**
     * Called when the guest starts blocking on sub-tasks; the returned action runs when it stops
     * (the fleet gives its task slot back meanwhile).
     */
    default Runnable parentWaiting() {
      return () -> {};
    }
  }

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final HttpImports http;
  private final SubTasks subTasks;
  private final Consumer<byte[]> result;
  private final OutputStream logs;
  private final Map<String, String> environment;
  private final List<Mount> mounts;
  private final Map<Integer, CompletableFuture<ResultEnvelope>> spawned = new ConcurrentHashMap<>();
  private final AtomicInteger handles = new AtomicInteger();
  private volatile GuestError error;
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile Consumer<JsonNode> onTaskStart = payload -> {};

  /** Requests of one attempt. */
  public GuestRequests(
      HttpImports http,
      SubTasks subTasks,
      Consumer<byte[]> result,
      OutputStream logs,
      Map<String, String> environment,
      List<Mount> mounts) {
    this.http = http;
    this.subTasks = subTasks;
    this.result = result;
    this.logs = logs;
    this.environment = Map.copyOf(environment);
    this.mounts = List.copyOf(mounts);
  }

  /**
   * What to do when the task's own work begins ({@code start}, with its payload): once per attempt.
   * A guest that sends {@code start} again (its own code can write requests too) is ignored, or it
   * could restart its fuel meter.
   */
  public void onTaskStart(Consumer<JsonNode> action) {
    this.onTaskStart = action;
  }

  /** Marks the start of the task's own work, as a guest's first {@code start} request does. */
  public void start(JsonNode payload) {
    if (started.compareAndSet(false, true)) {
      onTaskStart.accept(payload);
    }
  }

  /** Records {@code error} as the task's failure, as the guest's {@code error} request does. */
  public void fail(GuestError error) {
    this.error = error;
  }

  /** The failure the guest reported, or {@code null}. */
  public GuestError error() {
    return error;
  }

  /** Handles one request and returns the JSON answer. */
  public byte[] handle(String op, JsonNode payload) {
    JsonNode answer =
        switch (op) {
          case "result" -> {
            result.accept(payload.asText().getBytes(StandardCharsets.UTF_8));
            yield JSON.nullNode();
          }
          case "start" -> {
            start(payload);
            yield JSON.nullNode();
          }
          case "error" -> {
            error = GuestError.of(payload, !started.get());
            yield JSON.nullNode();
          }
          case "call" -> call(payload);
          case "spawn" -> JSON.objectNode().put("handle", spawn(payload));
          case "wait" -> waitFor(payload.path("handles"), -1);
          case "http" ->
              CapsuleJson.readTree(
                  new String(
                      http.execute(CapsuleJson.write(payload).getBytes(StandardCharsets.UTF_8))
                          .document(),
                      StandardCharsets.UTF_8));
          case "env" -> CapsuleJson.mapper().valueToTree(environment);
          case "log" -> log(payload.asText());
          case "fs" -> new GuestFiles(mounts).handle(payload);
          default -> failure("unknown request " + op);
        };
    return CapsuleJson.write(answer).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * {@link #handle(String, JsonNode)} of a {@code {"op", "payload"}} document; {@code null} when
   * the document says {@code "answer": false} (a notification such as {@code start} or {@code
   * result}, which the guest does not wait for).
   */
  public byte[] handle(byte[] request) {
    JsonNode doc = CapsuleJson.readTree(new String(request, StandardCharsets.UTF_8));
    byte[] answer = handle(doc.path("op").asText(), doc.path("payload"));
    return doc.path("answer").asBoolean(true) ? answer : null;
  }

  /** Whether sub-tasks started with {@code spawn} are not yet handed to the guest. */
  public boolean hasSpawned() {
    return !spawned.isEmpty();
  }

  /**
   * Blocks until at least one spawned sub-task is done, or {@code maxWaitMillis} passed (negative:
   * no limit), and answers every finished one, {@code {"HANDLE": envelope, …}} (the form {@code
   * wait} answers; empty when none finished in time).
   */
  public byte[] awaitSpawned(long maxWaitMillis) {
    ArrayNode all = JSON.arrayNode();
    spawned.keySet().forEach(all::add);
    return CapsuleJson.write(waitFor(all, maxWaitMillis)).getBytes(StandardCharsets.UTF_8);
  }

  private JsonNode call(JsonNode payload) {
    int handle = spawn(payload);
    return waitFor(JSON.arrayNode().add(handle), -1).path(Integer.toString(handle));
  }

  private int spawn(JsonNode payload) {
    List<JsonNode> args = new ArrayList<>();
    payload.path("args").forEach(args::add);
    int handle = handles.incrementAndGet();
    spawned.put(handle, subTasks.start(payload.path("name").asText(), args));
    return handle;
  }

  private JsonNode waitFor(JsonNode handleList, long maxWaitMillis) {
    Map<Integer, CompletableFuture<ResultEnvelope>> waiting = new LinkedHashMap<>();
    for (JsonNode h : handleList) {
      CompletableFuture<ResultEnvelope> future = spawned.get(h.asInt());
      if (future == null) {
        return failure("no running sub-task has handle " + h.asText());
      }
      waiting.put(h.asInt(), future);
    }
    if (!waiting.isEmpty() && waiting.values().stream().noneMatch(CompletableFuture::isDone)) {
      block(waiting.values(), maxWaitMillis);
    }
    ObjectNode done = JSON.objectNode();
    waiting.forEach(
        (handle, future) -> {
          if (future.isDone()) {
            spawned.remove(handle);
            done.set(Integer.toString(handle), CapsuleJson.mapper().valueToTree(envelope(future)));
          }
        });
    return done;
  }

  private void block(Collection<CompletableFuture<ResultEnvelope>> futures, long maxWaitMillis) {
    Runnable resume = subTasks.parentWaiting();
    try {
      var any = CompletableFuture.anyOf(futures.toArray(CompletableFuture[]::new));
      if (maxWaitMillis < 0) {
        any.get();
      } else {
        any.get(maxWaitMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    } catch (java.util.concurrent.TimeoutException e) {
      // a timer of the caller's is due first
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while waiting for sub-tasks", e);
    } catch (ExecutionException e) {
      // a sub-task that could not even start: reported as its envelope below
    } finally {
      resume.run();
    }
  }

  private static ResultEnvelope envelope(CompletableFuture<ResultEnvelope> future) {
    try {
      return future.join();
    } catch (CompletionException | CancellationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      ErrorType type =
          cause instanceof CapsuleException c ? c.errorType() : ErrorType.INTERNAL_ERROR;
      return ResultEnvelope.failure(
          type, "sub-task did not run: " + cause.getMessage(), Execution.none("sub-task"));
    }
  }

  private JsonNode log(String line) {
    try {
      logs.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return JSON.nullNode();
  }

  static ObjectNode failure(String message) {
    ObjectNode doc = JSON.objectNode();
    doc.putObject("error").put("message", message);
    return doc;
  }

  /**
   * File reads and writes for JavaScript, confined to the task's mounts. A read holds the whole
   * file on the host for a moment (bytes, text, answer document), so it is bounded: a file over
   * {@value #MAX_READ_BYTES} bytes is refused {@code EFBIG} rather than read.
   */
  private record GuestFiles(List<Mount> mounts) {
    static final int MAX_READ_BYTES = 16 << 20;

    JsonNode handle(JsonNode request) {
      String guestPath = request.path("path").asText();
      try {
        for (Mount mount : mounts) {
          Path file = resolve(mount, guestPath);
          if (file != null) {
            return access(mount, file, request);
          }
        }
        return failure(
            "ENOENT: no such file or directory, '" + guestPath + "' (not in allowed_files)");
      } catch (IOException e) {
        return failure(e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }

    private static JsonNode access(Mount mount, Path file, JsonNode request) throws IOException {
      ObjectNode answer = JSON.objectNode();
      if (request.path("op").asText().equals("write")) {
        if (mount.readOnly()) {
          return failure(
              "EACCES: permission denied, '" + request.path("path").asText() + "' is read-only");
        }
        Files.writeString(file, request.path("text").asText());
      } else {
        byte[] bytes = readAtMost(file, MAX_READ_BYTES);
        if (bytes.length > MAX_READ_BYTES) {
          return failure(
              "EFBIG: '"
                  + request.path("path").asText()
                  + "' is larger than a task may read at once ("
                  + (MAX_READ_BYTES >> 20)
                  + " MiB)");
        }
        answer.put("text", new String(bytes, StandardCharsets.UTF_8));
      }
      return answer;
    }

    /** At most {@code limit + 1} bytes of the file: one more than the limit says it is larger. */
    private static byte[] readAtMost(Path file, int limit) throws IOException {
      try (var in = Files.newInputStream(file)) {
        return in.readNBytes(limit + 1);
      }
    }

    private static Path resolve(Mount mount, String guestPath) throws IOException {
      String root = trim(mount.guestPath());
      String path = trim(guestPath);
      if (path.contains("..") || !(path.equals(root) || path.startsWith(root + "/"))) {
        return null;
      }
      Path file =
          mount.hostDir().resolve(path.substring(root.length()).replaceFirst("^/", "")).normalize();
      Path real =
          Files.exists(file)
              ? file.toRealPath()
              : file.getParent().toRealPath().resolve(file.getFileName());
      return real.startsWith(mount.hostDir().toRealPath()) ? real : null;
    }

    private static String trim(String path) {
      String p = path.startsWith("./") ? path.substring(2) : path;
      p = p.startsWith("/") ? p.substring(1) : p;
      return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
  }
}
