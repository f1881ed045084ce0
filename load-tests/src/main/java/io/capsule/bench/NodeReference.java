package io.capsule.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The outside reference: the same modules under Node's WebAssembly engine (V8, through {@code
 * node:wasi}), run by a small script shipped in this module's resources. Each call is one Node
 * process that compiles the module once, warms up, then times fresh-instance runs.
 */
final class NodeReference {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path node;
  private final Path dir;
  private final Path runner;

  /** Medians of one module's runs: the whole run (WASI + instance + start) and start alone. */
  record Timing(long totalNanos, long startNanos) {}

  private NodeReference(Path node, Path dir) throws IOException {
    this.node = node;
    this.dir = dir;
    this.runner = dir.resolve("node-wasi-runner.mjs");
    Files.write(runner, BenchModules.resource("/bench/node-wasi-runner.mjs"));
  }

  /** The reference when {@code node} is on the PATH, else empty. */
  static Optional<NodeReference> find(Path workDir) throws IOException {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String entry : path.split(File.pathSeparator)) {
      Path candidate = Path.of(entry, "node");
      if (Files.isExecutable(candidate)) {
        return Optional.of(new NodeReference(candidate, workDir));
      }
    }
    return Optional.empty();
  }

  /** The engine's version, e.g. {@code v20.20.2}. */
  String version() throws IOException, InterruptedException {
    return exec(List.of(node.toString(), "--version")).strip();
  }

  /** Runs {@code wasm} {@code runs} times after warming up for {@code warmUpMs}. */
  Timing time(String name, byte[] wasm, int runs, long warmUpMs, List<String> args)
      throws IOException, InterruptedException {
    Path file = dir.resolve(name + ".wasm");
    Files.write(file, wasm);
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            node.toString(), "--no-warnings", "--expose-gc", runner.toString(), file.toString()));
    cmd.addAll(List.of(Integer.toString(runs), Long.toString(warmUpMs)));
    cmd.addAll(args);
    JsonNode result = JSON.readTree(exec(cmd));
    return new Timing(result.get("total_ns").asLong(), result.get("start_ns").asLong());
  }

  private static String exec(List<String> cmd) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IOException("node failed (exit " + process.exitValue() + "): " + output.strip());
    }
    return output;
  }
}
