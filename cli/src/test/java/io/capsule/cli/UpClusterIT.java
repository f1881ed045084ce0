package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code capsule up --brokers 3 --data-dir DIR} as a separate process: three broker processes,
 * {@code topics --create} with replication settings reporting the same exact state run after run,
 * and no broker left when {@code up} is killed with SIGKILL.
 */
class UpClusterIT {
  private static final Duration BOUND = Duration.ofSeconds(120);

  @Test
  void upStartsThreeBrokerProcessesAndTopicsCreateIsExactAndIdempotent(@TempDir Path dir)
      throws Exception {
    Process up = start(dir);
    List<ProcessHandle> brokers = List.of();
    try {
      String ready = readyLine(up);
      String servers = field(ready, "bootstrap");
      brokers = up.descendants().toList();
      assertThat(servers.split(",")).hasSize(3);
      assertThat(brokers).hasSize(3);

      for (int run = 1; run <= 3; run++) {
        StringWriter out = new StringWriter();
        int code =
            Main.execute(
                new PrintWriter(out),
                new PrintWriter(new StringWriter()),
                "topics",
                "--create",
                "--bootstrap-servers",
                servers,
                "--replication-factor",
                "3",
                "--min-insync-replicas",
                "2");
        assertThat(code).as("run %d:%n%s", run, out).isZero();
        assertThat(out.toString().lines())
            .hasSize(9)
            .allSatisfy(
                line -> assertThat(line).contains(" 3 3 {").contains("min.insync.replicas=2"))
            .noneMatch(line -> line.contains("missing") || line.contains("differs"));
      }
      StringWriter out = new StringWriter();
      int asked =
          Main.execute(
              new PrintWriter(out),
              new PrintWriter(new StringWriter()),
              "topics",
              "--create",
              "--bootstrap-servers",
              servers,
              "--replication-factor",
              "1");
      assertThat(asked).isEqualTo(1);
      assertThat(out.toString()).contains("differs: replicas 3 (asked 1)");

      up.destroyForcibly();
      await().atMost(BOUND).until(() -> up.descendants().count() == 0 && brokersGone(up, dir));
      assertThat(dir.resolve("node-1/data/meta.properties")).exists();
    } finally {
      brokers.forEach(ProcessHandle::destroyForcibly);
      up.descendants().forEach(ProcessHandle::destroyForcibly);
      up.destroyForcibly();
    }
  }

  private static boolean brokersGone(Process up, Path dir) {
    return ProcessHandle.allProcesses()
        .noneMatch(
            p ->
                p.info()
                    .arguments()
                    .map(args -> String.join(" ", args).contains(dir.toString()))
                    .orElse(false));
  }

  private static Process start(Path dir) throws Exception {
    Path module = Path.of("").toAbsolutePath();
    String classpath =
        module.resolve("target/capsule-cli.jar")
            + File.pathSeparator
            + module.resolve("target/lib/*");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-Xmx512m",
            "-Dcapsule.cache.dir="
                + System.getProperty("capsule.cache.dir", "target/capsule-cache"),
            "-cp",
            classpath,
            "io.capsule.cli.Main",
            "up",
            "--brokers",
            "3",
            "--data-dir",
            dir.toString(),
            "--concurrency",
            "1")
        .redirectError(module.resolve("target/up-cluster.log").toFile())
        .start();
  }

  private static String readyLine(Process up) throws Exception {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(up.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertThat(line).as("ready line (see target/up-cluster.log)").startsWith("ready ");
    return line;
  }

  private static String field(String line, String name) {
    for (String part : line.split(" ")) {
      if (part.startsWith(name + "=")) {
        return part.substring(name.length() + 1);
      }
    }
    throw new AssertionError(name + " missing from " + line);
  }
}
