package io.capsule.cli;

import picocli.CommandLine.Option;

/** How a local run reports. */
final class OutputFlags {
  @Option(
      names = "--json",
      description = "Print exactly the result envelope as JSON on stdout, nothing else there.")
  boolean json;

  @Option(
      names = {"-v", "--verbose"},
      description = "Live task lines on stderr.")
  boolean verbose;

  @Option(
      names = "--interpreter",
      description = "Run in Chicory's interpreter instead of compiling (slow; for debugging).")
  boolean interpreter;
}
