package io.capsule.cli;

import io.capsule.dispatcher.CapsuleClient;
import io.capsule.protocol.CapsuleJson;
import io.capsule.protocol.LifecycleEvent;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code capsule status ID}: a task's latest lifecycle event (with its envelope when final). */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show a task's latest state from the events topic (works for any task id, any time).",
      "Exit 0 when found, 1 when the fleet has no record of the task."
    })
final class StatusCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "ID", description = "The task id.")
  String id;

  @Option(names = "--json", description = "Print the event as one line of JSON.")
  boolean json;

  @Mixin KafkaFlags kafka = new KafkaFlags.Cluster();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Optional<LifecycleEvent> event;
    try (CapsuleClient client = CapsuleClient.builder().connection(kafka.connection()).build()) {
      event = client.status(id);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (event.isEmpty()) {
      spec.commandLine().getErr().println("capsule: no record of task " + id);
      return Main.TASK_FAILED;
    }
    out.println(json ? CapsuleJson.write(event.get()) : CapsuleJson.writePretty(event.get()));
    out.flush();
    return 0;
  }
}
