package io.capsule.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.capsule.dispatcher.gateway.BearerTokens;
import io.capsule.protocol.ByteSize;
import io.capsule.protocol.ComputeLevel;
import io.capsule.protocol.Topics;
import io.capsule.worker.WorkerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * Static checks of docker-compose.yml, deploy/ (Dockerfile, Kubernetes manifests, Prometheus and
 * Grafana files) with no Docker engine: they parse, and every image, port, environment variable,
 * command and worker flag they use exists in this project.
 */
class DeploymentFilesTest {
  private static final Path ROOT = Path.of("..");
  private static final Path K8S = ROOT.resolve("deploy/k8s");
  private static final String IMAGE = "capsule:dev";
  private static final Set<String> THIRD_PARTY_IMAGES = Set.of("apache/kafka", "prom/prometheus");
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final long HEADROOM = 512L * 1024 * 1024;

  @Test
  void composeServicesUseTheProjectImageOrOfficialOnesAndBuildFromTheDockerfile()
      throws IOException {
    for (var service : compose().get("services").properties()) {
      String image = service.getValue().path("image").asText();
      if (image.equals(IMAGE)) {
        JsonNode build = service.getValue().get("build");
        assertThat(build).as(service.getKey() + " builds the image").isNotNull();
        assertThat(
                ROOT.resolve(build.get("context").asText())
                    .resolve(build.get("dockerfile").asText()))
            .isRegularFile();
      } else {
        assertThat(image.substring(0, image.indexOf(':')))
            .as(service.getKey())
            .isIn(THIRD_PARTY_IMAGES);
      }
    }
    assertThat(compose().at("/services/kafka/environment/KAFKA_PROCESS_ROLES").asText())
        .isEqualTo("broker,controller");
  }

  @Test
  void composeCommandsAreAcceptedByTheCli() throws IOException {
    List<String> roles = new ArrayList<>();
    for (var service : compose().get("services").properties()) {
      if (service.getValue().path("image").asText().equals(IMAGE)) {
        List<String> args = strings(service.getValue().get("command"));
        assertAccepted(args, environment(service.getValue()));
        roles.add(args.get(0));
      }
    }
    assertThat(roles).contains("topics", "gateway", "worker");
    assertThat(compose().at("/services/topics/command").toString()).contains("--create");
  }

  @Test
  void composeHasOneWorkerServicePerLevelWithReplicas() throws IOException {
    for (ComputeLevel level : levels()) {
      JsonNode worker = compose().at("/services/worker-" + level.topicSuffix());
      assertThat(worker.isMissingNode()).as(level.toString()).isFalse();
      assertThat(strings(worker.get("command"))).containsSequence("--levels", level.topicSuffix());
      assertThat(worker.at("/deploy/replicas").asInt()).isPositive();
      assertBudgetFits(
          strings(worker.get("command")), worker.at("/deploy/resources/limits/memory").asText());
    }
  }

  @Test
  void composePortsMatchTheCommandsTheImageAndPrometheus() throws IOException {
    JsonNode gateway = compose().at("/services/gateway");
    String port = flag(strings(gateway.get("command")), "--port");
    assertThat(strings(gateway.get("ports"))).contains("127.0.0.1:" + port + ":" + port);
    assertThat(gateway.at("/healthcheck/test").toString()).contains("/" + port, "/health");
    String dockerfile = Files.readString(ROOT.resolve("deploy/Dockerfile"));
    assertThat(dockerfile).containsPattern("EXPOSE .*\\b" + port + "\\b");

    JsonNode prometheus = YAML.readTree(ROOT.resolve("deploy/prometheus/prometheus.yml").toFile());
    JsonNode workerJob = prometheus.get("scrape_configs").get(0);
    for (ComputeLevel level : levels()) {
      JsonNode worker = compose().at("/services/worker-" + level.topicSuffix());
      String metrics = flag(strings(worker.get("command")), "--metrics-port");
      assertThat(workerJob.at("/dns_sd_configs/0/port").asText()).isEqualTo(metrics);
      assertThat(strings(workerJob.at("/dns_sd_configs/0/names")))
          .contains("worker-" + level.topicSuffix());
      assertThat(dockerfile).containsPattern("EXPOSE .*\\b" + metrics + "\\b");
    }
    JsonNode gatewayJob = prometheus.get("scrape_configs").get(1);
    assertThat(gatewayJob.at("/static_configs/0/targets/0").asText()).isEqualTo("gateway:" + port);
    String tokenFile = gatewayJob.at("/authorization/credentials_file").asText();
    assertThat(tokenFile).startsWith("/prometheus/");
    assertThat(strings(compose().at("/services/prometheus/entrypoint")).get(2))
        .contains("> " + tokenFile + " ", "CAPSULE_GATEWAY_TOKENS%%,*");
    assertThat(compose().at("/services/prometheus/environment/" + BearerTokens.ENV).asText())
        .isEqualTo(gateway.at("/environment/" + BearerTokens.ENV).asText());
    assertThat(strings(compose().at("/services/prometheus/volumes")).get(0))
        .startsWith("./deploy/prometheus/prometheus.yml:");
  }

