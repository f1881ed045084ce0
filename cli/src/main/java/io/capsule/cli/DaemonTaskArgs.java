package io.capsule.cli;

import io.capsule.sandbox.ExecutionMode;
import io.capsule.sandbox.GuestScript;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;

/**
 * What the daemon needs to know of a {@code capsule run} request before running it: its task file
 * and execution mode, read by the command's own parser (so an option's value is never taken for the
 * file).
 *
 * @param file the task file, or {@code null} when the arguments name none or do not parse (the
 *     command then reports that itself)
 */
record DaemonTaskArgs(Path file, ExecutionMode mode) {
  static DaemonTaskArgs parse(List<String> args) {
    var command = new RunCommand();
    try {
      new CommandLine(command).parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      return new DaemonTaskArgs(null, ExecutionMode.COMPILED);
    }
    return new DaemonTaskArgs(
        command.file,
        command.output.interpreter ? ExecutionMode.INTERPRETED : ExecutionMode.COMPILED);
  }

  /** The script language of the file, or {@code null} for a module or no file. */
  GuestScript.Language language() {
    return file == null ? null : GuestScript.Language.ofFile(file.toString());
  }
}
