package dev.asynccache;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class BatchingTest {

  /** Records every batch it is given and answers key -> "v" + key. */
  static final class RecordingBatchLoader implements BatchLoader<Integer, String> {
    final List<List<Integer>> batches = new CopyOnWriteArrayList<>();

    @Override
    public Map<Integer, String> load(List<Integer> keys) {
      batches.add(List.copyOf(keys));
      Map<Integer, String> values = new HashMap<>();
      for (Integer k : keys) {
        values.put(k, "v" + k);
      }
      return values;
    }
  }

  /**
   * N callers released together inside a long window; the batch fills to N = maxBatchSize and is
   * dispatched at once, without waiting for the window: exactly one call with every key.
   */
  @RepeatedTest(20)
  void concurrentGetsMakeOneBatch() throws Exception {
    int n = 100;
    RecordingBatchLoader loader = new RecordingBatchLoader();
    try (AsyncCache<Integer, String> cache = AsyncCache.builder()
            .batchWindow(Duration.ofHours(1)).maxBatchSize(n).build();
        var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int key = i;
        results.add(executor.submit(() -> {
          start.await();
          return cache.get(key, loader);
        }));
      }
      start.countDown();
      for (int i = 0; i < n; i++) {
        assertEquals("v" + i, results.get(i).get(30, TimeUnit.SECONDS));
      }
      assertEquals(1, loader.batches.size());
      assertEquals(n, new HashSet<>(loader.batches.get(0)).size());
      CacheMetrics m = cache.metrics();
      assertEquals(1, m.batchCallCount());
      assertEquals(n, m.batchedKeyCount());
    }
  }

  /** Callers within the window share one batch even when it is not full. */
  @RepeatedTest(10)
  void windowCollectsDuplicatesOnce() throws Exception {
    RecordingBatchLoader loader = new RecordingBatchLoader();
    CountDownLatch gate = new CountDownLatch(1);
    BatchLoader<Integer, String> gated = keys -> loader.load(keys);
    try (AsyncCache<Integer, String> cache = AsyncCache.builder()
            .batchWindow(Duration.ofMillis(200)).build();
        var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        int key = i % 20; // every key asked for three times
        results.add(executor.submit(() -> {
          gate.await();
          return cache.get(key, gated);
        }));
      }
      gate.countDown();
      awaitTrue("all callers registered", () -> cache.metrics().missCount() == 60);
      for (int i = 0; i < 60; i++) {
        assertEquals("v" + (i % 20), results.get(i).get(30, TimeUnit.SECONDS));
      }
      // 20 distinct keys in a 200 ms window: one call, unless the machine stalled past the window.
      int keysSent = loader.batches.stream().mapToInt(List::size).sum();
      assertEquals(20, keysSent, "each key sent once");
      assertEquals(40, cache.metrics().joinedLoadCount());
    }
  }

  @Test
  void moreKeysThanMaxBatchSizeMakeMoreCalls() {
    RecordingBatchLoader loader = new RecordingBatchLoader();
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().maxBatchSize(10).build()) {
      List<Integer> keys = new ArrayList<>();
      for (int i = 0; i < 35; i++) {
        keys.add(i);
      }
      Map<Integer, String> values = cache.getAll(keys, loader);
      assertEquals(35, values.size());
      assertEquals(4, loader.batches.size());
      for (List<Integer> batch : loader.batches) {
        assertTrue(batch.size() <= 10);
      }
    }
  }

  @Test
  void cachedKeysAreNotSentAndMissingKeysAreNull() {
    RecordingBatchLoader recording = new RecordingBatchLoader();
    BatchLoader<Integer, String> evensOnly = keys -> {
      Map<Integer, String> all = recording.load(keys);
      all.keySet().removeIf(k -> k % 2 == 1);
      return all;
    };
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().build()) {
      cache.set(0, "cached");
      Map<Integer, String> values = cache.getAll(List.of(0, 1, 2, 3, 4), evensOnly);
      assertEquals(Map.of(0, "cached", 2, "v2", 4, "v4"), values);
      assertEquals(List.of(List.of(1, 2, 3, 4)), recording.batches);
      assertNull(cache.get(1, evensOnly), "no value for 1, not cached");
      assertEquals(3, cache.size());
    }
  }

  @Test
  void keysAlreadyLoadingAreJoinedNotSent() throws Exception {
    RecordingBatchLoader loader = new RecordingBatchLoader();
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().build()) {
      CountDownLatch release = new CountDownLatch(1);
      var slow = cache.getAsync(1, () -> { release.await(); return "slow"; });
      var all = cache.getAllAsync(List.of(1, 2), loader);
      release.countDown();
      assertEquals("slow", slow.get(30, TimeUnit.SECONDS));
      assertEquals(Map.of(1, "slow", 2, "v2"), all.get(30, TimeUnit.SECONDS));
      assertEquals(List.of(List.of(2)), loader.batches);
    }
  }

  @Test
  void throwingBatchFailsEveryCallerWithThatException() throws Exception {
    IllegalStateException boom = new IllegalStateException("db down");
    BatchLoader<Integer, String> failing = keys -> { throw boom; };
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().maxBatchSize(5).build();
        var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Throwable>> results = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        int key = i;
        results.add(executor.submit(() -> {
          try {
            cache.get(key, failing);
            return null;
          } catch (Throwable t) {
            return t;
          }
        }));
      }
      for (Future<Throwable> r : results) {
        assertSame(boom, r.get(30, TimeUnit.SECONDS));
      }
      assertEquals(0, cache.size());
      assertEquals(5, cache.metrics().loadFailureCount());
    }
  }

  @Test
  void batchLoaderReturningNullIsACleanError() {
    BatchLoader<Integer, String> broken = keys -> null;
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().build()) {
      BatchLoadException e = assertThrows(BatchLoadException.class, () -> cache.getAll(List.of(1, 2), broken));
      assertTrue(e.getMessage().contains("returned null for 2 keys"), e.getMessage());
      assertEquals(0, cache.size());
      assertEquals("v3", cache.get(3, keys -> Map.of(3, "v3")));
    }
  }

  @Test
  void checkedExceptionFromBatchIsWrapped() {
    BatchLoader<Integer, String> failing = keys -> { throw new java.io.IOException("io"); };
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().build()) {
      LoadException e = assertThrows(LoadException.class, () -> cache.get(1, failing));
      assertInstanceOf(java.io.IOException.class, e.getCause());
      ExecutionException ee = assertThrows(ExecutionException.class, () -> cache.getAsync(1, failing).get());
      assertInstanceOf(java.io.IOException.class, ee.getCause());
    }
  }

  @Test
  void extraKeysFromTheBatchLoaderAreIgnored() {
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().build()) {
      assertEquals("v1", cache.get(1, keys -> Map.of(1, "v1", 99, "extra")));
      assertNull(cache.getIfPresent(99));
    }
  }

  @Test
  void differentBatchLoadersDoNotShareBatches() throws Exception {
    RecordingBatchLoader a = new RecordingBatchLoader();
    RecordingBatchLoader b = new RecordingBatchLoader();
    try (AsyncCache<Integer, String> cache =
        AsyncCache.builder().batchWindow(Duration.ofMillis(20)).build()) {
      var fa = cache.getAsync(1, a);
      var fb = cache.getAsync(2, b);
      assertEquals("v1", fa.get(30, TimeUnit.SECONDS));
      assertEquals("v2", fb.get(30, TimeUnit.SECONDS));
      assertEquals(List.of(List.of(1)), a.batches);
      assertEquals(List.of(List.of(2)), b.batches);
    }
  }

  @Test
  void getAllDeduplicatesAndRejectsNullKeys() {
    RecordingBatchLoader loader = new RecordingBatchLoader();
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().build()) {
      assertEquals(Map.of(1, "v1"), cache.getAll(List.of(1, 1, 1), loader));
      assertEquals(List.of(List.of(1)), loader.batches);
      List<Integer> withNull = new ArrayList<>(List.of(2));
      withNull.add(null);
      assertThrows(NullPointerException.class, () -> cache.getAll(withNull, loader));
      Set<Integer> none = Set.of();
      assertEquals(Map.of(), cache.getAll(none, loader));
    }
  }
}
