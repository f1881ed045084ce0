package io.capsule.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import picocli.CommandLine;

/**
 * The {@code capsule} process's side of the local daemon: connects to the daemon of this build,
 * starting it (detached, once, under a lock) when none answers, hands it the task and relays its
 * output. Uses no sandbox class, so a run the daemon answers does not load Chicory here.
 */
final class DaemonClient {
  /** How long a new daemon may take to listen. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  /** The launcher's JVM flags (see {@code ./capsule}). */
  static final List<String> JVM_FLAGS =
      List.of(
          "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=4", "-XX:-DontCompileHugeMethods", "-Xss8m");

  private final DaemonPaths paths;
  private final PrintWriter err;

  DaemonClient(DaemonPaths paths, PrintWriter err) {
    this.paths = paths;
    this.err = err;
  }

  static DaemonClient forThisBuild(PrintWriter err) {
    return new DaemonClient(DaemonPaths.forThisBuild(), err);
  }

  /** {@code CAPSULE_NO_DAEMON} set (to anything but {@code 0}): run in-process. */
  static boolean disabledByEnvironment() {
    String value = System.getenv("CAPSULE_NO_DAEMON");
    return value != null && !value.isBlank() && !value.equals("0");
  }

  /**
   * Runs {@code capsule COMMAND ARGS} in the daemon and relays its output to {@code cmd}'s streams.
   *
   * @return the exit code, or empty when the daemon could not take the task (the reason is on
   *     stderr; the caller runs it in-process)
   */
  OptionalInt runTask(
      String command, List<String> args, Path cwd, Map<String, String> env, CommandLine cmd) {
    var request = new DaemonWire.Request(DaemonWire.Kind.TASK, command, args, cwd.toString(), env);
    SocketChannel channel;
    InputStream in;
    try {
      channel = connectOrStart();
      DaemonWire.writeRequest(new BufferedOutputStream(DaemonWire.out(channel)), request);
      in = new BufferedInputStream(DaemonWire.in(channel));
      DaemonWire.Frame first = DaemonWire.readFrame(in);
      if (first != null && first.type() == DaemonWire.DECLINED) {
        channel.close();
        err.println(
            "capsule: running in this process: "
                + new String(first.data(), StandardCharsets.UTF_8));
        err.flush();
        return OptionalInt.empty();
      }
      if (first == null || first.type() != DaemonWire.ACCEPTED) {
        channel.close();
        throw new IOException("the daemon did not take the task");
      }
    } catch (IOException | RuntimeException e) {
      err.println("capsule: running in this process: no local daemon (" + reason(e) + ")");
      err.flush();
      return OptionalInt.empty();
    }
    try (channel) {
      return OptionalInt.of(relay(in, cmd.getOut(), cmd.getErr()));
    } catch (IOException e) {
      err.println(
          "capsule: the local daemon stopped before the task ended ("
              + e.getMessage()
              + "); see "
              + paths.log());
      return OptionalInt.of(Main.TASK_FAILED);
    }
  }

