package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BuilderTest {

  @Test
  void defaults() {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      assertEquals(128, cache.metrics().maxSize());
    }
    assertEquals(Long.MAX_VALUE, AsyncCache.builder().unbounded().build().metrics().maxSize());
  }

  @Test
  void badValuesFailAtOnceNamingOptionAndValue() {
    assertMessage("maxSize must be at least 1, was 0", () -> AsyncCache.builder().maxSize(0));
    assertMessage("maxSize must be at least 1, was -5", () -> AsyncCache.builder().maxSize(-5));
    assertMessage("defaultTtl must be positive, was PT-1S",
        () -> AsyncCache.builder().defaultTtl(Duration.ofSeconds(-1)));
    assertMessage("defaultTtl must be positive, was PT0S", () -> AsyncCache.builder().defaultTtl(Duration.ZERO));
    assertMessage("batchWindow must not be negative, was PT-0.001S",
        () -> AsyncCache.builder().batchWindow(Duration.ofMillis(-1)));
    assertMessage("maxBatchSize must be at least 1, was 0", () -> AsyncCache.builder().maxBatchSize(0));
    assertMessage("loadTimeout must be positive, was PT0S", () -> AsyncCache.builder().loadTimeout(Duration.ZERO));
    assertMessage("saveInterval must be positive, was PT-1S",
        () -> AsyncCache.builder().saveInterval(Duration.ofSeconds(-1)));
    NullPointerException npe =
        assertThrows(NullPointerException.class, () -> AsyncCache.builder().timeSource(null));
    assertEquals("timeSource must not be null", npe.getMessage());
  }

  @Test
  void eachOptionOnce() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> AsyncCache.builder().maxSize(5).unbounded());
    assertEquals("maxSize was already set", e.getMessage());
    assertThrows(IllegalStateException.class,
        () -> AsyncCache.builder().defaultTtl(Duration.ofSeconds(1)).defaultTtl(Duration.ofSeconds(2)));
    assertThrows(IllegalStateException.class, () -> AsyncCache.builder().maxBatchSize(2).maxBatchSize(3));
  }

  @Test
  void clashingOptionsFailAtBuild() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> AsyncCache.builder().saveOnShutdown(true).build());
    assertTrue(e.getMessage().contains("need a persistence backend"), e.getMessage());
  }

  @Test
  void toStringListsWhatWasSet() {
    assertEquals("AsyncCacheBuilder{maxSize=10, defaultTtl=PT1M}",
        AsyncCache.builder().maxSize(10).defaultTtl(Duration.ofMinutes(1)).toString());
    assertEquals("AsyncCacheBuilder{}", AsyncCache.builder().toString());
  }

  @Test
  void ttlValues() {
    assertMessage("ttl must not be negative: PT-1S", () -> Ttl.of(Duration.ofSeconds(-1)));
    assertMessage("ttl must not be negative: -3 s", () -> Ttl.ofSeconds(-3));
    assertTrue(Ttl.never().isNever());
    assertTrue(Ttl.cacheDefault().isCacheDefault());
    assertEquals(Duration.ofSeconds(3), Ttl.ofSeconds(3).duration().orElseThrow());
    assertEquals(Ttl.ofSeconds(3), Ttl.of(Duration.ofSeconds(3)));
  }

  private static void assertMessage(String message, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertEquals(message, e.getMessage());
  }
}
