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
      WorkerCommand.class,
      DaemonCommand.class,
      PrepareCommand.class
    })
public final class Main {
  /** Exit code of a task that failed. */
  static final int TASK_FAILED = 1;

  /** Exit code of a usage error or an unreadable file. */
  static final int USAGE = 2;

  /**
   * Runs the command line and exits with its code. {@code run} and {@code exec} go through the
   * local daemon here (see {@link DaemonClient}).
   */
  public static void main(String[] args) {
    System.exit(commandLine(LocalContext.inProcess(true)).execute(args));
  }

  /** Runs the command line in this process and returns its exit code (for tests). */
  public static int execute(String... args) {
    return commandLine(LocalContext.inProcess(false)).execute(args);
  }

  /** Runs the command line with the given streams and returns its exit code (for tests). */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    var cmd = commandLine(LocalContext.inProcess(false));
    cmd.setOut(out);
    cmd.setErr(err);
    return cmd.execute(args);
  }

  static CommandLine commandLine() {
    return commandLine(LocalContext.inProcess(false));
  }

  static CommandLine commandLine(LocalContext context) {
    return withErrorHandlers(new CommandLine(new Main(), new Factory(context)));
  }

  /** One-line errors and exit codes as {@code capsule} gives them, for any command line. */
  static CommandLine withErrorHandlers(CommandLine cmd) {
    cmd.setExecutionExceptionHandler(Main::oneLineError);
    cmd.setParameterExceptionHandler(Main::usageError);
    return cmd;
  }

  /** Makes commands as picocli does, handing local-task commands the context they run in. */
  private record Factory(LocalContext context) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> type) throws Exception {
      K made = CommandLine.defaultFactory().create(type);
      if (made instanceof LocalTaskCommand local) {
        local.context = context;
      } else if (made instanceof BuildCommand build) {
        build.context = context;
      }
      return made;
    }
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
