package io.capsule.sandbox.internal.lang;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a tool (Node.js, npm) as a child process under a deadline. Its output (stdout and stderr
 * together) is read while it runs, on a thread of its own, and only the first {@value
 * #MAX_OUTPUT_BYTES} bytes are kept, so a chatty tool can neither block on a full pipe nor fill the
 * heap. At the deadline, or when the waiting thread is interrupted, the process and every
 * descendant it started are destroyed.
 */
final class ChildProcess {
  /** Output kept for messages; the rest is read and dropped. */
  static final int MAX_OUTPUT_BYTES = 64 * 1024;

  private static final Duration DRAIN_GRACE = Duration.ofSeconds(2);

  /** How a finished tool ended. */
  record Result(int exitCode, String output) {}

  /** The tool was still running at its deadline; it and its descendants were destroyed. */
  static final class TimedOut extends Exception {
    private static final long serialVersionUID = 1L;

    TimedOut(Duration timeout) {
      super("did not finish within " + timeout.toSeconds() + "s");
    }
  }

  private ChildProcess() {}

  /**
   * Runs {@code command} in {@code dir} (or the current directory when {@code null}) with empty
   * input, for at most {@code timeout}.
   *
   * @throws IOException when the command cannot be started
   * @throws TimedOut when it ran past {@code timeout} (it has been destroyed)
   * @throws InterruptedException when the caller was interrupted (it has been destroyed)
   */
  static Result run(List<String> command, Path dir, Duration timeout)
      throws IOException, TimedOut, InterruptedException {
    var builder = new ProcessBuilder(command).redirectErrorStream(true);
    if (dir != null) {
      builder.directory(dir.toFile());
    }
    Process process = builder.start();
    boolean finished = false;
    try {
      process.getOutputStream().close();
      var output = new HeadCapture(process.getInputStream());
      output.start();
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new TimedOut(timeout);
      }
      finished = true;
      output.join(DRAIN_GRACE.toMillis());
      return new Result(process.exitValue(), output.text());
    } finally {
      destroyTree(process, finished);
    }
  }

  /**
   * Destroys what is left: the whole tree when the tool did not finish; otherwise only descendants
   * it left behind that are still its children (none, normally).
   */
  private static void destroyTree(Process process, boolean finished) {
    List<ProcessHandle> descendants = process.descendants().toList();
    descendants.forEach(ProcessHandle::destroyForcibly);
    if (!finished) {
      process.destroyForcibly();
    }
    for (ProcessHandle p : descendants) {
      p.onExit().completeOnTimeout(p, 5, TimeUnit.SECONDS).join();
    }
    process.onExit().completeOnTimeout(process, 5, TimeUnit.SECONDS).join();
  }

  /** Reads a stream to its end on its own thread, keeping its head. */
  private static final class HeadCapture extends Thread {
    private final InputStream in;
    private final ByteArrayOutputStream head = new ByteArrayOutputStream();

    HeadCapture(InputStream in) {
      super("capsule-tool-output");
      setDaemon(true);
      this.in = in;
    }

    @Override
    public void run() {
      byte[] buffer = new byte[8192];
      try (in) {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          keep(buffer, n);
        }
      } catch (IOException e) {
        // the process was destroyed: what was read is enough for a message
      }
    }

    private synchronized void keep(byte[] buffer, int n) {
      int room = MAX_OUTPUT_BYTES - head.size();
      head.write(buffer, 0, Math.min(room, n));
    }

    synchronized String text() {
      return head.toString(StandardCharsets.UTF_8).strip();
    }
  }
}
