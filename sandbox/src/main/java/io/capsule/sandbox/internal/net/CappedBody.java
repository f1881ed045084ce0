package io.capsule.sandbox.internal.net;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Collects a response body into memory, cancelling the stream as soon as it grows past the cap (a
 * declared {@code Content-Length} over the cap fails before any body byte is read).
 */
final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
  private final int cap;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final boolean declaredTooLarge;
  private Flow.Subscription subscription;

  private CappedBody(int cap, boolean declaredTooLarge) {
    this.cap = cap;
    this.declaredTooLarge = declaredTooLarge;
  }

  /** A body handler that refuses bodies over {@code cap} bytes. */
  static HttpResponse.BodyHandler<byte[]> handler(int cap) {
    return info -> {
      long declared = info.headers().firstValueAsLong("content-length").orElse(-1);
      return new CappedBody(cap, declared > cap);
    };
  }

  /** The failure a capped body ends with. */
  static HttpFailure tooLarge(int cap) {
    return new HttpFailure(
        NetworkError.RESPONSE_TOO_LARGE, "response body exceeds the cap of " + cap + " bytes");
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    this.subscription = subscription;
    if (declaredTooLarge) {
      subscription.cancel();
      result.completeExceptionally(tooLarge(cap));
      return;
    }
    subscription.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer buffer : buffers) {
      if (bytes.size() + (long) buffer.remaining() > cap) {
        subscription.cancel();
        result.completeExceptionally(tooLarge(cap));
        return;
      }
      byte[] chunk = new byte[buffer.remaining()];
      buffer.get(chunk);
      bytes.writeBytes(chunk);
    }
  }

  @Override
  public void onError(Throwable throwable) {
    result.completeExceptionally(throwable);
  }

  @Override
  public void onComplete() {
    result.complete(bytes.toByteArray());
  }
}
