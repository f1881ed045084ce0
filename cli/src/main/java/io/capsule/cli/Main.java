package io.capsule.cli;

import io.capsule.protocol.CapsuleException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code capsule} command. Exit codes: 0 success, 1 task failed, 2 usage error. */
@Command(
    name = "capsule",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Runs AI-agent tasks as WebAssembly modules in metered sandboxes.",
    subcommands = {
      RunCommand.class,
      BuildCommand.class,
      ExecCommand.class,
      BenchCommand.class,
      GatewayCommand.class,
      SubmitCommand.class,
      StatusCommand.class,
      ReplayCommand.class,
      TopicsCommand.class,
      UpCommand.class,
      WorkerCommand.class
    })
public final class Main {
  /** Exit code of a task that failed. */
  static final int TASK_FAILED = 1;

  /** Exit code of a usage error or an unreadable file. */
  static final int USAGE = 2;

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code (for tests). */
  public static int execute(String... args) {
    return commandLine().execute(args);
  }

  /** Runs the command line with the given streams and returns its exit code (for tests). */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    var cmd = commandLine();
    cmd.setOut(out);
    cmd.setErr(err);
    return cmd.execute(args);
  }

  static CommandLine commandLine() {
    var cmd = new CommandLine(new Main());
    cmd.setExecutionExceptionHandler(Main::oneLineError);
    cmd.setParameterExceptionHandler(Main::usageError);
    return cmd;
  }

  private static int oneLineError(
      Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
    PrintWriter err = cmd.getErr();
    if (e instanceof UsageException || e instanceof CapsuleException) {
      err.println("capsule: " + e.getMessage());
      return USAGE;
    }
    err.println("capsule: internal error: " + e);
    return TASK_FAILED;
  }

  private static int usageError(CommandLine.ParameterException e, String[] args) {
    PrintWriter err = e.getCommandLine().getErr();
    err.println("capsule: " + e.getMessage());
    err.println("Try 'capsule " + commandPath(e.getCommandLine()) + "--help' for usage.");
    return USAGE;
  }

  private static String commandPath(CommandLine cmd) {
    String name = cmd.getCommandName();
    return name.equals("capsule") ? "" : name + " ";
  }

  /** The version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"capsule " + (v == null ? "dev" : v)};
    }
  }
}
