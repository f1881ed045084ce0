package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.capsule.sandbox.internal.lang.KnownStacks;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stack known for the pinned CPython and the current SDK (Asyncify's first guess, which spares
 * a probe run, see {@link PythonSnapshots}) is listed: a change to the SDK or the boot script
 * changes the key, and the first preparation after it prints the line to put in {@code
 * cpython-stacks.properties} ("next round: KEY=…"). Correctness never depends on the guess: the
 * snapshot run reads the stack and decides.
 */
class KnownStacksTest {
  @TempDir Path cache;

  @Test
  void theCurrentInterpreterAndSdkHaveAKnownStack() {
    ExecutorService threads = Executors.newSingleThreadExecutor();
    try {
      var config = SandboxConfig.builder().withCacheDir(cache).build();
      String key =
          new PythonSnapshots(new ModulePreparer(config), threads, cache, System.err).stackKey();
      assertThat(KnownStacks.of(key))
          .as(
              "no known stack for key "
                  + key
                  + ": add the line a Python preparation prints after 'next round:' to"
                  + " cpython-stacks.properties")
          .isNotNull()
          .contains(0); // _start
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void aLineReadsBackAsTheSameStackAndAnUnknownKeyHasNone() {
    Set<Integer> stack = Set.of(704, 0, 11266, 321);
    String line = KnownStacks.line("k", stack);
    assertThat(line).isEqualTo("k=0,321,704,11266");
    assertThat(KnownStacks.of("no-such-key")).isNull();
  }
}
