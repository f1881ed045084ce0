package io.capsule.cli;

import picocli.CommandLine.Command;

/** {@code capsule run FILE [OPTIONS] [--] [ARGS...]}. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description =
        "Run a task file (.wasm, .wat, .capsule, .py, .js, .mjs, .ts, .mts; default: the"
            + " [workflow] entrypoint of ./capsule.toml) locally in the sandbox, with no broker. A"
            + " script runs its task 'main', or its only task when it declares one; name another"
            + " with --task.")
final class RunCommand extends LocalTaskCommand {}
