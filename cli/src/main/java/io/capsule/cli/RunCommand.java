package io.capsule.cli;

import picocli.CommandLine.Command;

/** {@code capsule run FILE [OPTIONS] [--] [ARGS...]}. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Run a task file (.wasm, .wat, .capsule, .py, .js, .mjs, .ts, .mts) locally in the"
            + " sandbox, with no broker.")
final class RunCommand extends LocalTaskCommand {}
