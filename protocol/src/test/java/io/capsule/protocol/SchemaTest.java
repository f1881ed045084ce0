package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The published JSON Schemas accept what the codec writes and refuse what it refuses. */
class SchemaTest {
  private static final SchemaRegistry REGISTRY =
      SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private static Schema schema(String name) {
    InputStream in = SchemaTest.class.getResourceAsStream("/schemas/" + name);
    return REGISTRY.getSchema(in);
  }

  private static JsonNode tree(String json) {
    return CapsuleJson.readTree(json);
  }

  @Test
  void requestsWrittenByTheCodecValidate() {
    TaskOptions options =
        TaskOptions.builder()
            .compute(Compute.parse("LOW"))
            .ram(ByteSize.parse("16MB"))
            .timeout(Duration.ofSeconds(20))
            .maxRetries(1)
            .allowedFiles(List.of(FileGrant.parse("data:ro")))
            .allowedHosts(List.of("*.example.com"))
            .envVariables(List.of("API_KEY"))
            .build();
    TaskRequest request =
        TaskRequest.of(
                ModuleRef.inline(new byte[] {0, 'a', 's', 'm'}),
                List.of(TextNode.valueOf("x")),
                options)
            .withReplyTo("capsule.results");
    JsonNode json = tree(CapsuleJson.write(request));
    assertThat(schema("task-request.schema.json").validate(json)).isEmpty();
    assertThat(CapsuleJson.convert(json, TaskRequest.class)).isEqualTo(request);
  }

  @Test
  void theIssuesExampleRequestValidatesAndParses() {
    String json =
        "{\"schema\":\"capsule.task/v1\",\"id\":\"t-1\",\"task\":\"main\","
            + "\"module\":{\"sha256\":\""
            + "a".repeat(64)
            + "\"},\"args\":[1,\"two\",{\"three\":3}],"
            + "\"limits\":{\"compute\":\"LOW\",\"ram\":\"16MB\",\"timeout\":\"20s\",\"max_retries\":1},"
            + "\"permissions\":{\"allowed_files\":[\"data:ro\"],\"allowed_hosts\":[],\"env_variables\":[]},"
            + "\"reply_to\":\"capsule.results\"}";
    assertThat(schema("task-request.schema.json").validate(tree(json))).isEmpty();
    TaskRequest request = CapsuleJson.read(json, TaskRequest.class);
    assertThat(request.level()).isEqualTo(ComputeLevel.LOW);
    assertThat(request.options().timeout()).isEqualTo(Duration.ofSeconds(20));
  }

  @Test
  void malformedRequestsFailTheSchema() {
    Schema schema = schema("task-request.schema.json");
    assertThat(schema.validate(tree("{\"id\":\"x\"}"))).isNotEmpty();
    assertThat(schema.validate(tree("{\"id\":\"x\",\"module\":{}}"))).isNotEmpty();
    assertThat(
            schema.validate(
                tree(
                    "{\"id\":\"x\",\"module\":{\"sha256\":\""
                        + "a".repeat(64)
                        + "\"},\"limits\":{\"ram\":\"lots\"}}")))
        .isNotEmpty();
  }

  @Test
  void scriptRequestsValidateAndRoundTrip() {
    TaskRequest request =
        TaskRequest.of(
                ScriptRef.inline("hello.ts", "task({name: 'main'}, () => 1);"),
                List.of(TextNode.valueOf("x")),
                TaskOptions.builder().compute(Compute.of(ComputeLevel.LOW)).build())
            .withParent("parent-1");
    JsonNode json = tree(CapsuleJson.write(request));
    assertThat(schema("task-request.schema.json").validate(json)).isEmpty();
    TaskRequest back = CapsuleJson.convert(json, TaskRequest.class);
    assertThat(back.script().language()).isEqualTo("typescript");
    assertThat(back.script().source()).isEqualTo(request.script().source());
    assertThat(back.module()).isNull();
    assertThat(back.parentId()).isEqualTo("parent-1");
    assertThat(
            schema("task-request.schema.json")
                .validate(
                    tree(
                        "{\"id\":\"x\",\"script\":{\"file_name\":\"a.py\",\"sha256\":\""
                            + "b".repeat(64)
                            + "\"}}")))
        .isEmpty();
  }

  @Test
  void aChildRequestCarriesItsTreeAndRoundTrips() {
    TaskRequest child =
        TaskRequest.of(
                ScriptRef.inline("agent.js", "task({name: 'main'}, () => 1);"),
                List.of(),
                TaskOptions.builder().compute(Compute.of(ComputeLevel.LOW)).build())
            .withParent("root-1")
            .withTree(TaskTree.root("root-1", 64).child(31));
    JsonNode json = tree(CapsuleJson.write(child));
    assertThat(json.path("tree").toString())
        .isEqualTo("{\"root\":\"root-1\",\"depth\":1,\"budget\":31}");
    assertThat(schema("task-request.schema.json").validate(json)).isEmpty();
    TaskRequest back = CapsuleJson.convert(json, TaskRequest.class);
    assertThat(back).isEqualTo(child);
    assertThat(back.nextAttempt(0).tree()).isEqualTo(child.tree());
    assertThat(back.firstAttempt().withReplyTo("r").tree()).isEqualTo(child.tree());
    TaskRequest root = CapsuleJson.read(CapsuleJson.write(child.withTree(null)), TaskRequest.class);
    assertThat(root.tree()).isNull();
    assertThat(CapsuleJson.write(root)).doesNotContain("tree");
  }

