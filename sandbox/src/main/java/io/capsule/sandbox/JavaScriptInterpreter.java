package io.capsule.sandbox;

import io.capsule.protocol.InternalException;
import io.capsule.sandbox.internal.lang.InterpreterArtifact;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

/**
 * JavaScript (and TypeScript) tasks run on QuickJS, whose initialised reactor is snapshotted on the
 * first task (or ahead of it) and restored for every task.
 */
final class JavaScriptInterpreter implements ScriptInterpreter {
  private static final InterpreterArtifact QUICKJS = InterpreterArtifact.QUICKJS;

  private final Interpreters interpreters;
  private final ExecutorService guestThreads;

  JavaScriptInterpreter(Interpreters interpreters, ExecutorService guestThreads) {
    this.interpreters = interpreters;
    this.guestThreads = guestThreads;
  }

  @Override
  public PreparedModule prepare(GuestScript script) {
    return interpreters.module(QUICKJS).withScript(script);
  }

  @Override
  public PreparedModule bind(byte[] wasm, GuestScript script) {
    return interpreters.prepare(wasm).withScript(script);
  }

  @Override
  public boolean prepareAhead() {
    boolean fetched = !interpreters.isCached(QUICKJS);
    PreparedModule module = interpreters.module(QUICKJS);
    boolean snapshotMade =
        onGuestThread(() -> module.quickJsSnapshots().prepare(module, interpreters.cacheDir()));
    return fetched || !module.fromCache() || snapshotMade;
  }

  @Override
  public boolean isReady() {
    return interpreters.isCached(QUICKJS);
  }

  /** The snapshot is made on a guest thread: its stack is the size the interpreter needs. */
  private <T> T onGuestThread(Callable<T> work) {
    try {
      return guestThreads.submit(work).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while preparing an interpreter", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new InternalException("preparing an interpreter failed: " + e.getCause(), e);
    }
  }
}
