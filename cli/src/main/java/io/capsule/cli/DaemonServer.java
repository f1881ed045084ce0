package io.capsule.cli;

import io.capsule.protocol.Durations;
import io.capsule.sandbox.CacheSweeper;
import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.GuestScript;
import io.capsule.sandbox.SandboxConfig;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;

/**
 * The local daemon: serves {@code capsule run}/{@code exec} requests on a Unix domain socket in an
 * owner-only directory, each on its own thread against the shared {@link DaemonSandboxes}, with the
 * caller's working directory and environment. Refuses peers of another user (checked with {@code
 * SO_PEERCRED}). Exits after an idle timeout, on a stop request, or when its socket is deleted.
 */
final class DaemonServer {
  private final DaemonPaths paths;
  private final Duration idleTimeout;
  private final int warmupRuns;
  private final PrintStream log;
  private final long startedAt = System.nanoTime();
  private final AtomicLong served = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong lastActivity = new AtomicLong(System.nanoTime());
  private final ExecutorService connections =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "capsule-daemon-connection");
            t.setDaemon(true);
            return t;
          });
  private volatile ServerSocketChannel server;
  private Thread warmup;
  private volatile String lastFile; // the task file of the latest caller, for the warm-up's order
  private int checks;
  private DaemonSandboxes sandboxes;

  DaemonServer(DaemonPaths paths, Duration idleTimeout, int warmupRuns, PrintStream log) {
    this.paths = paths;
    this.idleTimeout = idleTimeout;
    this.warmupRuns = warmupRuns;
    this.log = log;
  }

  /**
   * Serves until stopped. Returns 0, also when another daemon of this build already runs (then it
   * leaves at once).
   */
  int serve() throws IOException {
    paths.ensureDirectory();
    try (FileChannel lockFile =
            FileChannel.open(
                paths.daemonLock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockFile.tryLock()) {
      if (lock == null) {
        log.println("capsule daemon: another daemon of this build is running; leaving");
        return 0;
      }
      Thread cleanup = new Thread(this::deleteSocket, "capsule-daemon-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup); // SIGTERM skips the finally below
      try (DaemonSandboxes shared = new DaemonSandboxes(paths.dir())) {
        this.sandboxes = shared;
        listen();
        acceptUntilStopped();
        warmup.interrupt(); // before the sandboxes close under it
      } finally {
        deleteSocket();
        Runtime.getRuntime().removeShutdownHook(cleanup);
      }
    }
    log.printf("capsule daemon: stopped after serving %d tasks%n", served.get());
    return 0;
  }

  private void deleteSocket() {
    try {
      Files.deleteIfExists(paths.socket());
      Files.deleteIfExists(paths.pidFile());
    } catch (IOException e) {
      log.println("capsule daemon: " + e);
    }
  }

  private void listen() throws IOException {
    Files.deleteIfExists(paths.socket()); // stale: no daemon holds the lock
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(paths.socket()));
    Files.writeString(paths.pidFile(), ProcessHandle.current().pid() + "\n");
    log.printf(
        "capsule daemon: pid %d listening on %s (idle timeout %s)%n",
        ProcessHandle.current().pid(), paths.socket(), Durations.format(idleTimeout));
    warmup =
        new Thread(
            new DaemonWarmup(
                sandboxes,
                paths.dir(),
                warmupRuns,
                log,
                () -> inFlight.get() > 0,
                () -> lastFile,
                this::warmupRun),
            "warmup");
    warmup.setDaemon(true);
    warmup.start();
    ScheduledExecutorService watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "capsule-daemon-idle");
              t.setDaemon(true);
              return t;
            });
    watchdog.scheduleWithFixedDelay(this::stopIfIdleOrOrphaned, 1, 1, TimeUnit.SECONDS);
    watchdog.schedule(this::sweepCache, 1, TimeUnit.MINUTES); // after the warm-up's busy start
  }

  /**
   * Removes cache entries (and directories of other builds' daemons) unused for {@link
   * CacheSweeper#DEFAULT_MAX_UNUSED}: each upgrade keys new ones, and the daemon is the process
   * that lives on a developer's machine.
   */
  private void sweepCache() {
    Duration maxUnused = CacheSweeper.DEFAULT_MAX_UNUSED;
    CacheSweeper.Swept swept = CacheSweeper.sweep(SandboxConfig.defaultCacheDir(), maxUnused);
    int daemons = DaemonPaths.sweepOthers(paths, maxUnused);
    if (swept.files() > 0 || daemons > 0) {
      log.printf(
          "capsule daemon: removed %d cache files (%d MB) and %d old daemon directories unused"
              + " for %s%n",
          swept.files(), swept.bytes() >> 20, daemons, Durations.format(maxUnused));
    }
  }

  private void acceptUntilStopped() throws IOException {
    while (true) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (ClosedChannelException e) {
        return;
      }
      lastActivity.set(System.nanoTime());
      inFlight.incrementAndGet();
      connections.execute(() -> serveConnection(channel));
    }
  }

  /**
   * Stops after the idle timeout, when the socket was deleted, or (between tasks) when the build
   * was replaced: a rebuilt CLI starts a daemon of its own, so this one would only hold memory.
   */
  private void stopIfIdleOrOrphaned() {
    boolean quiet = inFlight.get() == 0;
    boolean idle = quiet && System.nanoTime() - lastActivity.get() > idleTimeout.toNanos();
    String why =
        idle
            ? "idle for " + Durations.format(idleTimeout)
            : !Files.exists(paths.socket())
                ? "socket gone"
                : quiet && ++checks % 10 == 0 && isStale() ? "the build was replaced" : null;
    if (why != null) {
      log.println("capsule daemon: stopping: " + why);
      stop();
    }
  }

  private boolean isStale() {
    String now = DaemonPaths.fingerprint(System.getProperty("java.class.path"));
    return !paths.dir().getFileName().toString().equals(now);
  }

  private void stop() {
    try {
      server.close();
    } catch (IOException e) {
      log.println("capsule daemon: closing the socket: " + e);
    }
  }

  private void serveConnection(SocketChannel channel) {
    try (channel) {
      if (!DaemonPeer.isSameUser(channel, paths.dir())) {
        log.println("capsule daemon: refused a connection from another user");
        return;
      }
      InputStream in = new BufferedInputStream(DaemonWire.in(channel));
      DaemonWire.Request request = DaemonWire.readRequest(in);
      switch (request.kind()) {
        case TASK -> serveTask(channel, in, request);
        case STATUS -> reply(channel, status(), 0);
        case STOP -> {
          reply(channel, "stopping pid " + ProcessHandle.current().pid() + "\n", 0);
          stop();
        }
      }
    } catch (java.io.EOFException e) {
      // connected and left without asking (capsule daemon start does that)
    } catch (IOException | RuntimeException e) {
      log.println("capsule daemon: dropped a request: " + e);
    } finally {
      lastActivity.set(System.nanoTime());
      inFlight.decrementAndGet();
    }
  }

  private void reply(SocketChannel channel, String text, int code) throws IOException {
    OutputStream out = new BufferedOutputStream(DaemonWire.out(channel));
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    DaemonWire.writeFrame(out, DaemonWire.STDOUT, bytes, bytes.length);
    DaemonWire.writeExit(out, code);
  }

  String status() {
    long uptime = (System.nanoTime() - startedAt) / 1_000_000_000L;
    return String.format(
        "pid %d%nuptime %s%ntasks served %d%nrunning %d%nsocket %s%nlog %s%nidle timeout %s%n",
        ProcessHandle.current().pid(),
        Durations.format(Duration.ofSeconds(uptime)),
        served.get(),
        inFlight.get() - 1,
        paths.socket(),
        paths.log(),
        Durations.format(idleTimeout));
  }

  /**
   * Runs {@code capsule run|exec ARGS} as the caller's process would, its stdout and stderr sent as
   * frames. A watcher reads the connection: if the caller goes away first, the task is interrupted
   * (the sandbox turns that into an outcome) and its output dropped.
   */
  private void serveTask(SocketChannel channel, InputStream in, DaemonWire.Request request)
      throws IOException {
    FrameSink sink = new FrameSink(channel);
    String unprepared = unprepared(request);
    if (unprepared != null) {
      sink.declined(unprepared);
      return;
    }
    sink.accepted();
    Thread worker = Thread.currentThread();
    Object lock = new Object();
    boolean[] done = {false};
    connections.execute(
        () -> {
          try {
            while (in.read() >= 0) {
              // a caller sends nothing more; reading only notices when it goes away
            }
          } catch (IOException e) {
            // gone as well
          }
          synchronized (lock) {
            if (!done[0]) {
              log.println("capsule daemon: the caller went away; stopping its task");
              worker.interrupt();
            }
          }
        });
    int code;
    try {
      code = runCommand(request, sink);
    } finally {
      synchronized (lock) {
        done[0] = true;
      }
      Thread.interrupted(); // a caller that left just before the end must not reach the next
    }
    sink.exit(code);
    served.incrementAndGet();
  }

  /**
   * Why the daemon leaves a script task to its caller, or {@code null}: the task's interpreter (or
   * Python snapshot) is not prepared yet. That one-time preparation takes seconds to minutes and
   * reports its progress on stderr; run by the caller, the progress shows in the caller's terminal
   * (the daemon's would go to its log), and the runs after it find everything on disk.
   */
  private String unprepared(DaemonWire.Request request) {
    if (!request.command().equals("run")) {
      return null;
    }
    GuestScript.Language language =
        request.args().stream()
            .filter(a -> !a.startsWith("-"))
            .map(GuestScript.Language::ofFile)
            .filter(java.util.Objects::nonNull)
            .findFirst()
            .orElse(null);
    if (language == null) {
      return null;
    }
    ExecutionMode mode =
        request.args().contains("--interpreter")
            ? ExecutionMode.INTERPRETED
            : ExecutionMode.COMPILED;
    try {
      return sandboxes.root(mode).isReadyFor(language)
          ? null
          : "its "
              + language.name().toLowerCase(java.util.Locale.ROOT)
              + " interpreter is not"
              + " prepared yet (one-time; the following runs go through the daemon)";
    } catch (RuntimeException e) {
      return null;
    }
  }

  private int runCommand(DaemonWire.Request request, FrameSink sink) {
    request.args().stream()
        .filter(a -> !a.startsWith("-"))
        .findFirst()
        .ifPresent(f -> lastFile = f);
    PrintWriter out = sink.writer(DaemonWire.STDOUT);
    PrintWriter err = sink.writer(DaemonWire.STDERR);
    int code =
        execute(
            request.command(),
            request.args(),
            Path.of(request.cwd()),
            request.environment(),
            out,
            err);
    out.flush();
    err.flush();
    return code;
  }

  private int warmupRun(List<String> args, Path cwd) {
    var discard = new PrintWriter(Writer.nullWriter());
    return execute("run", args, cwd, Map.of(), discard, discard);
  }

  /** {@code capsule NAME ARGS} as a caller in {@code cwd} with {@code environment} would run it. */
  private int execute(
      String name,
      List<String> args,
      Path cwd,
      Map<String, String> environment,
      PrintWriter out,
      PrintWriter err) {
    LocalTaskCommand command = name.equals("exec") ? new ExecCommand() : new RunCommand();
    command.context = LocalContext.forCaller(cwd, environment, sandboxes);
    CommandLine cmd = Main.withErrorHandlers(new CommandLine(command));
    cmd.setOut(out);
    cmd.setErr(err);
    return cmd.execute(args.toArray(String[]::new));
  }

  /** Frames to one caller; a write that fails marks the caller gone and drops the rest. */
  private static final class FrameSink {
    private final OutputStream out;
    private boolean broken;

    FrameSink(SocketChannel channel) {
      this.out = new BufferedOutputStream(DaemonWire.out(channel));
    }

    synchronized void accepted() throws IOException {
      DaemonWire.writeFrame(out, DaemonWire.ACCEPTED, new byte[0], 0);
    }

    synchronized void declined(String reason) throws IOException {
      byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
      DaemonWire.writeFrame(out, DaemonWire.DECLINED, bytes, bytes.length);
    }

    synchronized void write(byte type, byte[] data, int length) {
      if (broken) {
        return;
      }
      try {
        DaemonWire.writeFrame(out, type, data, length);
      } catch (IOException e) {
        broken = true;
      }
    }

    synchronized void exit(int code) throws IOException {
      if (!broken) {
        DaemonWire.writeExit(out, code);
      }
    }

    PrintWriter writer(byte type) {
      OutputStream frames =
          new OutputStream() {
            @Override
            public void write(int b) {
              write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
              byte[] copy = java.util.Arrays.copyOfRange(b, off, off + len);
              FrameSink.this.write(type, copy, len);
            }
          };
      return new PrintWriter(new OutputStreamWriter(frames, StandardCharsets.UTF_8), false);
    }
  }
}
