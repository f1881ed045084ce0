package io.capsule.cli;

import picocli.CommandLine.Command;

/** {@code capsule exec ARTIFACT|FILE.wasm [OPTIONS] [--] [ARGS...]}. */
@Command(
    name = "exec",
    mixinStandardHelpOptions = true,
    description = {
      "Run a built artifact (a .capsule from 'capsule build', of a module or a script) without"
          + " compiling it again; flags override the options baked into it. Any task file that"
          + " 'capsule run' takes runs too.",
      "A script's artifact runs only on the interpreter snapshot it was built against, checked by"
          + " SHA-256 and this installation's signature (else invalid_module: build it again);"
          + " one from 'capsule build --export' runs anywhere."
    })
final class ExecCommand extends LocalTaskCommand {}