  @Test
  void aForgedTreeIsRefusedWhenMalformedAndCappedAtARootsBudgetOtherwise() {
    Schema schema = schema("task-request.schema.json");
    String head = "{\"id\":\"x\",\"script\":{\"file_name\":\"a.js\",\"source\":\"x\"},";
    for (String tree :
        List.of(
            "\"tree\":{\"root\":\"r\",\"depth\":-1,\"budget\":1}}",
            "\"tree\":{\"root\":\"r\",\"depth\":1,\"budget\":-5}}",
            "\"tree\":{\"root\":\"\",\"depth\":1,\"budget\":1}}",
            "\"tree\":{\"depth\":1,\"budget\":1}}")) {
      assertThat(schema.validate(tree(head + tree))).as(tree).isNotEmpty();
      assertThatThrownBy(() -> CapsuleJson.read(head + tree, TaskRequest.class))
          .as(tree)
          .isInstanceOf(InvalidRequestException.class)
          .hasMessageContaining("tree.");
    }
    TaskTree forged = new TaskTree("victim", 0, Integer.MAX_VALUE);
    assertThat(forged.within(64)).isEqualTo(TaskTree.root("victim", 64));
    assertThat(new TaskTree("r", 2, 3).within(64)).isEqualTo(new TaskTree("r", 2, 3));
    assertThat(new TaskTree("r", 2, 3).withBudget(1)).isEqualTo(new TaskTree("r", 2, 1));
    assertThatThrownBy(() -> new TaskTree("r", 2, 3).withBudget(-1))
        .isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void malformedScriptRequestsFailTheSchemaAndTheRecord() {
    Schema schema = schema("task-request.schema.json");
    String both =
        "{\"id\":\"x\",\"module\":{\"sha256\":\""
            + "a".repeat(64)
            + "\"},\"script\":{\"file_name\":\"a.py\",\"source\":\"x=1\"}}";
    String noSource = "{\"id\":\"x\",\"script\":{\"file_name\":\"a.py\"}}";
    String badName = "{\"id\":\"x\",\"script\":{\"file_name\":\"a.rb\",\"source\":\"x\"}}";
    String wrongLanguage =
        "{\"id\":\"x\",\"script\":{\"language\":\"python\",\"file_name\":\"a.js\","
            + "\"source\":\"x\"}}";
    for (String json : List.of(both, noSource, badName)) {
      assertThat(schema.validate(tree(json))).as(json).isNotEmpty();
    }
    for (String json : List.of(both, noSource, badName, wrongLanguage)) {
      assertThatThrownBy(() -> CapsuleJson.read(json, TaskRequest.class))
          .as(json)
          .isInstanceOf(InvalidRequestException.class);
    }
    assertThatThrownBy(() -> CapsuleJson.read(badName, TaskRequest.class))
        .hasMessageContaining("must end with .py, .js, .mjs, .ts or .mts");
  }

  @Test
  void lifecycleEventsCarryTheParent() {
    LifecycleEvent event =
        LifecycleEvent.of("child", TaskState.RUNNING, "low", 1, "w").withParent("parent");
    JsonNode json = tree(CapsuleJson.write(event));
    assertThat(schema("lifecycle-event.schema.json").validate(json)).isEmpty();
    assertThat(json.path("parent_id").asText()).isEqualTo("parent");
  }

  @Test
  void aSubTasksTerminalEventSaysWhatItLeftOfItsTreeBudget() {
    ResultEnvelope ok =
        ResultEnvelope.success(tree("1"), new Execution("leaf", 1, 0, 10, 65536, List.of()));
    LifecycleEvent event =
        LifecycleEvent.finalOf("p/leaf-1", TaskState.SUCCEEDED, "low", "w-1", ok)
            .withParent("p")
            .withTreeBudgetLeft(31);
    JsonNode json = tree(CapsuleJson.write(event));
    assertThat(json.path("tree_budget_left").asInt()).isEqualTo(31);
    assertThat(CapsuleJson.convert(json, LifecycleEvent.class)).isEqualTo(event);
    // the schema, without the envelope it refers to by URL
    ((ObjectNode) json).remove("envelope");
    assertThat(schema("lifecycle-event.schema.json").validate(json)).isEmpty();
    ((ObjectNode) json).put("tree_budget_left", -1);
    assertThat(schema("lifecycle-event.schema.json").validate(json)).isNotEmpty();
    assertThat(CapsuleJson.write(event.withTreeBudgetLeft(null))).doesNotContain("tree_budget");
  }

  @Test
  void envelopesValidate() {
    var ok =
        ResultEnvelope.success(
            tree("{\"processed\":5}"), new Execution("main", 12, 0, 45000, 1245184, List.of()));
    var failed =
        ResultEnvelope.failure(
                ErrorType.TIMEOUT, "too slow", new Execution("main", 1, 2, 0, 0, List.of()))
            .withTask("t-1", 3, "worker-1")
            .withLogs("last words");
    Schema schema = schema("result-envelope.schema.json");
    assertThat(schema.validate(CapsuleJson.mapper().valueToTree(ok))).isEmpty();
    assertThat(schema.validate(CapsuleJson.mapper().valueToTree(failed))).isEmpty();
    assertThat(schema.validate(tree("{\"success\":true}"))).isNotEmpty();
  }
}
