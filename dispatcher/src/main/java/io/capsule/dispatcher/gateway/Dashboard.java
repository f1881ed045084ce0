package io.capsule.dispatcher.gateway;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The dashboard page: static HTML whose script polls the authenticated {@code /v1} endpoints. */
final class Dashboard {
  private static final String PAGE = load();

  private Dashboard() {}

  static void serve(Context ctx) {
    ctx.contentType("text/html; charset=utf-8").result(PAGE);
  }

  private static String load() {
    try (InputStream in = Dashboard.class.getResourceAsStream("dashboard.html")) {
      if (in == null) {
        return "<!doctype html><title>Capsule</title><p>dashboard missing from the build";
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
