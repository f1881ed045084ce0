package io.capsule.cli;

import io.capsule.protocol.Durations;
import io.capsule.sandbox.GuestScript;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine;

/**
 * The local daemon: serves {@code capsule run}/{@code exec} requests on a Unix domain socket in an
 * owner-only directory, each on its own thread against the shared {@link DaemonSandboxes}, with the
 * caller's working directory and environment. Refuses peers of another user ({@link DaemonPeer}).
 * Its other jobs have classes of their own: {@link DaemonLock} (one daemon per build, pid and
 * socket files), {@link DaemonWatchdog} (stops when idle, orphaned or outdated; sweeps the cache),
 * {@link DaemonWarmup}, {@link DaemonFrameSink} (the reply frames) and {@link DaemonCallerWatch}
 * (stops a task whose caller left).
 */
final class DaemonServer {
  private final DaemonPaths paths;
  private final Duration idleTimeout;
  private final int warmupRuns;
  private final PrintStream log;
  private final DaemonActivity activity = new DaemonActivity();
  private final ExecutorService connections =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "capsule-daemon-connection");
            t.setDaemon(true);
            return t;
          });
  private volatile ServerSocketChannel server;
  private DaemonSandboxes sandboxes;
  private DaemonWarmup warmup;

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
    try (DaemonLock lock = DaemonLock.tryAcquire(paths, log)) {
      if (lock == null) {
        log.println("capsule daemon: another daemon of this build is running; leaving");
        return 0;
      }
      try (DaemonSandboxes shared = new DaemonSandboxes(paths.dir())) {
        this.sandboxes = shared;
        listen(lock);
        try (DaemonWarmup warm = warmup(); // closed before the sandboxes close under it
            var watchdog = new DaemonWatchdog(paths, idleTimeout, activity, log, this::stop)) {
          this.warmup = warm;
          watchdog.start();
          acceptUntilStopped();
        }
      }
    }
    log.printf("capsule daemon: stopped after serving %d tasks%n", activity.tasksServed());
    return 0;
  }

  private void listen(DaemonLock lock) throws IOException {
    Files.deleteIfExists(paths.socket()); // stale: no daemon holds the lock
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(paths.socket()));
    lock.writePid();
    log.printf(
        "capsule daemon: pid %d listening on %s (idle timeout %s)%n",
        ProcessHandle.current().pid(), paths.socket(), Durations.format(idleTimeout));
  }

  private DaemonWarmup warmup() {
    return new DaemonWarmup(
        sandboxes,
        paths.dir(),
        warmupRuns,
        log,
        () -> !activity.isQuiet(),
        this::warmupRun,
        () -> DaemonMemory.trim(log, "the warm-up"));
  }

  private void acceptUntilStopped() throws IOException {
    while (true) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (ClosedChannelException e) {
        return;
      }
      activity.opened();
      connections.execute(() -> serveConnection(channel));
    }
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
        case STATUS -> DaemonFrameSink.reply(channel, status(), 0);
        case STOP -> {
          DaemonFrameSink.reply(channel, "stopping pid " + ProcessHandle.current().pid() + "\n", 0);
          stop();
        }
      }
    } catch (EOFException e) {
      // connected and left without asking (capsule daemon start does that)
    } catch (IOException | RuntimeException e) {
      log.println("capsule daemon: dropped a request: " + e);
    } finally {
      activity.closed();
    }
  }

  String status() {
    return activity.status(paths, idleTimeout);
  }

  /**
   * Runs {@code capsule run|exec ARGS} as the caller's process would, its stdout and stderr sent as
   * frames, while a {@link DaemonCallerWatch} stops it if the caller goes away first.
   */
  private void serveTask(SocketChannel channel, InputStream in, DaemonWire.Request request)
      throws IOException {
    var sink = new DaemonFrameSink(channel);
    DaemonTaskArgs args =
        request.command().equals("run") ? DaemonTaskArgs.parse(request.args()) : null;
    String unprepared = args == null ? null : unprepared(args);
    if (unprepared != null) {
      sink.declined(unprepared);
      return;
    }
    sink.accepted();
    int code;
    DaemonCallerWatch watch = DaemonCallerWatch.start(in, connections, log);
    try {
      code = runCommand(request, sink);
    } finally {
      watch.close();
    }
    sink.exit(code);
    activity.served();
    if (args != null && args.file() != null) {
      warmup.requested(args.file());
    }
  }

  /**
   * Why the daemon leaves a script task to its caller, or {@code null}: the task's interpreter (or
   * Python snapshot) is not prepared yet. That one-time preparation takes seconds to minutes and
   * reports its progress on stderr; run by the caller, the progress shows in the caller's terminal
   * (the daemon's would go to its log), and the runs after it find everything on disk.
   */
  private String unprepared(DaemonTaskArgs args) {
    GuestScript.Language language = args.language();
    try {
      return language == null || sandboxes.root(args.mode()).isReadyFor(language)
          ? null
          : "its "
              + language.name().toLowerCase(Locale.ROOT)
              + " interpreter is not"
              + " prepared yet (one-time; the following runs go through the daemon)";
    } catch (RuntimeException e) {
      return null;
    }
  }

  private int runCommand(DaemonWire.Request request, DaemonFrameSink sink) {
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
}
