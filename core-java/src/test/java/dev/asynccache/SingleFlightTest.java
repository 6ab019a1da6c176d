package dev.asynccache;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class SingleFlightTest {
  private static final int CALLERS = 1000;

  /** 1000 virtual threads released together on one cold key: one loader call, one value for all. */
  @RepeatedTest(30)
  void thousandCallersOneLoad() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build();
        var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      AtomicInteger calls = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      CountDownLatch loaderRunning = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < CALLERS; i++) {
        results.add(executor.submit(() -> {
          start.await();
          return cache.get("k", () -> {
            calls.incrementAndGet();
            loaderRunning.countDown();
            release.await();
            return "v";
          });
        }));
      }
      start.countDown();
      loaderRunning.await();
      // Hold the load open until every caller is either waiting on it or has not looked yet.
      awaitTrue("most callers joined", () -> cache.metrics().joinedLoadCount() >= CALLERS / 2);
      release.countDown();
      for (Future<String> r : results) {
        assertEquals("v", r.get(30, TimeUnit.SECONDS));
      }
      assertEquals(1, calls.get());
      CacheMetrics m = cache.metrics();
      assertEquals(CALLERS, m.hitCount() + m.missCount());
      assertEquals(1, m.loadSuccessCount());
      // A caller that missed just before the value was published finds it on its re-check
      // instead of joining: a miss that neither joined nor loaded. Never a second load.
      assertTrue(m.joinedLoadCount() >= CALLERS / 2 && m.joinedLoadCount() <= m.missCount() - 1);
    }
  }

  /** The same exception instance reaches every waiter; nothing is cached; the next get loads. */
  @RepeatedTest(10)
  void failureIsSharedAndNotCached() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build();
        var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      IllegalStateException boom = new IllegalStateException("boom");
      AtomicInteger calls = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      List<Future<Throwable>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        results.add(executor.submit(() -> {
          start.await();
          try {
            cache.get("k", () -> {
              calls.incrementAndGet();
              release.await();
              throw boom;
            });
            return null;
          } catch (Throwable t) {
            return t;
          }
        }));
      }
      start.countDown();
      awaitTrue("a load started", () -> calls.get() == 1);
      awaitTrue("all other callers joined", () -> cache.metrics().joinedLoadCount() == 199);
      release.countDown();
      for (Future<Throwable> r : results) {
        assertSame(boom, r.get(30, TimeUnit.SECONDS));
      }
      assertEquals(1, calls.get());
      assertNull(cache.getIfPresent("k"));
      assertEquals("again", cache.get("k", () -> "again"));
      assertEquals(1, cache.metrics().loadFailureCount());
    }
  }

  @Test
  void checkedExceptionIsWrappedForSyncCallersAndRawForFutures() {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      IOException io = new IOException("disk");
      LoadException e = assertThrows(LoadException.class, () -> cache.get("k", () -> { throw io; }));
      assertSame(io, e.getCause());
      assertTrue(e.getMessage().contains("key k"), e.getMessage());
      ExecutionException ee = assertThrows(ExecutionException.class,
          () -> cache.getAsync("k", () -> { throw io; }).get());
      assertSame(io, ee.getCause());
    }
  }

  @Test
  void nullValueIsReturnedButNotCached() {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      AtomicInteger calls = new AtomicInteger();
      assertNull(cache.get("k", () -> { calls.incrementAndGet(); return null; }));
      assertNull(cache.get("k", () -> { calls.incrementAndGet(); return null; }));
      assertEquals(2, calls.get());
      assertEquals(0, cache.size());
    }
  }

  /** A waiter interrupted while waiting leaves with its interrupt; the load goes on for others. */
  @RepeatedTest(10)
  void interruptedWaiterDoesNotFailTheLoad() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      CountDownLatch release = new CountDownLatch(1);
      AtomicInteger calls = new AtomicInteger();
      Loader<String> loader = () -> { calls.incrementAndGet(); release.await(); return "v"; };
      CompletableFuture<String> owner = new CompletableFuture<>();
      Thread.ofVirtual().start(() -> owner.complete(cache.get("k", loader)));
      awaitTrue("loader running", () -> calls.get() == 1);
      AtomicReference<Throwable> waiterOutcome = new AtomicReference<>();
      AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
      Thread waiter = Thread.ofVirtual().start(() -> {
        try {
          cache.get("k", loader);
        } catch (Throwable t) {
          waiterOutcome.set(t);
          stillInterrupted.set(Thread.currentThread().isInterrupted());
        }
      });
      awaitTrue("waiter joined", () -> cache.metrics().joinedLoadCount() == 1);
      waiter.interrupt();
      waiter.join();
      assertInstanceOf(WaitInterruptedException.class, waiterOutcome.get());
      assertTrue(stillInterrupted.get(), "interrupt status restored");
      release.countDown();
      assertEquals("v", owner.get(30, TimeUnit.SECONDS));
      assertEquals(1, calls.get());
      assertEquals("v", cache.getIfPresent("k"));
    }
  }

  /** The caller running the loader inline is interrupted: the load moves to a cache thread. */
  @RepeatedTest(10)
  void interruptedLoaderOwnerHandsTheLoadOver() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      AtomicInteger calls = new AtomicInteger();
      Set<Thread> loaderThreads = ConcurrentHashMap.newKeySet();
      Loader<String> loader = () -> {
        loaderThreads.add(Thread.currentThread());
        if (calls.incrementAndGet() == 1) {
          new CountDownLatch(1).await(); // hangs until interrupted
        }
        return "v";
      };
      AtomicReference<Throwable> ownerOutcome = new AtomicReference<>();
      Thread owner = Thread.ofVirtual().start(() -> {
        try {
          cache.get("k", loader);
        } catch (Throwable t) {
          ownerOutcome.set(t);
        }
      });
      awaitTrue("loader running", () -> calls.get() == 1);
      CompletableFuture<String> waiter = new CompletableFuture<>();
      Thread.ofVirtual().start(() -> {
        try {
          waiter.complete(cache.get("k", loader));
        } catch (Throwable t) {
          waiter.completeExceptionally(t);
        }
      });
      awaitTrue("waiter joined", () -> cache.metrics().joinedLoadCount() == 1);
      owner.interrupt();
      owner.join();
      assertInstanceOf(WaitInterruptedException.class, ownerOutcome.get());
      assertEquals("v", waiter.get(30, TimeUnit.SECONDS));
      assertEquals(2, calls.get());
      assertEquals(2, loaderThreads.size(), "the second run was on another thread");
      assertEquals("v", cache.getIfPresent("k"));
    }
  }

  /** An interrupted owner with nobody waiting fails alone, and nothing is cached. */
  @Test
  void interruptedLoaderOwnerWithoutWaitersFailsAlone() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      AtomicInteger calls = new AtomicInteger();
      AtomicReference<Throwable> outcome = new AtomicReference<>();
      Thread owner = Thread.ofVirtual().start(() -> {
        try {
          cache.get("k", () -> { calls.incrementAndGet(); new CountDownLatch(1).await(); return "v"; });
        } catch (Throwable t) {
          outcome.set(t);
        }
      });
      awaitTrue("loader running", () -> calls.get() == 1);
      owner.interrupt();
      owner.join();
      assertInstanceOf(WaitInterruptedException.class, outcome.get());
      assertInstanceOf(InterruptedException.class, outcome.get().getCause());
      assertEquals(1, calls.get());
      assertEquals(0, cache.size());
      assertEquals("fresh", cache.get("k", () -> "fresh"));
    }
  }

  /** A hung loader is interrupted after loadTimeout; every waiter gets LoadTimeoutException. */
  @RepeatedTest(5)
  void hungLoaderTimesOut() throws Exception {
    try (AsyncCache<String, String> cache =
            AsyncCache.builder().loadTimeout(Duration.ofMillis(50)).build();
        var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      CountDownLatch interrupted = new CountDownLatch(1);
      Loader<String> hung = () -> {
        try {
          new CountDownLatch(1).await();
        } catch (InterruptedException e) {
          interrupted.countDown();
          throw e;
        }
        return "never";
      };
      List<Future<Throwable>> results = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        results.add(executor.submit(() -> {
          try {
            cache.get("k", hung);
            return null;
          } catch (Throwable t) {
            return t;
          }
        }));
      }
      for (Future<Throwable> r : results) {
        Throwable t = r.get(30, TimeUnit.SECONDS);
        assertInstanceOf(LoadTimeoutException.class, t);
        assertTrue(t.getMessage().contains("loadTimeout PT0.05S"), t.getMessage());
      }
      assertTrue(interrupted.await(30, TimeUnit.SECONDS), "the hung loader was interrupted");
      assertNull(cache.getIfPresent("k"));
      assertEquals("ok", cache.get("k", () -> "ok"));
    }
  }

  /** A loader may read other keys of the same cache (no deadlock, unlike compute-based caches). */
  @Test
  void nestedLoadsWork() {
    try (AsyncCache<String, Integer> cache = AsyncCache.builder().build()) {
      int v = cache.get("a", () -> cache.get("b", () -> cache.get("c", () -> 1) + 1) + 1);
      assertEquals(3, v);
      assertEquals(3, cache.size());
    }
  }

  @Test
  void nestedLoadsWorkWithTimedLoadsOnCacheThreads() {
    try (AsyncCache<String, Integer> cache =
        AsyncCache.builder().loadTimeout(Duration.ofSeconds(30)).build()) {
      assertEquals(2, cache.get("a", () -> cache.get("b", () -> 1) + 1));
    }
  }

  @Test
  void loaderAskingForItsOwnKeyFailsFast() {
    try (AsyncCache<String, Integer> cache = AsyncCache.builder().build()) {
      RecursiveLoadException e = assertThrows(RecursiveLoadException.class,
          () -> cache.get("a", () -> cache.get("a", () -> 1)));
      assertTrue(e.getMessage().contains("key a"), e.getMessage());
      // Through another key, and across cache threads (timed loads run there).
      assertThrows(RecursiveLoadException.class,
          () -> cache.get("x", () -> cache.get("y", () -> cache.get("x", () -> 1))));
      assertEquals(0, cache.size());
    }
    try (AsyncCache<String, Integer> cache =
        AsyncCache.builder().loadTimeout(Duration.ofSeconds(30)).build()) {
      assertThrows(RecursiveLoadException.class,
          () -> cache.get("x", () -> cache.get("y", () -> cache.get("x", () -> 1))));
    }
  }

  @Test
  void cancellingAnAsyncCallerDoesNotCancelTheLoad() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> first = cache.getAsync("k", () -> { release.await(); return "v"; });
      CompletableFuture<String> second = cache.getAsync("k", () -> "other");
      assertTrue(first.cancel(true));
      release.countDown();
      assertEquals("v", second.get(30, TimeUnit.SECONDS));
      assertEquals("v", cache.getIfPresent("k"));
    }
  }

  @Test
  void asyncLoaderIsSingleFlight() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      AtomicInteger calls = new AtomicInteger();
      CompletableFuture<String> source = new CompletableFuture<>();
      List<CompletableFuture<String>> callers = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        callers.add(cache.getAsync("k", Ttl.cacheDefault(), executor -> {
          calls.incrementAndGet();
          return source;
        }));
      }
      callers.get(0).cancel(true);
      source.complete("v");
      for (int i = 1; i < callers.size(); i++) {
        assertEquals("v", callers.get(i).get(30, TimeUnit.SECONDS));
      }
      assertEquals(1, calls.get());
      assertEquals("v", cache.getIfPresent("k"));
    }
  }

  /** An async loader's stage is cancelled when its load times out or the cache closes. */
  @Test
  void abandonedAsyncLoadIsCancelled() throws Exception {
    CompletableFuture<String> timedOut = new CompletableFuture<>();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().loadTimeout(Duration.ofMillis(20)).build()) {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> cache.getAsync("k", Ttl.cacheDefault(), executor -> timedOut).get(30, TimeUnit.SECONDS));
      assertInstanceOf(LoadTimeoutException.class, e.getCause());
      awaitTrue("stage cancelled", timedOut::isCancelled);
    }
    CompletableFuture<String> closed = new CompletableFuture<>();
    AsyncCache<String, String> cache = AsyncCache.builder().build();
    CompletableFuture<String> caller = cache.getAsync("k", Ttl.cacheDefault(), executor -> closed);
    cache.close();
    assertTrue(closed.isCancelled());
    ExecutionException e = assertThrows(ExecutionException.class, () -> caller.get(30, TimeUnit.SECONDS));
    assertInstanceOf(CacheClosedException.class, e.getCause());
  }

  /** A set made while a load runs wins: the load's waiters get its value, the cache keeps the set. */
  @Test
  void writeDuringLoadWins() throws Exception {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<String> loading = cache.getAsync("k", () -> { release.await(); return "loaded"; });
      cache.set("k", "written");
      release.countDown();
      assertEquals("loaded", loading.get(30, TimeUnit.SECONDS));
      assertEquals("written", cache.getIfPresent("k"));
      CompletableFuture<String> again = cache.getAsync("j", () -> { return "loaded"; });
      again.get();
      CountDownLatch release2 = new CountDownLatch(1);
      CompletableFuture<String> loading2 = cache.getAsync("d", () -> { release2.await(); return "loaded"; });
      cache.delete("d");
      release2.countDown();
      assertEquals("loaded", loading2.get(30, TimeUnit.SECONDS));
      assertNull(cache.getIfPresent("d"));
    }
  }

  @Test
  void nullArgumentsAreRejected() {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      assertEquals("key must not be null",
          assertThrows(NullPointerException.class, () -> cache.get(null, () -> "v")).getMessage());
      assertEquals("loader must not be null",
          assertThrows(NullPointerException.class, () -> cache.get("k", (Loader<String>) null)).getMessage());
      assertEquals("value must not be null",
          assertThrows(NullPointerException.class, () -> cache.set("k", null)).getMessage());
      assertEquals("ttl must not be null",
          assertThrows(NullPointerException.class, () -> cache.set("k", "v", null)).getMessage());
      assertThrows(NullPointerException.class, () -> cache.getIfPresent(null));
      assertThrows(NullPointerException.class, () -> cache.delete(null));
      assertEquals(0, cache.size());
    }
  }
}
