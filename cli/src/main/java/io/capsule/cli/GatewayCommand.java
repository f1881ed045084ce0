package io.capsule.cli;

import io.capsule.dispatcher.gateway.BearerTokens;
import io.capsule.dispatcher.gateway.Gateway;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code capsule gateway}: the HTTP gateway alone, in front of a fleet's Kafka. Prints {@code
 * gateway=http://HOST:PORT} on stdout once it serves; stops on Ctrl-C or SIGTERM.
 */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the fleet's HTTP API (submit, status, results, task list, DLQ replay, dashboard).",
      "Needs bearer tokens from --token-file or $" + BearerTokens.ENV + ", or --no-auth."
    })
final class GatewayCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "HTTP port (default: ${DEFAULT-VALUE}; 0 for a free one).")
  int port;

  @Option(
      names = "--host",
      paramLabel = "ADDRESS",
      defaultValue = "0.0.0.0",
      description = "Address to bind (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--max-request-bytes",
      paramLabel = "BYTES",
      defaultValue = "8388608",
      description = "Largest request body; larger ones get 413 (default: ${DEFAULT-VALUE}).")
  long maxRequestBytes;

  @Mixin KafkaFlags kafka = new KafkaFlags();

  @Mixin GatewayFlags auth = new GatewayFlags();

  private final CountDownLatch stopped = new CountDownLatch(1);

  @Override
  public Integer call() throws InterruptedException {
    BearerTokens tokens = auth.tokensGiven();
    if (tokens == null) {
      throw new UsageException(
          "no bearer tokens: give --token-file, set " + BearerTokens.ENV + ", or --no-auth");
    }
    Gateway gateway;
    try {
      gateway =
          Gateway.builder(kafka.connection())
              .withHost(host)
              .withPort(port)
              .withTokens(tokens)
              .withMaxRequestBytes(maxRequestBytes)
              .build();
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(gateway), "capsule-gateway-stop"));
    int bound = gateway.start();
    System.out.println("gateway=http://" + host + ":" + bound);
    System.out.flush();
    stopped.await();
    return 0;
  }

  private void stop(Gateway gateway) {
    PrintStream err = System.err;
    err.println("capsule gateway: stopping");
    gateway.close();
    err.println("capsule gateway: stopped");
    stopped.countDown();
  }
}
