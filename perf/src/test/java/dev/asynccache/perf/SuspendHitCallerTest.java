package dev.asynccache.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.CacheClosedException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The bridge of benchmark 7 really calls the suspend API, and refuses to time a miss. */
class SuspendHitCallerTest {

  @Test
  void hits_returnTheJavaCachesValues_withoutLoading() {
    AsyncCache<Integer, Integer> cache = AsyncCache.builder().maxSize(100).build();
    AtomicInteger loads = new AtomicInteger();
    try (SuspendHitCaller<Integer, Integer> caller =
        new SuspendHitCaller<>(cache, k -> loads.incrementAndGet())) {
      for (int i = 0; i < 50; i++) {
        cache.set(1_000 + i, i);
      }
      for (int i = 0; i < 50; i++) {
        assertEquals(i, caller.get(1_000 + i));
        assertEquals(i, caller.getIfPresentInCoroutine(1_000 + i));
        assertEquals(i, caller.getRunBlocking(1_000 + i));
      }
      assertNull(caller.getIfPresentInCoroutine(5));
      assertEquals(0, loads.get(), "a hit must not load");
    }
  }

  /** A miss suspends (the loader waits on a latch), so the bridge must throw, not time it. */
  @RepeatedTest(20)
  void miss_suspends_soTheBridgeThrows_andTheLoadStillLandsInTheCache() throws InterruptedException {
    AsyncCache<Integer, Integer> cache = AsyncCache.builder().maxSize(100).build();
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger loads = new AtomicInteger();
    try (SuspendHitCaller<Integer, Integer> caller =
        new SuspendHitCaller<>(
            cache,
            k -> {
              loads.incrementAndGet();
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
              }
              return k * 2;
            })) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> caller.get(21));
      assertTrue(e.getMessage().contains("was not a hit"), e.getMessage());
      release.countDown();
      // A Java get joins the load in flight (single flight: no second loader call) and returns
      // once it has settled.
      assertEquals(42, cache.get(21, () -> {
        throw new AssertionError("a second load of key 21");
      }));
      assertEquals(42, caller.get(21), "the suspended load was cached and is now a hit");
      assertEquals(1, loads.get());
    }
  }

  @Test
  void close_closesTheJavaCacheUnderneath() {
    AsyncCache<Integer, Integer> cache = AsyncCache.builder().maxSize(10).build();
    cache.set(1, 1);
    SuspendHitCaller<Integer, Integer> caller = new SuspendHitCaller<>(cache, k -> k);
    caller.close();
    assertThrows(CacheClosedException.class, () -> caller.get(1));
    assertThrows(CacheClosedException.class, () -> cache.getIfPresent(1));
  }
}
