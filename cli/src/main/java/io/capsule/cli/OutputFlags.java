package io.capsule.cli;

import picocli.CommandLine.Option;

/** How a local run reports. */
final class OutputFlags {
  @Option(
      names = "--json",
      description =
          "Print exactly the result envelope as JSON on stdout, nothing else there (the task's"
              + " own output still goes to stderr).")
  boolean json;

  @Option(
      names = {"-v", "--verbose"},
      description =
          "Live progress lines on stderr (grant, module, attempts, outcome). The task's own"
              + " output (print, console.log, stderr) is shown on stderr as it is written, with or"
              + " without this flag.")
  boolean verbose;

  @Option(
      names = "--interpreter",
      description = "Run in Chicory's interpreter instead of compiling (slow; for debugging).")
  boolean interpreter;
}
