package io.capsule.dispatcher.gateway;

import io.capsule.dispatcher.DispatcherException;
import io.capsule.protocol.CapsuleJson;
import io.javalin.http.Context;

/** Writes JSON answers and problems with the project's one codec. */
final class Json {
  /** Request attribute set once a problem was written (so error mappers leave it alone). */
  static final String PROBLEM_WRITTEN = "capsule.problem";

  private Json() {}

  static void write(Context ctx, int status, Object body) {
    ctx.status(status).contentType("application/json").result(CapsuleJson.write(body));
  }

  /** Writes any failure as a problem; returns {@code null} so it fits {@code exceptionally}. */
  static Void problem(Context ctx, Throwable failure) {
    Problem problem = asProblem(failure);
    ctx.attribute(PROBLEM_WRITTEN, Boolean.TRUE);
    ctx.status(problem.status())
        .contentType(Problem.MEDIA_TYPE)
        .result(CapsuleJson.write(problem.body(ctx.path())));
    return null;
  }

  private static Problem asProblem(Throwable failure) {
    if (failure instanceof Problem p) {
      return p;
    }
    if (failure instanceof DispatcherException e) {
      return TaskRoutes.unavailable(e.getMessage());
    }
    return new Problem(500, "internal-error", "Internal error", String.valueOf(failure));
  }
}
