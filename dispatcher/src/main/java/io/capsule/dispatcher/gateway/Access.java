package io.capsule.dispatcher.gateway;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;

/**
 * Who may call: a bearer token in {@code Authorization} on every request but {@code /health}, with
 * a {@link TokenScope} each route checks, and request size limits. No token or an unknown one is
 * 401; a known token without the route's scope is 403 naming the scope needed.
 *
 * <p>A browser opening the dashboard as {@code /?access_token=TOKEN} gets the token as a {@code
 * Secure}, {@code HttpOnly}, {@code SameSite=Strict} cookie and is redirected to {@code /}; the
 * cookie is honoured for {@code GET} requests only, so it cannot submit, cancel or replay anything,
 * whatever the token's scope. Browsers keep {@code Secure} cookies over plain HTTP only for
 * loopback ({@code localhost}, {@code 127.0.0.1}); elsewhere serve the dashboard behind TLS.
 */
final class Access {
  static final String COOKIE = "capsule_token";

  private static final String SCOPE = "capsule.scope";

  private final BearerTokens tokens;
  private final RequestBodies bodies;

  Access(BearerTokens tokens, RequestBodies bodies) {
    this.tokens = tokens;
    this.bodies = bodies;
  }

  /** Before every request: size limits, then authentication (the scope is checked per route). */
  void check(Context ctx) {
    bodies.checkDeclaredLength(ctx);
    if (tokens == null || ctx.path().equals("/health")) {
      ctx.attribute(SCOPE, TokenScope.ADMIN);
      return;
    }
    String query = ctx.queryParam("access_token");
    if (ctx.method() == HandlerType.GET && ctx.path().equals("/") && tokens.accepts(query)) {
      ctx.header(
          "Set-Cookie", COOKIE + "=" + query + "; Path=/; Secure; HttpOnly; SameSite=Strict");
      ctx.redirect("/");
      ctx.skipRemainingHandlers();
      return;
    }
    TokenScope scope = tokens.scopeOf(presented(ctx)).orElseThrow(() -> unauthorized(ctx));
    ctx.attribute(SCOPE, scope);
  }

  /**
   * In a route: the caller's token must have {@code needed}.
   *
   * @throws Problem 403 naming the scope needed
   */
  static void require(Context ctx, TokenScope needed) {
    TokenScope scope = ctx.attribute(SCOPE);
    if (scope == null || !scope.covers(needed)) {
      throw new Problem(
          403,
          "forbidden",
          "Forbidden",
          ctx.method()
              + " "
              + ctx.endpointHandlerPath()
              + " needs a token with scope "
              + needed.wireName()
              + (scope == null ? "" : "; this token's scope is " + scope.wireName()));
    }
  }

  private static Problem unauthorized(Context ctx) {
    ctx.header("WWW-Authenticate", "Bearer realm=\"capsule\"");
    return new Problem(
        401,
        "unauthorized",
        "Unauthorized",
        "send Authorization: Bearer TOKEN (tokens come from the gateway's token file or "
            + BearerTokens.ENV
            + ")");
  }

  private static String presented(Context ctx) {
    String header = ctx.header("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).strip();
    }
    return ctx.method() == HandlerType.GET ? ctx.cookie(COOKIE) : null;
  }
}
