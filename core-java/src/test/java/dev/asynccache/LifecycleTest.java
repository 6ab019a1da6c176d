package dev.asynccache;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Warmup, metrics and close. */
class LifecycleTest {

  @Test
  void warmupReportsEachKeyAndOneFailureDoesNotStopTheOthers() {
    try (AsyncCache<String, Integer> cache = AsyncCache.builder().build()) {
      cache.set("cached", 0);
      IllegalStateException boom = new IllegalStateException("boom");
      Map<String, Loader<Integer>> loaders = new LinkedHashMap<>();
      for (int i = 0; i < 50; i++) {
        int v = i;
        loaders.put("k" + i, () -> v);
      }
      loaders.put("bad", () -> { throw boom; });
      loaders.put("checked", () -> { throw new java.io.IOException("io"); });
      loaders.put("none", () -> null);
      loaders.put("cached", () -> { throw new AssertionError("not called: already cached"); });
      WarmupResult<String> result = cache.warmup(loaders);
      assertEquals(51, result.loaded().size());
      assertTrue(result.loaded().contains("cached"));
      assertEquals(Set.of("none"), result.missing());
      assertEquals(boom, result.failed().get("bad"));
      assertInstanceOf(java.io.IOException.class, result.failed().get("checked"));
      assertFalse(result.isComplete());
      assertEquals(49, cache.getIfPresent("k49"));
    }
  }

  /** Warmup is structured: when it returns, every loader it started has finished. */
  @RepeatedTest(5)
  void warmupWaitsForEveryTask() {
    try (AsyncCache<Integer, Integer> cache = AsyncCache.builder().maxSize(1000).build()) {
      AtomicInteger running = new AtomicInteger();
      AtomicInteger finished = new AtomicInteger();
      Map<Integer, Loader<Integer>> loaders = new HashMap<>();
      for (int i = 0; i < 200; i++) {
        int v = i;
        loaders.put(i, () -> {
          running.incrementAndGet();
          Thread.sleep(v % 7); // different lengths, so tasks finish in no particular order
          finished.incrementAndGet();
          return v;
        });
      }
      WarmupResult<Integer> result = cache.warmup(loaders);
      assertEquals(200, finished.get());
      assertEquals(200, result.loaded().size());
      assertTrue(result.isComplete());
    }
  }

  /** Interrupting the warmup's caller cancels the loads still running and awaits them. */
  @Test
  void interruptedWarmupCancelsItsTasks() throws Exception {
    try (AsyncCache<Integer, Integer> cache = AsyncCache.builder().build()) {
      AtomicInteger started = new AtomicInteger();
      AtomicInteger interrupted = new AtomicInteger();
      Map<Integer, Loader<Integer>> loaders = new HashMap<>();
      for (int i = 0; i < 10; i++) {
        loaders.put(i, () -> {
          started.incrementAndGet();
          try {
            new CountDownLatch(1).await();
          } catch (InterruptedException e) {
            interrupted.incrementAndGet();
            throw e;
          }
          return 1;
        });
      }
      AtomicReference<Throwable> outcome = new AtomicReference<>();
      Thread caller = Thread.ofVirtual().start(() -> {
        try {
          cache.warmup(loaders);
        } catch (Throwable t) {
          outcome.set(t);
        }
      });
      awaitTrue("all loaders started", () -> started.get() == 10);
      caller.interrupt();
      caller.join();
      assertInstanceOf(WaitInterruptedException.class, outcome.get());
      assertEquals(10, interrupted.get(), "every task was cancelled before warmup returned");
      assertEquals(0, cache.size());
    }
  }

  @Test
  void metricsCountWhatHappened() {
    try (AsyncCache<String, String> cache = AsyncCache.builder().maxSize(2).build()) {
      cache.get("a", () -> "1"); // miss + load
      cache.get("a", () -> "x"); // hit
      cache.getIfPresent("zz"); // miss
      assertThrows(IllegalStateException.class, () -> cache.get("b", () -> { throw new IllegalStateException(); }));
      cache.set("c", "3");
      cache.set("d", "4"); // evicts a
      CacheMetrics m = cache.metrics();
      assertEquals(1, m.hitCount());
      assertEquals(3, m.missCount());
      assertEquals(1, m.loadSuccessCount());
      assertEquals(1, m.loadFailureCount());
      assertEquals(1, m.evictionCount());
      assertEquals(2, m.size());
      assertEquals(2, m.maxSize());
      assertEquals(0.25, m.hitRate());
      assertEquals(4, m.requestCount());
      assertThrows(IllegalArgumentException.class, () -> new CacheMetrics(-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    }
  }

  @Test
  void loadTimeIsMeasuredOnTheCacheClock() {
    AtomicInteger tick = new AtomicInteger();
    TimeSource clock = () -> tick.get() * 1_000L;
    try (AsyncCache<String, String> cache = AsyncCache.builder().timeSource(clock).build()) {
      cache.get("a", () -> { tick.addAndGet(5); return "1"; });
      assertEquals(5_000, cache.metrics().totalLoadTimeNanos());
    }
  }

  /** close(): waiters fail with a clear exception, later calls fail fast, no cache thread survives. */
  @RepeatedTest(5)
  void closeFailsWaitersAndStopsThreads() throws Exception {
    AsyncCache<String, String> cache = AsyncCache.builder()
        .loadTimeout(Duration.ofMinutes(10)).batchWindow(Duration.ofMinutes(10)).build();
    Set<Thread> loaderThreads = ConcurrentHashMap.newKeySet();
    CountDownLatch running = new CountDownLatch(1);
    CompletableFuture<String> loading = cache.getAsync("k", () -> {
      loaderThreads.add(Thread.currentThread());
      running.countDown();
      new CountDownLatch(1).await();
      return "never";
    });
    CompletableFuture<String> batched = cache.getAsync("b", keys -> Map.of("b", "never"));
    CompletableFuture<String> syncWaiter = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> {
      try {
        syncWaiter.complete(cache.get("k", () -> "other"));
      } catch (Throwable t) {
        syncWaiter.completeExceptionally(t);
      }
    });
    assertTrue(running.await(30, TimeUnit.SECONDS));
    awaitTrue("sync waiter joined", () -> cache.metrics().joinedLoadCount() == 1);
    cache.close();
    for (CompletableFuture<String> f : java.util.List.of(loading, batched, syncWaiter)) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
      assertInstanceOf(CacheClosedException.class, e.getCause());
    }
    for (Thread t : loaderThreads) {
      assertFalse(t.isAlive(), "loader thread outlived close()");
    }
    CacheClosedException e = assertThrows(CacheClosedException.class, () -> cache.get("k", () -> "v"));
    assertEquals("cache is closed", e.getMessage());
    assertThrows(CacheClosedException.class, () -> cache.set("k", "v"));
    assertThrows(CacheClosedException.class, () -> cache.getIfPresent("k"));
    cache.close(); // twice is fine
  }
}
