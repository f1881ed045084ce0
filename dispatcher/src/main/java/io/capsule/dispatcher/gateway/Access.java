package io.capsule.dispatcher.gateway;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;

/**
 * Who may call: a bearer token in {@code Authorization} on every request but {@code /health}, and
 * request size limits. A browser opening the dashboard as {@code /?access_token=TOKEN} gets the
 * token as an {@code HttpOnly}, {@code SameSite=Strict} cookie and is redirected to {@code /}; the
 * cookie is honoured for {@code GET} requests only, so it cannot submit or replay anything.
 */
final class Access {
  static final String COOKIE = "capsule_token";

  private final BearerTokens tokens;
  private final RequestBodies bodies;

  Access(BearerTokens tokens, RequestBodies bodies) {
    this.tokens = tokens;
    this.bodies = bodies;
  }

  void check(Context ctx) {
    bodies.checkDeclaredLength(ctx);
    if (tokens == null || ctx.path().equals("/health")) {
      return;
    }
    String query = ctx.queryParam("access_token");
    if (ctx.method() == HandlerType.GET && ctx.path().equals("/") && tokens.accepts(query)) {
      ctx.header("Set-Cookie", COOKIE + "=" + query + "; Path=/; HttpOnly; SameSite=Strict");
      ctx.redirect("/");
      ctx.skipRemainingHandlers();
      return;
    }
    if (!tokens.accepts(presented(ctx))) {
      ctx.header("WWW-Authenticate", "Bearer realm=\"capsule\"");
      throw new Problem(
          401,
          "unauthorized",
          "Unauthorized",
          "send Authorization: Bearer TOKEN (tokens come from the gateway's token file or "
              + BearerTokens.ENV
              + ")");
    }
  }

  private static String presented(Context ctx) {
    String header = ctx.header("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).strip();
    }
    return ctx.method() == HandlerType.GET ? ctx.cookie(COOKIE) : null;
  }
}
