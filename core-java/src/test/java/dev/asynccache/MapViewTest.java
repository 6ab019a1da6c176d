package dev.asynccache;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** What {@link AsyncCache#asMap()} adds to the map contract (Guava's suite checks the contract). */
class MapViewTest {

  @Test
  void mergeIsAtomicUnderContentionWithInPlaceWrites() throws Exception {
    try (AsyncCache<String, Integer> cache = AsyncCache.builder().build()) {
      ConcurrentMap<String, Integer> map = cache.asMap();
      int threads = 4;
      int each = 5_000;
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> all = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        all.add(Thread.ofPlatform().start(() -> {
          await(start);
          for (int i = 0; i < each; i++) {
            map.merge("counter", 1, Integer::sum);
            cache.set("other", i); // in-place writes of another key meanwhile
          }
        }));
      }
      start.countDown();
      for (Thread t : all) {
        t.join();
      }
      assertEquals(threads * each, cache.getIfPresent("counter"));
    }
  }

  /** replace(k, old, new) racing blind in-place sets: every successful replace saw the value it replaced. */
  @Test
  void conditionalReplaceRacingInPlaceSetsNeverLosesAnAcknowledgedWrite() throws Exception {
    try (AsyncCache<String, Integer> cache = AsyncCache.builder().build()) {
      ConcurrentMap<String, Integer> map = cache.asMap();
      for (int round = 0; round < 2_000; round++) {
        cache.set("k", 0);
        CountDownLatch start = new CountDownLatch(1);
        int r = round;
        Thread setter = Thread.ofPlatform().start(() -> {
          await(start);
          cache.set("k", -1);
        });
        start.countDown();
        boolean replaced = map.replace("k", 0, 1);
        setter.join();
        Integer v = cache.getIfPresent("k");
        // Either the set came last (-1), or the replace applied after the set... which it cannot,
        // since the set's value is -1, not 0: so a final 1 means the replace came before the set,
        // and then the set's -1 must be there. Final must be -1 in every case.
        assertEquals(-1, v, "round " + r + ", replaced=" + replaced);
      }
    }
  }

  @Test
  void computeIfAbsentIsSingleFlight() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      ConcurrentMap<String, String> map = cache.asMap();
      AtomicInteger calls = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      List<CompletableFuture<String>> answers = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        CompletableFuture<String> f = new CompletableFuture<>();
        answers.add(f);
        Thread.ofVirtual().start(() -> {
          await(start);
          f.complete(map.computeIfAbsent("k", k -> {
            calls.incrementAndGet();
            await(release);
            return "v";
          }));
        });
      }
      start.countDown();
      awaitTrue("all joined", () -> cache.metrics().joinedLoadCount() == 999);
      release.countDown();
      for (CompletableFuture<String> f : answers) {
        assertEquals("v", f.get(30, TimeUnit.SECONDS));
      }
      assertEquals(1, calls.get());
    }
  }

  @Test
  void aPutThroughTheViewOvertakesALoadInFlight() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      CountDownLatch loading = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<@Nullable String> load = cache.getAsync("k", () -> {
        loading.countDown();
        release.await();
        return "loaded";
      });
      loading.await();
      assertEquals(null, cache.asMap().put("k", "put"));
      release.countDown();
      assertEquals("loaded", load.get(30, TimeUnit.SECONDS));
      assertEquals("put", cache.getIfPresent("k"));
    }
  }

  @Test
  void nullsAndAClosedCacheAreRefused() {
    AsyncCache<String, String> cache = AsyncCache.builder().build();
    ConcurrentMap<String, String> map = cache.asMap();
    assertSame(map, cache.asMap());
    assertThrows(NullPointerException.class, () -> map.put(null, "v"));
    assertThrows(NullPointerException.class, () -> map.put("k", null));
    assertThrows(NullPointerException.class, () -> map.get(null));
    cache.close();
    assertThrows(CacheClosedException.class, () -> map.put("k", "v"));
    assertThrows(CacheClosedException.class, () -> map.get("k"));
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
