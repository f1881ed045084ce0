package io.capsule.dispatcher.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads request bodies up to the configured limit (chunked bodies included) as JSON. */
final class RequestBodies {
  private final long limit;

  RequestBodies(long limit) {
    this.limit = limit;
  }

  /** Rejects a declared length over the limit before anything is read. */
  void checkDeclaredLength(Context ctx) {
    long declared = ctx.contentLength();
    if (declared > limit) {
      throw tooLarge();
    }
  }

  /** The body as a JSON tree; an empty body is an empty object. */
  JsonNode json(Context ctx) {
    String text = new String(read(ctx), StandardCharsets.UTF_8);
    if (text.isBlank()) {
      return JsonNodeFactory.instance.objectNode();
    }
    try {
      return CapsuleJson.readTree(text);
    } catch (CapsuleException e) {
      throw Problem.badRequest(e.getMessage());
    }
  }

  private byte[] read(Context ctx) {
    try (InputStream in = ctx.bodyInputStream()) {
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (bytes.length > limit) {
        throw tooLarge();
      }
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read request body", e);
    }
  }

  private Problem tooLarge() {
    return new Problem(
        413, "too-large", "Request too large", "request bodies are limited to " + limit + " bytes");
  }
}
