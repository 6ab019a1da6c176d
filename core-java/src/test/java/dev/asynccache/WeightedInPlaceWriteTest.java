package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * A rewrite of a key in a weighted cache that keeps the entry's weight changes the value in place,
 * as in an unweighted cache (the server's byte-bounded cache rewrites same-sized values all the
 * time); one that changes the weight replaces the entry, so that the total weight and eviction stay
 * exact.
 */
class WeightedInPlaceWriteTest {

  private static AsyncCache<String, byte[]> weighted(long maximumWeight, Duration ttl) {
    AsyncCacheBuilder b =
        AsyncCache.builder()
            .maximumWeight(maximumWeight)
            .weigher((String k, byte[] v) -> v.length);
    if (ttl != null) {
      b.defaultTtl(ttl);
    }
    return b.build();
  }

  private static DefaultAsyncCache<String, byte[]> impl(AsyncCache<String, byte[]> cache) {
    return (DefaultAsyncCache<String, byte[]>) cache;
  }

  @Test
  void aRewriteOfTheSameWeightIsInPlaceAndOneOfAnotherWeightIsNot() {
    try (AsyncCache<String, byte[]> cache = weighted(100, null)) {
      cache.set("k", new byte[10]);
      cache.set("k", new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
      assertEquals(1, impl(cache).inPlaceWrites());
      assertEquals(10, impl(cache).weightedSize());
      assertEquals(0, cache.metrics().hitCount()); // an in-place write is recorded as a use, not a hit
      assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, cache.getIfPresent("k"));
      assertEquals(1, cache.metrics().hitCount());

      cache.set("k", new byte[30]); // heavier: the entry is replaced and the total follows
      assertEquals(1, impl(cache).inPlaceWrites());
      assertEquals(30, impl(cache).weightedSize());
      assertEquals(30, cache.getIfPresent("k").length);
    }
  }

  @Test
  void aRewriteWithTheDefaultTtlKeepingTheWeightIsInPlaceToo() {
    try (AsyncCache<String, byte[]> cache = weighted(100, Duration.ofMinutes(5))) {
      cache.set("k", new byte[10]);
      cache.set("k", new byte[10]);
      assertEquals(1, impl(cache).inPlaceWrites());
      cache.set("k", new byte[11]);
      assertEquals(1, impl(cache).inPlaceWrites());
      assertEquals(11, impl(cache).weightedSize());
    }
  }

  @Test
  void aHeavierRewriteStillEvicts() {
    try (AsyncCache<String, byte[]> cache = weighted(100, null)) {
      cache.set("a", new byte[40]);
      cache.set("b", new byte[40]);
      cache.set("b", new byte[40]); // in place: nothing evicted
      assertEquals(2, cache.size());
      cache.set("b", new byte[70]); // 110 > 100: something has to go
      cache.cleanUp();
      assertTrue(impl(cache).weightedSize() <= 100, "weighted size " + impl(cache).weightedSize());
      assertEquals(1, cache.size());
    }
  }

  /**
   * Same-weight writes (lock-free, in place) race with writes that change the weight (under the
   * lock, replacing the node) and with deletes: whatever the interleaving, the total weight is the
   * weight of what the cache holds at the end.
   */
  @RepeatedTest(200)
  void racingRewritesKeepTheTotalWeightExact() throws Exception {
    try (AsyncCache<String, byte[]> cache = weighted(1_000, null);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      cache.set("k", new byte[10]);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int id = t;
        done.add(
            threads.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < 50; i++) {
                    switch ((id + i) % 4) {
                      case 0, 1 -> cache.set("k", new byte[10]);
                      case 2 -> cache.set("k", new byte[20]);
                      default -> {
                        if (i % 10 == 3) {
                          cache.delete("k");
                        } else {
                          cache.set("k", new byte[10]);
                        }
                      }
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get();
      }
      cache.cleanUp();
      byte[] held = cache.getIfPresent("k");
      assertEquals(held == null ? 0 : held.length, impl(cache).weightedSize());
    }
  }
}
