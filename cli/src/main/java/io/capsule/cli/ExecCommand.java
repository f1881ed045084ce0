package io.capsule.cli;

import picocli.CommandLine.Command;

/** {@code capsule exec ARTIFACT|FILE.wasm [OPTIONS] [--] [ARGS...]}. */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    description =
        "Run a built artifact (from 'capsule build') without recompiling; flags override the"
            + " options baked into it.")
final class ExecCommand extends LocalTaskCommand {}
