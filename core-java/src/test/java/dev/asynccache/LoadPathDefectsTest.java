package dev.asynccache;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.asynccache.persistence.PersistedEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The load path under the interleavings that matter (issue 9's defects 1 to 7): each test forces
 * its interleaving (a backend or loader that blocks on a latch) rather than hoping for it.
 */
class LoadPathDefectsTest {
  private static final long HANG_SECONDS = 20;

  /**
   * A write-through backend (the SPI test's recording one) whose put of a chosen value blocks until
   * released, and which can be made to throw an {@link Error} from put.
   */
  static final class GatedBackend extends PersistenceSpiTest.RecordingBackend {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile @Nullable String gatedValue;
    volatile @Nullable Error failWith;

    GatedBackend() {
      super(true);
    }

    @Override
    public void put(PersistedEntry<String, String> entry) {
      Error e = failWith;
      if (e != null) {
        throw e;
      }
      if (entry.value().equals(gatedValue)) {
        entered.countDown();
        try {
          release.await();
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }
      super.put(entry);
    }
  }

  // ----- defect 1: a set that has returned is never overwritten by a load -----

  /**
   * Forces the interleaving: {@code set} is inside its write when a {@code get} misses and
   * registers a load, whose value is then published after the set. The set must win.
   */
  @Test
  void setWinsOverALoadRegisteredDuringTheWrite() throws Exception {
    GatedBackend backend = new GatedBackend();
    backend.gatedValue = "set";
    try (AsyncCache<String, String> cache = AsyncCache.builder().persistence(backend).build()) {
      Thread setter = Thread.ofVirtual().start(() -> cache.set("k", "set"));
      assertTrue(backend.entered.await(HANG_SECONDS, TimeUnit.SECONDS));
      AtomicInteger loads = new AtomicInteger();
      CompletableFuture<@Nullable String> got =
          CompletableFuture.supplyAsync(
              () -> cache.get("k", () -> { loads.incrementAndGet(); return "loaded"; }),
              r -> Thread.ofVirtual().start(r));
      awaitTrue("the racing load ran its loader", () -> loads.get() == 1);
      backend.release.countDown();
      setter.join();
      got.get(HANG_SECONDS, TimeUnit.SECONDS);
      assertEquals("set", cache.getIfPresent("k"), "the load overwrote a set that had returned");
    }
  }

  /** The same race, unforced, many times: once set and get have both returned, set's value is held. */
  @Test
  void setRacingGetAlwaysEndsWithTheSetValue() throws Exception {
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().build()) {
      for (int round = 0; round < 2_000; round++) {
        int key = round;
        CyclicBarrier start = new CyclicBarrier(2);
        Thread getter = Thread.ofPlatform().start(() -> {
          await(start);
          cache.get(key, () -> "loaded");
        });
        await(start);
        cache.set(key, "set");
        getter.join();
        assertEquals("set", cache.getIfPresent(key), "round " + round);
      }
    }
  }

  // ----- defect 2: close answers every unsettled load -----

  @Test
  void closeAnswersAWaiterOfAKeyWrittenDuringTheBatchWindow() throws Exception {
    AsyncCache<Integer, String> cache =
        AsyncCache.builder().batchWindow(Duration.ofHours(1)).build();
    BatchLoader<Integer, String> loader = keys -> Map.of();
    CompletableFuture<@Nullable String> async = cache.getAsync(1, loader);
    AtomicReference<Throwable> syncOutcome = new AtomicReference<>();
    CountDownLatch syncStarted = new CountDownLatch(1);
    Thread sync = Thread.ofVirtual().start(() -> {
      syncStarted.countDown();
      try {
        cache.get(1, loader);
      } catch (Throwable t) {
        syncOutcome.set(t);
      }
    });
    syncStarted.await();
    awaitTrue("the sync get joined the load", () -> cache.metrics().joinedLoadCount() == 1);
    cache.set(1, "written");
    cache.close();
    ExecutionException e =
        assertThrowsWithin(ExecutionException.class, () -> async.get(HANG_SECONDS, TimeUnit.SECONDS));
    assertInstanceOf(CacheClosedException.class, e.getCause());
    assertTrue(sync.join(Duration.ofSeconds(HANG_SECONDS)), "the joined sync get still hangs");
    assertInstanceOf(CacheClosedException.class, syncOutcome.get());
  }

  @Test
  void closeAnswersARunningInvalidatedLoadWithCacheClosedException() throws Exception {
    AsyncCache<String, String> cache = AsyncCache.builder().build();
    CountDownLatch running = new CountDownLatch(1);
    CompletableFuture<@Nullable String> f =
        cache.getAsync("k", () -> { running.countDown(); new CountDownLatch(1).await(); return "v"; });
    running.await();
    cache.delete("k");
    cache.close();
    ExecutionException e =
        assertThrowsWithin(ExecutionException.class, () -> f.get(HANG_SECONDS, TimeUnit.SECONDS));
    assertInstanceOf(CacheClosedException.class, e.getCause(), "not a raw interrupt: " + e.getCause());
  }

  // ----- defect 3: an Error after a load is claimed never poisons the key -----

  @Test
  void anErrorWhilePublishingFailsTheLoadAndLeavesTheKeyUsable() throws Exception {
    GatedBackend backend = new GatedBackend();
    try (AsyncCache<String, String> cache = AsyncCache.builder().persistence(backend).build()) {
      backend.failWith = new OutOfMemoryError("simulated: the backend could not allocate");
      CompletableFuture<Throwable> first = outcomeOf(() -> cache.get("k", () -> "v"));
      assertInstanceOf(OutOfMemoryError.class, first.get(HANG_SECONDS, TimeUnit.SECONDS));
      backend.failWith = null;
      CompletableFuture<Throwable> second = outcomeOf(() -> assertEquals("v2", cache.get("k", () -> "v2")));
      assertEquals(null, second.get(HANG_SECONDS, TimeUnit.SECONDS));
      assertEquals("v2", cache.getIfPresent("k"));
    }
  }

  /**
   * A memoized recursion deep enough to overflow the stack: neither the recursion nor any key of it
   * hangs afterwards. Several stack sizes, so that the overflow strikes at different points of the
   * load path (in the loader, while registering, while settling).
   */
  @Test
  void aStackOverflowInNestedLoadsPoisonsNoKey() throws Exception {
    for (int stackKb : new int[] {192, 256, 320, 384, 448, 512, 640, 768}) {
      try (AsyncCache<Integer, Integer> cache = AsyncCache.builder().maxSize(1_000_000).build()) {
        int depth = 200_000;
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
          try {
            deep(cache, depth);
          } catch (Throwable e) {
            outcome.set(e);
          }
        }, "deep", stackKb * 1024L);
        t.start();
        assertTrue(t.join(Duration.ofSeconds(HANG_SECONDS)), "the recursion hangs (stack " + stackKb + " KB)");
        assertInstanceOf(StackOverflowError.class, outcome.get());
        List<CompletableFuture<@Nullable Integer>> all = new ArrayList<>();
        for (int n = 0; n <= depth; n++) {
          int k = n;
          all.add(cache.getAsync(k, () -> -k));
        }
        try {
          CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(HANG_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          long hung = all.stream().filter(f -> !f.isDone()).count();
          fail(hung + " keys hang after the overflow (stack " + stackKb + " KB)");
        }
      }
    }
  }

  private static Integer deep(AsyncCache<Integer, Integer> cache, int n) {
    return cache.get(n, () -> n == 0 ? 0 : deep(cache, n - 1) + 1);
  }

  // ----- defect 4: recursion through batch and async loaders is refused, not a deadlock -----

  @Test
  void recursionThroughABatchLoaderThrows() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().batchWindow(Duration.ZERO).build()) {
      BatchLoader<String, String> batch = keys -> Map.of(keys.get(0), cache.get("A", () -> "never"));
      CompletableFuture<Throwable> outcome = outcomeOf(() -> cache.get("A", () -> cache.get("B", batch)));
      Throwable t = outcome.get(HANG_SECONDS, TimeUnit.SECONDS);
      assertInstanceOf(RecursiveLoadException.class, t, String.valueOf(t));
    }
  }

  @Test
  void recursionThroughAnAsyncLoaderTaskThrows() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      AsyncLoader<String> self =
          executor -> CompletableFuture.supplyAsync(() -> cache.get("A", () -> "never"), executor);
      CompletableFuture<@Nullable String> f = cache.getAsync("A", Ttl.cacheDefault(), self);
      ExecutionException e =
          assertThrowsWithin(ExecutionException.class, () -> f.get(HANG_SECONDS, TimeUnit.SECONDS));
      assertInstanceOf(RecursiveLoadException.class, e.getCause(), String.valueOf(e.getCause()));
    }
  }

  @Test
  void recursionThroughAnAsyncLoaderCallThrows() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      AtomicReference<AsyncLoader<String>> b = new AtomicReference<>();
      AsyncLoader<String> a = executor -> cache.getAsync("B", Ttl.cacheDefault(), b.get());
      b.set(executor -> cache.getAsync("A", Ttl.cacheDefault(), a));
      CompletableFuture<@Nullable String> f = cache.getAsync("A", Ttl.cacheDefault(), a);
      ExecutionException e =
          assertThrowsWithin(ExecutionException.class, () -> f.get(HANG_SECONDS, TimeUnit.SECONDS));
      assertInstanceOf(RecursiveLoadException.class, e.getCause(), String.valueOf(e.getCause()));
    }
  }

  // ----- defect 5: metrics never negative, never decreasing -----

  @Test
  void metricsUnderSetOnlyAndMixedTrafficAreNeverNegativeNorDecreasing() throws Exception {
    try (AsyncCache<Integer, Integer> cache = AsyncCache.builder().build()) {
      cache.set(1, 0);
      cache.set(2, 0);
      int writers = 3;
      CountDownLatch start = new CountDownLatch(1);
      AtomicInteger done = new AtomicInteger();
      for (int w = 0; w < writers; w++) {
        int id = w;
        Thread.ofPlatform().start(() -> {
          awaitLatch(start);
          for (int i = 0; i < 200_000; i++) {
            cache.set(1, i);
            if (id == 0) {
              cache.getIfPresent(2);
            }
          }
          done.incrementAndGet();
        });
      }
      start.countDown();
      long lastHits = 0;
      while (done.get() < writers) {
        CacheMetrics m = cache.metrics(); // throws IllegalArgumentException if a counter is negative
        assertTrue(m.hitCount() >= lastHits, "hitCount went back from " + lastHits + " to " + m.hitCount());
        lastHits = m.hitCount();
      }
      assertEquals(200_000, cache.metrics().hitCount());
    }
  }

  // ----- defect 6: a batch call gets distinct keys -----

  @Test
  void aWriteDuringTheBatchWindowDoesNotSendTheKeyTwice() throws Exception {
    List<List<Integer>> calls = new CopyOnWriteArrayList<>();
    BatchLoader<Integer, String> loader = keys -> {
      calls.add(List.copyOf(keys));
      Map<Integer, String> m = new HashMap<>();
      for (Integer k : keys) {
        if (m.put(k, "v" + k) != null) {
          throw new IllegalStateException("duplicate key " + k);
        }
      }
      return m;
    };
    try (AsyncCache<Integer, String> cache =
        AsyncCache.builder().batchWindow(Duration.ofHours(1)).maxBatchSize(2).build()) {
      CompletableFuture<@Nullable String> first = cache.getAsync(1, loader);
      cache.set(1, "written");
      cache.delete(1);
      CompletableFuture<@Nullable String> second = cache.getAsync(1, loader);
      assertEquals("v1", second.get(HANG_SECONDS, TimeUnit.SECONDS));
      assertEquals("v1", first.get(HANG_SECONDS, TimeUnit.SECONDS));
      for (List<Integer> keys : calls) {
        assertEquals(new HashSet<>(keys).size(), keys.size(), "duplicate keys in " + keys);
      }
    }
  }

  // ----- defect 7: a lone interrupted leader keeps its interrupt -----

  @Test
  void aLoneInterruptedLeaderKeepsItsFlagAndGetsWaitInterruptedException() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      CountDownLatch running = new CountDownLatch(1);
      AtomicReference<Throwable> outcome = new AtomicReference<>();
      AtomicReference<Boolean> flag = new AtomicReference<>();
      Thread owner = Thread.ofVirtual().start(() -> {
        try {
          cache.get("k", () -> { running.countDown(); new CountDownLatch(1).await(); return "v"; });
        } catch (Throwable t) {
          outcome.set(t);
          flag.set(Thread.currentThread().isInterrupted());
        }
      });
      running.await();
      owner.interrupt();
      owner.join();
      assertInstanceOf(WaitInterruptedException.class, outcome.get());
      assertSame(Boolean.TRUE, flag.get(), "the interrupt flag was lost");
      assertEquals("fresh", cache.get("k", () -> "fresh"));
    }
  }

  // ----- helpers -----

  private static CompletableFuture<Throwable> outcomeOf(Runnable body) {
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread.ofVirtual().start(() -> {
      try {
        body.run();
        outcome.complete(null);
      } catch (Throwable t) {
        outcome.complete(t);
      }
    });
    return outcome;
  }

  private interface Call {
    void run() throws Exception;
  }

  private static <T extends Throwable> T assertThrowsWithin(Class<T> type, Call call) {
    try {
      call.run();
    } catch (TimeoutException e) {
      fail("still waiting after " + HANG_SECONDS + " s: the call hangs");
    } catch (Throwable t) {
      assertNotNull(t);
      return assertInstanceOf(type, t);
    }
    return fail("expected " + type.getSimpleName());
  }

  private static void await(CyclicBarrier b) {
    try {
      b.await();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void awaitLatch(CountDownLatch l) {
    try {
      l.await();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
