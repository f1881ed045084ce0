package io.capsule.cli;

import io.capsule.dispatcher.gateway.CapsuleGateway;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code capsule gateway --bootstrap-servers …}: the HTTP gateway and dashboard for an existing
 * fleet, until SIGTERM / Ctrl-C. Needs tokens ({@code --token-file} or {@code
 * $CAPSULE_GATEWAY_TOKENS}) unless {@code --no-auth}.
 */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the HTTP API and dashboard of a fleet (see docs/openapi.yaml).",
      "Prints 'gateway http://HOST:PORT' on stdout when it serves."
    })
final class GatewayCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "HTTP port (0 = a free one; default: ${DEFAULT-VALUE}).")
  int port;

  @Mixin GatewayFlags gatewayFlags = new GatewayFlags();

  @Mixin KafkaFlags kafka = new KafkaFlags.Cluster();

  @Override
  public Integer call() throws InterruptedException {
    var config = gatewayFlags.config(port, gatewayFlags.configuredTokens(System.getenv()));
    CapsuleGateway gateway = CapsuleGateway.start(kafka.connection(), config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  gateway.close();
                  stopped.countDown();
                },
                "capsule-gateway-stop"));
    System.out.println("gateway " + gateway.url());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