  /** No default token, Kafka not on the host, everything published on loopback only. */
  @Test
  void composeDefaultsAreSafe() throws IOException {
    JsonNode services = compose().get("services");
    for (var service : services.properties()) {
      String tokens = service.getValue().at("/environment/" + BearerTokens.ENV).asText("");
      assertThat(tokens)
          .as(service.getKey() + " " + BearerTokens.ENV)
          .satisfiesAnyOf(
              t -> assertThat(t).isEmpty(),
              t -> assertThat(t).startsWith("${" + BearerTokens.ENV + ":?").endsWith("}"));
      for (String published : strings(service.getValue().path("ports"))) {
        assertThat(published).as(service.getKey() + " port").startsWith("127.0.0.1:");
      }
    }
    assertThat(services.at("/gateway/environment/" + BearerTokens.ENV).asText())
        .as("the gateway needs the token variable set")
        .startsWith("${" + BearerTokens.ENV + ":?");
    assertThat(services.at("/kafka/ports").isMissingNode()).as("kafka published").isTrue();
    assertThat(strings(services.at("/gateway/command")))
        .containsSequence("--gateway-host", "0.0.0.0");
    String file = Files.readString(ROOT.resolve("docker-compose.yml"));
    assertThat(file).doesNotContain(":-change-me", "9092:9092");
    assertThat(Files.readString(ROOT.resolve("deploy/prometheus/prometheus.yml")))
        .doesNotContain("credentials: ");
  }

  @Test
  void kubernetesGatewayTokensComeFromARequiredSecret() throws IOException {
    JsonNode gateway =
        find(k8sDocuments(), "Deployment", "capsule-gateway")
            .at("/spec/template/spec/containers/0");
    JsonNode env = null;
    for (JsonNode e : gateway.get("env")) {
      if (e.get("name").asText().equals(BearerTokens.ENV)) {
        env = e;
      }
    }
    assertThat(env).as(BearerTokens.ENV).isNotNull();
    assertThat(env.has("value")).as("an inline token").isFalse();
    assertThat(env.at("/valueFrom/secretKeyRef/name").asText()).isEqualTo("capsule-gateway-tokens");
    assertThat(env.at("/valueFrom/secretKeyRef/optional").asBoolean(false)).isFalse();
  }

  @Test
  void everyEnvironmentVariableIsOneTheProjectReads() throws IOException {
    Set<String> names = new HashSet<>();
    for (var service : compose().get("services").properties()) {
      if (service.getValue().path("image").asText().equals(IMAGE)) {
        names.addAll(environment(service.getValue()).keySet());
      }
    }
    for (JsonNode doc : k8sDocuments()) {
      doc.at("/data").fieldNames().forEachRemaining(n -> names.add(n));
      for (JsonNode env : doc.findValues("env")) {
        env.forEach(e -> names.add(e.get("name").asText()));
      }
    }
    Matcher env =
        Pattern.compile("ENV (\\w+)=").matcher(Files.readString(ROOT.resolve("deploy/Dockerfile")));
    while (env.find()) {
      names.add(env.group(1));
    }
    Set<String> known =
        Set.of(
            KafkaFlags.SERVERS_ENV,
            BearerTokens.ENV,
            "JAVA_TOOL_OPTIONS",
            "POD_NAME",
            "CAPSULE_CACHE_DIR");
    for (String name : names) {
      assertThat(
              known.contains(name)
                  || name.startsWith(WorkerConfig.KAFKA_ENV_PREFIX)
                  || name.startsWith(io.capsule.worker.WorkerPolicy.ENV_PREFIX))
          .as(name + " is read by the project")
          .isTrue();
    }
  }

  @Test
  void kubernetesManifestsParseAndKustomizationListsEveryFile() throws IOException {
    JsonNode kustomization = YAML.readTree(K8S.resolve("kustomization.yaml").toFile());
    Set<String> listed = new HashSet<>(strings(kustomization.get("resources")));
    try (Stream<Path> files = Files.list(K8S)) {
      Set<String> present =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml"))
              .collect(Collectors.toSet());
      assertThat(listed).isEqualTo(present);
    }
    Set<String> kinds =
        Set.of(
            "Namespace",
            "ConfigMap",
            "Job",
            "Deployment",
            "Service",
            "PodDisruptionBudget",
            "ScaledObject");
    for (JsonNode doc : k8sDocuments()) {
      assertThat(doc.get("kind").asText()).isIn(kinds);
      assertThat(doc.at("/metadata/name").asText()).isNotBlank();
    }
  }

