package io.capsule.sandbox.internal.lang;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CompiledScriptsTest {
  @Test
  void codeIsFoundByFileNameAndSourceTogether() {
    var cache = new CompiledScripts(8, 1_000);
    cache.put("hello.py", "print(1)", "AAAA");
    assertThat(cache.get("hello.py", "print(1)")).isEqualTo("AAAA");
    assertThat(cache.get("hello.py", "print(2)")).as("other source").isNull();
    assertThat(cache.get("other.py", "print(1)")).as("tracebacks name the file").isNull();
  }

  @Test
  void leastRecentlyUsedFilesLeaveFirstWhenTheCountIsReached() {
    var cache = new CompiledScripts(2, 1_000);
    cache.put("a.py", "a", "A");
    cache.put("b.py", "b", "B");
    cache.get("a.py", "a");
    cache.put("c.py", "c", "C");
    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.get("b.py", "b")).isNull();
    assertThat(cache.get("a.py", "a")).isEqualTo("A");
    assertThat(cache.get("c.py", "c")).isEqualTo("C");
  }

  @Test
  void totalSizeIsBoundedAndOversizedOrEmptyCodeIsNotKept() {
    var cache = new CompiledScripts(100, 10);
    cache.put("a.py", "a", "123456");
    cache.put("b.py", "b", "123456");
    assertThat(cache.get("a.py", "a")).as("over 10 characters in all").isNull();
    assertThat(cache.get("b.py", "b")).isEqualTo("123456");
    cache.put("big.py", "big", "x".repeat(CompiledScripts.MAX_ENTRY_CHARS + 1));
    cache.put("empty.py", "e", "");
    cache.put("none.py", "n", null);
    assertThat(cache.size()).isEqualTo(1);
  }
}