  /** My own failures say what happened; the JDK's file errors name only the path. */
  private static String reason(Exception e) {
    return e.getClass() == IOException.class
        ? e.getMessage()
        : e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private static int relay(InputStream in, PrintWriter out, PrintWriter err) throws IOException {
    while (true) {
      DaemonWire.Frame frame = DaemonWire.readFrame(in);
      if (frame == null) {
        throw new IOException("connection closed");
      }
      switch (frame.type()) {
        case DaemonWire.STDOUT -> print(out, frame);
        case DaemonWire.STDERR -> print(err, frame);
        case DaemonWire.EXIT -> {
          return frame.exitCode();
        }
        default -> throw new IOException("unexpected frame " + frame.type());
      }
    }
  }

  private static void print(PrintWriter to, DaemonWire.Frame frame) {
    to.print(new String(frame.data(), StandardCharsets.UTF_8));
    to.flush();
  }

  /** The running daemon's status text, or {@code null} when none answers. */
  String status() throws IOException {
    return ask(DaemonWire.Kind.STATUS);
  }

  /**
   * Stops the running daemon and waits (bounded) until it has let go of its socket.
   *
   * @return its reply, or {@code null} when none was running
   */
  String stop() throws IOException, InterruptedException {
    String reply = ask(DaemonWire.Kind.STOP);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (reply != null && Files.exists(paths.socket()) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return reply;
  }

  private String ask(DaemonWire.Kind kind) throws IOException {
    SocketChannel channel = tryConnect();
    if (channel == null) {
      return null;
    }
    try (channel) {
      DaemonWire.writeRequest(
          new BufferedOutputStream(DaemonWire.out(channel)), DaemonWire.Request.of(kind));
      var text = new java.io.StringWriter();
      var writer = new PrintWriter(text);
      relay(new BufferedInputStream(DaemonWire.in(channel)), writer, writer);
      return text.toString();
    }
  }

  /** A connection to this build's daemon, started first if none answers. */
  SocketChannel connectOrStart() throws IOException {
    paths.ensureDirectory();
    SocketChannel channel = tryConnect();
    if (channel != null) {
      return channel;
    }
    try (FileChannel lockFile =
        FileChannel.open(paths.startLock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock = lockWithin(lockFile);
      try {
        channel = tryConnect(); // another first run may have started it meanwhile
        return channel != null ? channel : awaitReady(start());
      } finally {
        lock.release();
      }
    }
  }

  private static FileLock lockWithin(FileChannel file) throws IOException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      FileLock lock = file.tryLock();
      if (lock != null) {
        return lock;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("another capsule process holds the start lock");
      }
      pause();
    }
  }

  /** Connects, or returns {@code null} when nothing listens (no socket, or a stale one). */
  SocketChannel tryConnect() {
    if (!Files.exists(paths.socket())) {
      return null;
    }
    SocketChannel channel = null;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(paths.socket()));
      return channel;
    } catch (IOException e) {
      closeQuietly(channel);
      return null;
    }
  }

  private Process start() throws IOException {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      command.add("/usr/bin/setsid"); // out of the terminal's process group: Ctrl-C spares it
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(DaemonMemory.JVM_FLAGS); // before the caller's own: the last one wins
    String opts = System.getenv("CAPSULE_JAVA_OPTS");
    boolean ownCollector = false;
    if (opts != null && !opts.isBlank()) {
      command.addAll(List.of(opts.trim().split("\\s+")));
      ownCollector = opts.matches(".*-XX:\\+Use\\w*GC.*"); // as the launcher: theirs wins
    }
    for (String flag : JVM_FLAGS) {
      if (!(ownCollector && flag.equals("-XX:+UseSerialGC"))) {
        command.add(flag);
      }
    }
    command.add("-Dcapsule.cache.dir=" + io.capsule.sandbox.SandboxConfig.defaultCacheDir());
    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
    command.addAll(List.of(Main.class.getName(), "daemon", "run"));
    String idle = System.getenv("CAPSULE_DAEMON_IDLE_TIMEOUT");
    if (idle != null && !idle.isBlank()) {
      command.addAll(List.of("--idle-timeout", idle.trim()));
    }
    rotateLog();
    return new ProcessBuilder(command)
        .directory(paths.dir().toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(paths.log().toFile()))
        .redirectErrorStream(true)
        .start();
  }

  /** Keeps the log of earlier daemons of this build to one older file of at most 1 MiB. */
  private void rotateLog() throws IOException {
    Path log = paths.log();
    if (Files.isRegularFile(log) && Files.size(log) > (1 << 20)) {
      Files.move(
          log,
          log.resolveSibling(log.getFileName() + ".1"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private SocketChannel awaitReady(Process daemon) throws IOException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      SocketChannel channel = tryConnect();
      if (channel != null) {
        err.println(
            "capsule: started a local daemon (pid " + daemon.pid() + "; capsule daemon stop)");
        err.flush();
        return channel;
      }
      if (!daemon.isAlive()) {
        throw new IOException(
            "the daemon exited with code " + daemon.exitValue() + "; see " + paths.log());
      }
      pause();
    }
    throw new IOException("the daemon did not listen within " + START_TIMEOUT.toSeconds() + " s");
  }

  private static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // nothing to do
      }
    }
  }
}
