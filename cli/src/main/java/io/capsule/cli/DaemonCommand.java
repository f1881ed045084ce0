package io.capsule.cli;

import io.capsule.protocol.Durations;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code capsule daemon status|stop|start|run}: the warm local daemon that {@code capsule run} and
 * {@code exec} hand their tasks to (see {@link DaemonClient}, {@link DaemonServer}).
 */
@Command(
    name = "daemon",
    mixinStandardHelpOptions = true,
    description =
        "The warm local daemon that 'capsule run' and 'exec' hand tasks to (started on first use).",
    subcommands = {
      DaemonCommand.StatusCommand.class,
      DaemonCommand.StopCommand.class,
      DaemonCommand.StartCommand.class,
      DaemonCommand.RunCommand.class
    })
final class DaemonCommand {
  /** Default idle timeout. */
  static final Duration DEFAULT_IDLE = Duration.ofMinutes(15);

  /** {@code capsule daemon status}. */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Print the daemon's pid, uptime, tasks served and socket; exit 1 if none runs.")
  static final class StatusCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      var client = DaemonClient.forThisBuild(spec.commandLine().getErr());
      String status = client.status();
      if (status == null) {
        spec.commandLine().getOut().println("no local daemon running (socket " + socket() + ")");
        return Main.TASK_FAILED;
      }
      spec.commandLine().getOut().print(status);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /** {@code capsule daemon stop}. */
  @Command(
      name = "stop",
      mixinStandardHelpOptions = true,
      description = "Stop the daemon (running tasks are interrupted).")
  static final class StopCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
      String reply = DaemonClient.forThisBuild(spec.commandLine().getErr()).stop();
      spec.commandLine()
          .getErr()
          .println(
              reply == null
                  ? "capsule: no local daemon running"
                  : "capsule: local daemon stopped (" + reply.strip() + ")");
      return 0;
    }
  }

  /** {@code capsule daemon start}: start it now (detached) if none runs. */
  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description = "Start the daemon in the background if none runs (capsule run does this too).")
  static final class StartCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      var client = DaemonClient.forThisBuild(spec.commandLine().getErr());
      client.connectOrStart().close();
      spec.commandLine().getOut().print(client.status());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /** {@code capsule daemon run}: serve in the foreground (what a started daemon runs). */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = "Serve in the foreground until idle, stopped or its socket is deleted.")
  static final class RunCommand implements Callable<Integer> {
    @Option(
        names = "--idle-timeout",
        paramLabel = "DURATION",
        converter = IdleConverter.class,
        description =
            "Exit after this long without a request (default 15m; capsule run passes"
                + " $CAPSULE_DAEMON_IDLE_TIMEOUT).")
    Duration idleTimeout = DEFAULT_IDLE;

    @Option(
        names = "--warmup-runs",
        paramLabel = "N",
        description =
            "Warm-up tasks for a script language, run after a caller's first task in it"
                + " (default 16; 0: none).")
    int warmupRuns = 16;

    @Override
    public Integer call() throws IOException {
      return new DaemonServer(DaemonPaths.forThisBuild(), idleTimeout, warmupRuns, System.err)
          .serve();
    }
  }

  /** Parses {@code --idle-timeout}. */
  static final class IdleConverter extends TaskOptionFlags.ProtocolConverter<Duration> {
    IdleConverter() {
      super(
          value -> {
            Duration d = Durations.parse(value);
            if (d.isZero() || d.isNegative()) {
              throw new TypeConversionException("the idle timeout must be positive");
            }
            return d;
          });
    }
  }

  private static java.nio.file.Path socket() {
    return DaemonPaths.forThisBuild().socket();
  }
}
