package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The default (adaptive) policy against exact LRU on access patterns where they must differ: each
 * test asserts a margin that a policy which is LRU in disguise cannot reach.
 */
class EvictionPolicyTest {

  private static AsyncCache<Integer, Integer> cache(int maxSize, EvictionPolicy policy) {
    return AsyncCache.builder().maxSize(maxSize).evictionPolicy(policy).maintenanceExecutor(Runnable::run).build();
  }

  /** Replays keys as the trace replay does (a miss inserts); returns the hit rate in percent. */
  private static double replay(AsyncCache<Integer, Integer> cache, int[] keys) {
    long hits = 0;
    for (int k : keys) {
      if (cache.getIfPresent(k) != null) {
        hits++;
      } else {
        cache.set(k, k);
      }
    }
    return 100.0 * hits / keys.length;
  }

  private static double replay(EvictionPolicy policy, int maxSize, int[] keys) {
    try (AsyncCache<Integer, Integer> cache = cache(maxSize, policy)) {
      return replay(cache, keys);
    }
  }

  @Test
  void aOneOffScanOfTenTimesTheSizeDoesNotFlushTheHotSet() {
    int max = 200;
    int hot = 100;
    try (AsyncCache<Integer, Integer> adaptive = cache(max, EvictionPolicy.ADAPTIVE);
        AsyncCache<Integer, Integer> lru = cache(max, EvictionPolicy.LRU)) {
      for (AsyncCache<Integer, Integer> cache : List.of(adaptive, lru)) {
        for (int round = 0; round < 20; round++) {
          for (int k = 0; k < hot; k++) {
            if (cache.getIfPresent(k) == null) {
              cache.set(k, k);
            }
          }
        }
        for (int k = 1_000_000; k < 1_000_000 + 10 * max; k++) { // the scan: each key once
          if (cache.getIfPresent(k) == null) {
            cache.set(k, k);
          }
        }
      }
      int adaptiveKept = countPresent(adaptive, hot);
      int lruKept = countPresent(lru, hot);
      assertEquals(0, lruKept, "LRU is flushed by the scan (the test's premise)");
      assertTrue(adaptiveKept >= hot * 95 / 100, "hot keys kept after the scan: " + adaptiveKept);
      assertTrue(adaptive.size() <= max);
    }
  }

  @Test
  void aBurstOfOneHitWondersDoesNotEvictKeysReadOften() {
    int max = 100;
    int hot = 50;
    int[] keys = new int[40_000];
    int unique = 1_000_000;
    for (int i = 0; i < keys.length; i++) {
      // One read of a hot key, then three keys never seen again: the hot keys' reuse distance
      // (200 distinct keys) is twice the cache, so LRU never hits them.
      keys[i] = i % 4 == 0 ? (i / 4) % hot : unique++;
    }
    AtomicLong hotHits = new AtomicLong();
    try (AsyncCache<Integer, Integer> cache = cache(max, EvictionPolicy.ADAPTIVE)) {
      for (int i = 0; i < keys.length; i++) {
        Integer v = cache.getIfPresent(keys[i]);
        if (v == null) {
          cache.set(keys[i], keys[i]);
        } else if (i >= keys.length / 2 && keys[i] < hot) {
          hotHits.incrementAndGet();
        }
      }
    }
    long hotReadsInSecondHalf = keys.length / 2 / 4;
    assertTrue(hotHits.get() >= hotReadsInSecondHalf * 95 / 100,
        "hits on hot keys in the second half: " + hotHits + " of " + hotReadsInSecondHalf);
    assertTrue(replay(EvictionPolicy.LRU, max, keys) < 1.0, "LRU never hits them (the premise)");
  }