  @Test
  void kubernetesContainersRunTheProjectImageWithAcceptedCommands() throws IOException {
    Map<String, String> config = configMap();
    for (JsonNode doc : k8sDocuments()) {
      for (JsonNode container :
          doc.findValues("containers").stream().flatMap(c -> stream(c)).toList()) {
        assertThat(container.get("image").asText()).isEqualTo(IMAGE);
        Map<String, String> env = new HashMap<>(config);
        container.path("env").forEach(e -> env.put(e.get("name").asText(), "from-k8s"));
        assertAccepted(strings(container.get("args")), env);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = ComputeLevel.class,
      names = {"LOW", "MEDIUM", "HIGH"})
  void eachLevelHasDeploymentProbesBudgetPdbAndLagScaler(ComputeLevel level) throws IOException {
    String name = "capsule-worker-" + level.topicSuffix();
    List<JsonNode> docs = k8sDocuments();
    JsonNode deployment = find(docs, "Deployment", name);
    JsonNode container = deployment.at("/spec/template/spec/containers/0");
    List<String> args = strings(container.get("args"));
    assertThat(args).containsSequence("--levels", level.topicSuffix());
    String metricsPort = flag(args, "--metrics-port");
    assertThat(container.at("/ports/0/containerPort").asText()).isEqualTo(metricsPort);
    String portName = container.at("/ports/0/name").asText();
    for (String probe : List.of("readinessProbe", "livenessProbe")) {
      assertThat(container.at("/" + probe + "/httpGet/path").asText()).isEqualTo("/health");
      assertThat(container.at("/" + probe + "/httpGet/port").asText()).isIn(portName, metricsPort);
    }
    assertBudgetFits(args, container.at("/resources/limits/memory").asText());
    String grace = flag(args, "--shutdown-grace");
    assertThat(deployment.at("/spec/template/spec/terminationGracePeriodSeconds").asLong())
        .isGreaterThan(io.capsule.protocol.Durations.parse(grace).toSeconds());

    JsonNode labels = deployment.at("/spec/template/metadata/labels");
    JsonNode pdb = find(docs, "PodDisruptionBudget", name);
    pdb.at("/spec/selector/matchLabels")
        .properties()
        .forEach(l -> assertThat(labels.get(l.getKey()).asText()).isEqualTo(l.getValue().asText()));

    JsonNode scaled = find(docs, "ScaledObject", name);
    assertThat(scaled.at("/spec/scaleTargetRef/name").asText()).isEqualTo(name);
    JsonNode trigger = scaled.at("/spec/triggers/0");
    assertThat(trigger.get("type").asText()).isEqualTo("kafka");
    WorkerConfig worker = workerConfig(args, configMap());
    assertThat(trigger.at("/metadata/consumerGroup").asText()).isEqualTo(worker.groupId(level));
    assertThat(trigger.at("/metadata/topic").asText()).isEqualTo(Topics.DEFAULT.tasks(level));
    assertThat(trigger.at("/metadata/bootstrapServers").asText())
        .isEqualTo(configMap().get(KafkaFlags.SERVERS_ENV));
    int partitions =
        Integer.parseInt(
            flag(
                strings(
                    find(docs, "Job", "capsule-topics")
                        .at("/spec/template/spec/containers/0/args")),
                "--partitions"));
    assertThat(scaled.at("/spec/maxReplicaCount").asInt()).isBetween(1, partitions);
  }

  @Test
  void grafanaDashboardUsesOnlyExportedMetricNames() throws IOException {
    JsonNode dashboard =
        new ObjectMapper().readTree(ROOT.resolve("deploy/grafana/capsule-fleet.json").toFile());
    Set<String> exported = exportedMetricNames();
    List<String> used = new ArrayList<>();
    for (JsonNode expr : dashboard.findValues("expr")) {
      Matcher m = Pattern.compile("capsule_[a-z_]+").matcher(expr.asText());
      while (m.find()) {
        used.add(m.group());
      }
    }
    assertThat(used).isNotEmpty();
    assertThat(exported).containsAll(used);
  }

  private static Set<String> exportedMetricNames() throws IOException {
    Set<String> names = new HashSet<>();
    Pattern meter =
        Pattern.compile("(Counter|Gauge|Timer|DistributionSummary)\\.builder\\(\\s*\"([a-z.]+)\"");
    for (String source :
        List.of(
            "worker/src/main/java/io/capsule/worker/internal/WorkerMetrics.java",
            "dispatcher/src/main/java/io/capsule/dispatcher/gateway/GatewayMetrics.java")) {
      Matcher m = meter.matcher(Files.readString(ROOT.resolve(source)));
      while (m.find()) {
        String base = m.group(2).replace('.', '_');
        switch (m.group(1)) {
          case "Counter" -> names.add(base + "_total");
          case "Gauge" -> names.add(base);
          case "Timer" ->
              Stream.of("_count", "_sum", "_max").forEach(s -> names.add(base + "_seconds" + s));
          default -> Stream.of("_count", "_sum", "_max").forEach(s -> names.add(base + s));
        }
      }
    }
    return names;
  }

  /** Parses a command line with the real CLI; worker flags must also be in `worker --help`. */
  private static void assertAccepted(List<String> args, Map<String, String> env) {
    assertThatCode(() -> Main.commandLine().parseArgs(args.toArray(String[]::new)))
        .as(String.join(" ", args))
        .doesNotThrowAnyException();
    if (args.get(0).equals("worker")) {
      String help = workerHelp();
      args.stream()
          .filter(a -> a.startsWith("--"))
          .forEach(flag -> assertThat(help).as("capsule worker --help").contains(flag));
      assertThatCode(() -> workerConfig(args, env)).doesNotThrowAnyException();
    }
  }

  private static WorkerConfig workerConfig(List<String> args, Map<String, String> env) {
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args.toArray(String[]::new));
    WorkerCommand command = (WorkerCommand) parsed.subcommand().commandSpec().userObject();
    return command.config(env);
  }

  private static String workerHelp() {
    StringWriter out = new StringWriter();
    int code =
        Main.execute(
            new PrintWriter(out, true),
            new PrintWriter(new StringWriter(), true),
            "worker",
            "--help");
    assertThat(code).isZero();
    return out.toString();
  }

  private static void assertBudgetFits(List<String> args, String limit) {
    long budget = ByteSize.parse(flag(args, "--memory-budget")).bytes();
    double heapShare = 0.75; // -XX:MaxRAMPercentage=75 in deploy/Dockerfile
    assertThat(budget + HEADROOM)
        .as("budget + headroom within the heap of " + limit)
        .isLessThanOrEqualTo((long) (memory(limit) * heapShare));
  }

  private static long memory(String quantity) {
    Matcher m = Pattern.compile("(\\d+)(Mi|Gi|m|g|M|G)").matcher(quantity.strip());
    assertThat(m.matches()).as(quantity).isTrue();
    long unit = m.group(2).toLowerCase().startsWith("g") ? 1L << 30 : 1L << 20;
    return Long.parseLong(m.group(1)) * unit;
  }

  private static String flag(List<String> args, String name) {
    int i = args.indexOf(name);
    assertThat(i).as(name + " in " + args).isNotNegative();
    return args.get(i + 1);
  }

  private static Map<String, String> environment(JsonNode service) {
    Map<String, String> env = new HashMap<>();
    service
        .path("environment")
        .properties()
        .forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    return env;
  }

  private static Map<String, String> configMap() throws IOException {
    Map<String, String> env = new HashMap<>();
    for (String name : List.of("capsule-kafka", "capsule-worker-policy")) {
      find(k8sDocuments(), "ConfigMap", name)
          .get("data")
          .properties()
          .forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    return env;
  }

  private static JsonNode find(List<JsonNode> docs, String kind, String name) {
    return docs.stream()
        .filter(
            d ->
                d.get("kind").asText().equals(kind) && d.at("/metadata/name").asText().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  private static List<JsonNode> k8sDocuments() throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(K8S)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        if (file.endsWith("kustomization.yaml")) {
          continue;
        }
        try (var reader = Files.newBufferedReader(file)) {
          for (Object doc : new Yaml().loadAll(reader)) {
            JsonNode tree = YAML.valueToTree(doc);
            if (tree instanceof ObjectNode) {
              docs.add(tree);
            }
          }
        }
      }
    }
    return docs;
  }

  /** The compose file with its YAML merge keys ({@code <<: *worker}) resolved, as Compose does. */
  private static JsonNode compose() throws IOException {
    try (var reader = Files.newBufferedReader(ROOT.resolve("docker-compose.yml"))) {
      Object tree = new Yaml().load(reader);
      return YAML.valueToTree(tree);
    }
  }

  private static List<ComputeLevel> levels() {
    return List.of(ComputeLevel.LOW, ComputeLevel.MEDIUM, ComputeLevel.HIGH);
  }

  private static Stream<JsonNode> stream(JsonNode array) {
    List<JsonNode> list = new ArrayList<>();
    array.forEach(list::add);
    return list.stream();
  }

  private static List<String> strings(JsonNode array) {
    List<String> list = new ArrayList<>();
    array.forEach(n -> list.add(n.asText()));
    return list;
  }
}
