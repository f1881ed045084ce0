package io.capsule.dispatcher.gateway;

import io.capsule.protocol.TaskState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The gateway's meters for {@code GET /metrics}: {@code capsule_gateway_requests_total{method,
 * route,status}}, {@code capsule_gateway_tasks_submitted_total{level}} and {@code
 * capsule_gateway_tracked_tasks{state}} (the recent-tasks view by state).
 */
final class GatewayMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  GatewayMetrics(TaskBoard board) {
    for (TaskState state : TaskState.values()) {
      Gauge.builder("capsule.gateway.tracked.tasks", board, b -> b.count(state))
          .tag("state", state.wireName())
          .description("Tasks in the gateway's recent view, by latest state")
          .register(registry);
    }
  }

  void request(String method, String route, int status) {
    Counter.builder("capsule.gateway.requests")
        .tag("method", method)
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .register(registry)
        .increment();
  }

  void submitted(String level) {
    Counter.builder("capsule.gateway.tasks.submitted")
        .tag("level", level)
        .register(registry)
        .increment();
  }

  String scrape() {
    return registry.scrape();
  }
}
