package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.UUID;

/**
 * A task request as it travels on a level topic ({@code capsule.task/v1}); record key = {@link
 * #id()}. See {@code docs/kafka-contract.md} and {@code schemas/task-request.schema.json}.
 *
 * @param schema always {@value #SCHEMA}
 * @param id the task id: unique, the key on every topic
 * @param task the task name ({@code main} by default)
 * @param module the module, inline or by hash; {@code null} when the request carries a script
 * @param script a Python or JavaScript/TypeScript task file to run on its interpreter, or {@code
 *     null} for a module
 * @param args JSON arguments
 * @param limits fuel, memory, time and retry limits
 * @param permissions files, hosts and variables the task may use
 * @param replyTo the topic for the result envelope ({@code null}: the default results topic)
 * @param parentId the task that spawned this one as a sub-task, or {@code null}
 * @param submittedAt epoch milliseconds when it was first submitted, or 0 if unknown
 * @param attempt the 1-based attempt this record asks for (retries are re-published with the next
 *     number, so counts stay honest across workers)
 * @param notBefore epoch milliseconds before which the attempt must not start (retry backoff), or 0
 * @param tree where a sub-task sits in its tree (root, depth, sub-task budget), set by the worker
 *     that spawned it; {@code null} on a root. A worker never lets it grant more than a root gets.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskRequest(
    @JsonProperty("schema") String schema,
    @JsonProperty("id") String id,
    @JsonProperty("task") String task,
    @JsonProperty("module") ModuleRef module,
    @JsonProperty("script") ScriptRef script,
    @JsonProperty("args") List<JsonNode> args,
    @JsonProperty("limits") TaskLimits limits,
    @JsonProperty("permissions") Permissions permissions,
    @JsonProperty("reply_to") String replyTo,
    @JsonProperty("parent_id") String parentId,
    @JsonProperty("submitted_at") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long submittedAt,
    @JsonProperty("attempt") @JsonInclude(JsonInclude.Include.NON_DEFAULT) int attempt,
    @JsonProperty("not_before") @JsonInclude(JsonInclude.Include.NON_DEFAULT) long notBefore,
    @JsonProperty("tree") TaskTree tree) {

  /** The schema name of this version. */
  public static final String SCHEMA = "capsule.task/v1";

  /** The largest id accepted, in characters. */
  public static final int MAX_ID_LENGTH = 200;

  /** Validates the request; absent optional parts get their defaults. */
  public TaskRequest {
    if (schema != null && !SCHEMA.equals(schema)) {
      throw InvalidRequestException.forField(
          "schema", "unknown schema '" + schema + "', expected " + SCHEMA);
    }
    schema = SCHEMA;
    if (id == null || id.isBlank() || id.length() > MAX_ID_LENGTH) {
      throw new InvalidRequestException(
          "a task request needs an id of 1-" + MAX_ID_LENGTH + " characters");
    }
    if (module == null && script == null) {
      throw new InvalidRequestException("a task request needs a module or a script");
    }
    if (module != null && script != null) {
      throw new InvalidRequestException("a task request carries a module or a script, not both");
    }
    task = task == null || task.isBlank() ? "main" : task;
    args = args == null ? List.of() : List.copyOf(args);
    limits = limits == null ? TaskLimits.NONE : limits;
    permissions = permissions == null ? Permissions.NONE : permissions;
    attempt = Math.max(attempt, 1);
  }

  /** A request that is not (known as) a sub-task of a tree: {@code tree} is {@code null}. */
  public TaskRequest(
      String schema,
      String id,
      String task,
      ModuleRef module,
      ScriptRef script,
      List<JsonNode> args,
      TaskLimits limits,
      Permissions permissions,
      String replyTo,
      String parentId,
      long submittedAt,
      int attempt,
      long notBefore) {
    this(
        schema,
        id,
        task,
        module,
        script,
        args,
        limits,
        permissions,
        replyTo,
        parentId,
        submittedAt,
        attempt,
        notBefore,
        null);
  }

  /** A new request with a random id and default limits. */
  public static TaskRequest of(ModuleRef module, List<JsonNode> args, TaskOptions options) {
    return create(module, null, args, options);
  }

  /** A new request for a task of a script file, with a random id. */
  public static TaskRequest of(ScriptRef script, List<JsonNode> args, TaskOptions options) {
    return create(null, script, args, options);
  }

  private static TaskRequest create(
      ModuleRef module, ScriptRef script, List<JsonNode> args, TaskOptions options) {
    return new TaskRequest(
        SCHEMA,
        UUID.randomUUID().toString(),
        options.nameOrDefault(),
        module,
        script,
        args,
        TaskLimits.of(options),
        options.permissions(),
        null,
        null,
        System.currentTimeMillis(),
        1,
        0);
  }

  /** The request's limits and permissions as task options. */
  public TaskOptions options() {
    return TaskOptions.builder()
        .name(task)
        .compute(limits.compute())
        .ram(limits.ram())
        .timeout(limits.timeout())
        .maxRetries(limits.maxRetries())
        .allowedFiles(permissions.allowedFiles())
        .allowedHosts(permissions.allowedHosts())
        .envVariables(permissions.envVariables())
        .build();
  }

  /** The compute level whose topic carries this request. */
  public ComputeLevel level() {
    return options().computeOrDefault().routingLevel();
  }

  /** A copy with another module reference (e.g. inline bytes replaced by their hash). */
  public TaskRequest withModule(ModuleRef module) {
    return copy(module, null, replyTo, parentId, attempt, notBefore, tree);
  }

  /** A copy with another script reference. */
  public TaskRequest withScript(ScriptRef script) {
    return copy(null, script, replyTo, parentId, attempt, notBefore, tree);
  }

  /** A copy that names {@code parentId} as the task that spawned it. */
  public TaskRequest withParent(String parentId) {
    return copy(module, script, replyTo, parentId, attempt, notBefore, tree);
  }

  /** A copy placed at {@code tree} in a task tree (set by the worker that spawns it). */
  public TaskRequest withTree(TaskTree tree) {
    return copy(module, script, replyTo, parentId, attempt, notBefore, tree);
  }

  /** A copy for the next attempt, not to start before {@code notBefore} (epoch ms). */
  public TaskRequest nextAttempt(long notBefore) {
    return copy(module, script, replyTo, parentId, attempt + 1, notBefore, tree);
  }

  /** A copy starting again from the first attempt (for replay). */
  public TaskRequest firstAttempt() {
    return copy(module, script, replyTo, parentId, 1, 0, tree);
  }

  /** A copy with a reply topic. */
  public TaskRequest withReplyTo(String replyTo) {
    return copy(module, script, replyTo, parentId, attempt, notBefore, tree);
  }

  private TaskRequest copy(
      ModuleRef module,
      ScriptRef script,
      String replyTo,
      String parentId,
      int attempt,
      long notBefore,
      TaskTree tree) {
    return new TaskRequest(
        schema,
        id,
        task,
        module,
        script,
        args,
        limits,
        permissions,
        replyTo,
        parentId,
        submittedAt,
        attempt,
        notBefore,
        tree);
  }
}
