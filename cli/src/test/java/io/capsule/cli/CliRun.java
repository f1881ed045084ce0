package io.capsule.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One in-process run of the CLI with its captured streams. */
record CliRun(int exitCode, String out, String err) {

  static CliRun of(String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new CliRun(code, out.toString(), err.toString());
  }
}
