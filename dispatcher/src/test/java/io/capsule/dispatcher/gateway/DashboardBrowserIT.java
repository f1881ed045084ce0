package io.capsule.dispatcher.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.capsule.broker.junit.BootstrapServers;
import io.capsule.broker.junit.KafkaBrokerExtension;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.TaskOptions;
import io.capsule.sandbox.testing.Corpus;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard end to end in headless Chromium (Debian's {@code chromium}; skipped when it is not
 * installed): it logs in through the {@code access_token} link, renders counts and the latest tasks
 * from the live API, and a screenshot of it is not blank.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DashboardBrowserIT {
  private static final Duration BOUND = Duration.ofSeconds(60);

  @Test
  void dashboardShowsLiveCountsAndLatestTasksInHeadlessChromium(
      @BootstrapServers String servers, @TempDir Path tmp) throws Exception {
    Optional<Path> chromium = chromium();
    assumeThat(chromium).as("chromium is installed").isPresent();
    try (GatewayFleet fleet = new GatewayFleet(servers)) {
      String ok = finished(fleet, Corpus.wat("hello"));
      String bad = finished(fleet, Corpus.wat("unreachable"));
      String url = fleet.gateway.url() + "/?access_token=" + GatewayFleet.TOKEN;

      String dom = run(chromium.get(), tmp, "--dump-dom", url);
      assertThat(dom).contains("data-task-id=\"" + ok + "\"", "data-task-id=\"" + bad + "\"");
      assertThat(dom).contains("wasm_error", "state-succeeded", ">live<");
      assertThat(dom).containsPattern("data-state=\"succeeded\"><span class=\"n\">[1-9]");

      Path png = tmp.resolve("dashboard.png");
      run(chromium.get(), tmp, "--screenshot=" + png, "--window-size=1280,900", url);
      assertNotBlank(png);
    }
  }

  private static String finished(GatewayFleet fleet, byte[] module) {
    var response = fleet.post("/v1/tasks", GatewayFleet.requestJson(module, TaskOptions.NONE));
    String id = CapsuleJson.readTree(response.body()).get("task_id").asText();
    await()
        .atMost(BOUND)
        .until(() -> fleet.get("/v1/tasks/" + id + "/result?wait=10s").statusCode() == 200);
    await().atMost(BOUND).until(() -> fleet.get("/v1/tasks?limit=1000").body().contains(id));
    return id;
  }

  private static String run(Path chromium, Path tmp, String... action)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(chromium.toString()));
    command.addAll(
        List.of(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
            "--user-data-dir=" + tmp.resolve("profile")));
    command.addAll(List.of(action));
    Path out = Files.createTempFile(tmp, "chromium", ".out");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(tmp.resolve("chromium.err").toFile())
            .start();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("chromium did not finish in 90 s");
    }
    assertThat(process.exitValue()).as(Files.readString(tmp.resolve("chromium.err"))).isZero();
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static void assertNotBlank(Path png) throws IOException {
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).as("a PNG was written").isNotNull();
    assertThat(image.getWidth()).isGreaterThan(400);
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 4) {
      for (int x = 0; x < image.getWidth(); x += 4) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertThat(colours.size()).as("distinct colours in the screenshot").isGreaterThan(20);
  }

  private static Optional<Path> chromium() {
    return Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser")
        .map(Path::of)
        .filter(Files::isExecutable)
        .findFirst()
        .or(() -> Optional.ofNullable(onPath()));
  }

  private static Path onPath() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "chromium");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