  /** A loop over 1.5 × the cache: LRU always misses; a frequency-aware policy keeps a part. */
  @Test
  void aLoopLargerThanTheCacheStillHits() {
    int max = 500;
    int[] keys = new int[100_000];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = i % 750;
    }
    double lru = replay(EvictionPolicy.LRU, max, keys);
    double adaptive = replay(EvictionPolicy.ADAPTIVE, max, keys);
    assertEquals(0.0, lru, 0.01);
    assertTrue(adaptive > 40, "adaptive hit rate on the loop: " + adaptive);
  }

  /** Skewed popularity (Zipf 0.9 over 10× the cache): frequency beats recency. */
  @Test
  void frequencySkewBeatsLru() {
    int max = 500;
    int[] keys = zipf(200_000, 5_000, 0.9, 42);
    double lru = replay(EvictionPolicy.LRU, max, keys);
    double adaptive = replay(EvictionPolicy.ADAPTIVE, max, keys);
    assertTrue(adaptive > lru + 3, "adaptive " + adaptive + " vs LRU " + lru);
  }

  /**
   * Recency-skewed traffic (a working set that drifts: most reads go to keys written lately) is
   * where frequency-based policies lose to LRU: the adaptive window must grow to stay close.
   */
  @Test
  void recencySkewStaysCloseToLru() {
    int max = 500;
    Random random = new Random(7);
    int[] keys = new int[300_000];
    int newest = 0;
    for (int i = 0; i < keys.length; i++) {
      if (random.nextInt(10) == 0) {
        keys[i] = ++newest; // a new key
      } else {
        // Mostly recent keys: the distance back from the newest is exponential (mean 150).
        int back = (int) Math.min(newest, -150 * Math.log(1 - random.nextDouble()));
        keys[i] = newest - back;
      }
    }
    double lru = replay(EvictionPolicy.LRU, max, keys);
    double adaptive = replay(EvictionPolicy.ADAPTIVE, max, keys);
    assertTrue(adaptive > lru - 1.5, "adaptive " + adaptive + " vs LRU " + lru);
  }

  /** A workload that changes: frequency first, then recency. The policy must follow both. */
  @Test
  void followsAChangeOfWorkload() {
    int max = 500;
    int[] first = zipf(150_000, 5_000, 0.9, 1);
    int[] keys = new int[300_000];
    System.arraycopy(first, 0, keys, 0, first.length);
    Random random = new Random(3);
    int newest = 10_000;
    for (int i = first.length; i < keys.length; i++) {
      if (random.nextInt(10) == 0) {
        keys[i] = ++newest;
      } else {
        keys[i] = newest - (int) Math.min(newest - 10_000, -150 * Math.log(1 - random.nextDouble()));
      }
    }
    double lru = replay(EvictionPolicy.LRU, max, keys);
    double adaptive = replay(EvictionPolicy.ADAPTIVE, max, keys);
    assertTrue(adaptive > lru, "adaptive " + adaptive + " vs LRU " + lru);
  }

  private static int countPresent(AsyncCache<Integer, Integer> cache, int keys) {
    int present = 0;
    for (int k = 0; k < keys; k++) {
      if (cache.getIfPresent(k) != null) {
        present++;
      }
    }
    return present;
  }

  static int[] zipf(int n, int distinct, double skew, long seed) {
    double[] cdf = new double[distinct];
    double sum = 0;
    for (int i = 0; i < distinct; i++) {
      sum += 1 / Math.pow(i + 1, skew);
      cdf[i] = sum;
    }
    Random random = new Random(seed);
    int[] keys = new int[n];
    for (int i = 0; i < n; i++) {
      double u = random.nextDouble() * sum;
      int lo = 0;
      int hi = distinct - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cdf[mid] < u) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      keys[i] = lo * 7919 % 1_000_003; // scatter the ranks over the key space
    }
    return keys;
  }

  // ----- weight -----

  @Test
  void totalWeightNeverExceedsTheBoundOnceAWriteReturns() {
    Random random = new Random(11);
    for (EvictionPolicy policy : EvictionPolicy.values()) {
      try (AsyncCache<Integer, byte[]> cache =
          AsyncCache.builder()
              .maximumWeight(10_000)
              .weigher((Integer k, byte[] v) -> v.length)
              .evictionPolicy(policy)
              .build()) {
        long maxSeen = 0;
        for (int i = 0; i < 20_000; i++) {
          int k = random.nextInt(2_000);
          if (random.nextBoolean()) {
            cache.set(k, new byte[random.nextInt(1_000)]);
          } else {
            cache.getIfPresent(k);
          }
          maxSeen = Math.max(maxSeen, ((DefaultAsyncCache<Integer, byte[]>) cache).weightedSize());
        }
        assertTrue(maxSeen <= 10_000, policy + ": total weight reached " + maxSeen);
        assertTrue(maxSeen > 9_000, policy + ": the cache fills up to its bound");
      }
    }
  }

  @Test
  void theMetricsReportTheTotalWeightAndWithoutAWeigherTheSize() {
    try (AsyncCache<String, byte[]> cache =
        AsyncCache.builder().maximumWeight(1_000).weigher((String k, byte[] v) -> v.length).build()) {
      assertEquals(0, cache.metrics().weightedSize());
      cache.set("a", new byte[300]);
      cache.set("b", new byte[500]);
      assertEquals(800, cache.metrics().weightedSize());
      assertEquals(2, cache.metrics().size());
      cache.set("a", new byte[100]);
      assertEquals(600, cache.metrics().weightedSize());
      cache.set("c", new byte[900]); // something must go
      long weight = cache.metrics().weightedSize();
      assertTrue(weight <= 1_000 && weight >= 900, "weight " + weight);
      cache.delete("c");
      cache.clear();
      assertEquals(0, cache.metrics().weightedSize());
    }
    try (AsyncCache<String, String> cache = AsyncCache.builder().maxSize(10).build()) {
      for (int i = 0; i < 25; i++) {
        cache.set("k" + i, "v");
      }
      CacheMetrics m = cache.metrics();
      assertEquals(10, m.size());
      assertEquals(m.size(), m.weightedSize());
    }
    CacheMetrics old = new CacheMetrics(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
    assertEquals(13, old.weightedSize(), "the older constructor: weight = size");
  }

  @Test
  void anEntryHeavierThanTheBoundIsRefused() {
    try (AsyncCache<String, byte[]> cache =
        AsyncCache.builder().maximumWeight(1_000).weigher((String k, byte[] v) -> v.length).build()) {
      cache.set("small", new byte[10]);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> cache.set("huge", new byte[1_001]));
      assertEquals("the entry of key huge weighs 1001, more than maximumWeight 1000: it can never"
          + " fit in this cache, so it was refused", e.getMessage());
      assertNull(cache.getIfPresent("huge"));
      assertEquals(10, cache.getIfPresent("small").length, "the cache is unchanged");
      // A loaded value that heavy is returned but not cached.
      assertEquals(2_000, cache.get("loaded", () -> new byte[2_000]).length);
      assertNull(cache.getIfPresent("loaded"));
    }
  }

  @Test
  void aWeigherMustNotReturnANegativeWeight() {
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().maximumWeight(10).weigher((String k, String v) -> -1).build()) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> cache.set("k", "v"));
      assertEquals("the weigher returned a negative weight (-1) for key k", e.getMessage());
    }
  }

  @Test
  void heavyEntriesEvictSeveralLightOnes() {
    try (AsyncCache<Integer, byte[]> cache =
        AsyncCache.builder()
            .maximumWeight(100)
            .weigher((Integer k, byte[] v) -> v.length)
            .evictionPolicy(EvictionPolicy.LRU)
            .build()) {
      for (int k = 0; k < 10; k++) {
        cache.set(k, new byte[10]);
      }
      cache.set(100, new byte[35]);
      assertEquals(7, cache.size()); // four of weight 10 made room for 35
      for (int k = 0; k < 4; k++) {
        assertNull(cache.getIfPresent(k));
      }
      assertEquals(35, cache.getIfPresent(100).length);
    }
  }

  @RepeatedTest(3)
  void concurrentWritersKeepTheWeightBound() throws Exception {
    try (AsyncCache<Integer, byte[]> cache =
            AsyncCache.builder()
                .maximumWeight(5_000)
                .weigher((Integer k, byte[] v) -> v.length)
                .build();
        var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      DefaultAsyncCache<Integer, byte[]> inner = (DefaultAsyncCache<Integer, byte[]>) cache;
      CountDownLatch start = new CountDownLatch(1);
      AtomicLong worst = new AtomicLong();
      List<Future<?>> tasks = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        tasks.add(executor.submit(() -> {
          start.await();
          Random random = new Random(seed);
          for (int i = 0; i < 3_000; i++) {
            int k = random.nextInt(1_000);
            if (i % 3 == 0) {
              cache.get(k, () -> new byte[random.nextInt(200)]);
            } else {
              cache.set(k, new byte[random.nextInt(200)]);
            }
            worst.accumulateAndGet(inner.weightedSize(), Math::max);
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : tasks) {
        f.get();
      }
      assertTrue(worst.get() <= 5_000, "weight reached " + worst.get());
    }
  }

  // ----- issue 9, defect 8 -----

  /**
   * Deleted values must not stay reachable through the read buffer: a few reads, then a delete of
   * each key, and no further write. Failed before the fix (the ring kept the nodes, and so their
   * values, until the next structural write).
   */
  @Test
  void deletedValuesAreNotPinnedByTheReadBuffer() throws Exception {
    for (EvictionPolicy policy : EvictionPolicy.values()) {
      try (AsyncCache<Integer, Object> cache =
          AsyncCache.builder().maxSize(1_000).evictionPolicy(policy).build()) {
        List<WeakReference<Object>> refs = new ArrayList<>();
        for (int k = 0; k < 20; k++) {
          Object value = new byte[1 << 20];
          refs.add(new WeakReference<>(value));
          cache.set(k, value);
        }
        for (int k = 0; k < 20; k++) {
          cache.getIfPresent(k); // fewer reads than a ring holds: no drain
        }
        for (int k = 0; k < 20; k++) {
          cache.delete(k);
        }
        assertTrue(awaitCleared(refs), policy + ": deleted values are still reachable");
      }
    }
  }

  private static boolean awaitCleared(List<WeakReference<Object>> refs) throws InterruptedException {
    for (int attempt = 0; attempt < 50; attempt++) {
      System.gc();
      if (refs.stream().allMatch(r -> r.get() == null)) {
        return true;
      }
      Thread.sleep(20);
    }
    return false;
  }
}
