package dev.asynccache;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.testing.ManualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** Refresh ahead of expiry and stale-if-error, driven by a clock the test moves (no sleeps). */
class RefreshAndStaleTest {

  // ----- refresh ahead of expiry -----

  @Test
  void aDueEntryIsServedAtOnceAndReloadedOnceInTheBackground() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().timeSource(clock).refreshAfterWrite(Duration.ofMinutes(1)).build()) {
      assertEquals("v1", cache.get("k", () -> "v1"));
      clock.advance(Duration.ofSeconds(61));
      AtomicInteger reloads = new AtomicInteger();
      CountDownLatch release = new CountDownLatch(1);
      Loader<String> slow = () -> {
        reloads.incrementAndGet();
        release.await();
        return "v2";
      };
      List<CompletableFuture<String>> readers = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        readers.add(CompletableFuture.supplyAsync(() -> cache.get("k", slow), r -> Thread.ofVirtual().start(r)));
      }
      for (CompletableFuture<String> r : readers) {
        assertEquals("v1", r.get(30, TimeUnit.SECONDS), "readers never wait for the reload");
      }
      // The reload runs on a cache thread: wait until it has started, then it must be the only one.
      awaitTrue("the background reload started", () -> reloads.get() >= 1);
      assertEquals(1, reloads.get(), "one reload however many readers");
      assertEquals(1, cache.metrics().refreshCount());
      release.countDown();
      awaitTrue("the reloaded value replaces the entry", () -> "v2".equals(cache.getIfPresent("k")));
      // The reload is counted after its value is in the cache (a value that fails to go in counts
      // as a failure), so a reader can see v2 an instant before the count moves.
      awaitTrue("the reload is counted", () -> cache.metrics().loadSuccessCount() >= 2);
      assertEquals(1, cache.metrics().refreshCount());
      assertEquals(2, cache.metrics().loadSuccessCount());
      clock.advance(Duration.ofSeconds(30));
      assertEquals("v2", cache.get("k", slow));
      assertEquals(1, reloads.get(), "the reloaded entry is fresh again");
    }
  }

  /**
   * A read that finds the entry due while the load that wrote it is settled but not yet out of the
   * in-flight map (its callers already hold the value) still starts the refresh. Forced: the read
   * runs inside the completion of the first load's future, before its thread cleans up. (Seen in
   * CI as a Kotlin spec waiting forever for a refresh that had been skipped.)
   */
  @Test
  void aDueReadRacingTheCleanupOfTheLoadThatWroteTheEntryStillRefreshes() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().timeSource(clock).refreshAfterWrite(Duration.ofMinutes(1)).build()) {
      CompletableFuture<String> first = new CompletableFuture<>();
      AtomicInteger reloads = new AtomicInteger();
      Loader<String> reload = () -> {
        reloads.incrementAndGet();
        return "v2";
      };
      CompletableFuture<String> readInsideCompletion =
          cache.getAsync("k", Ttl.cacheDefault(), executor -> first)
              .thenApply(v1 -> {
                clock.advance(Duration.ofSeconds(61));
                return cache.get("k", reload); // due: served at once, reloaded in the background
              });
      first.complete("v1"); // runs the cache's completion, and the read above, on this thread
      assertEquals("v1", readInsideCompletion.get(30, TimeUnit.SECONDS));
      awaitTrue("the due read's refresh ran", () -> "v2".equals(cache.getIfPresent("k")));
      assertEquals(1, reloads.get());
      assertEquals(1, cache.metrics().refreshCount());
    }
  }

  @Test
  void aFailedReloadKeepsTheValueAndIsRetriedAfterABackOffThatNeverStops() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().timeSource(clock).refreshAfterWrite(Duration.ofSeconds(10)).build()) {
      cache.get("k", () -> "v1");
      AtomicInteger calls = new AtomicInteger();
      Loader<String> failing = () -> {
        calls.incrementAndGet();
        throw new IllegalStateException("db down");
      };
      clock.advance(Duration.ofSeconds(11));
      int expectedCalls = 0;
      // back-offs: 1 s, 2 s, 4 s, 8 s, then capped at the refresh age (10 s), for ever
      long[] backOffs = {1, 2, 4, 8, 10, 10, 10};
      for (long backOff : backOffs) {
        assertEquals("v1", cache.get("k", failing));
        expectedCalls++;
        int expected = expectedCalls;
        awaitTrue("reload " + expected + " failed", () -> cache.metrics().loadFailureCount() == expected);
        assertEquals(expected, calls.get());
        clock.advance(Duration.ofSeconds(backOff).minusMillis(1));
        assertEquals("v1", cache.get("k", failing));
        assertEquals(expected, calls.get(), "no retry before the back-off of " + backOff + " s");
        clock.advance(Duration.ofMillis(1));
      }
      assertEquals("v1", cache.get("k", () -> "v2"));
      awaitTrue("a reload succeeds at last", () -> "v2".equals(cache.getIfPresent("k")));
    }
  }

  @Test
  void anEntryCanHaveARefreshAgeOfItsOwn() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = AsyncCache.builder().timeSource(clock).build()) {
      Ttl refreshing = Ttl.cacheDefault().withRefreshAfter(Duration.ofSeconds(10));
      AtomicInteger loads = new AtomicInteger();
      cache.get("refreshing", refreshing, () -> "r" + loads.incrementAndGet());
      cache.get("plain", () -> "p" + loads.incrementAndGet());
      clock.advance(Duration.ofSeconds(11));
      assertEquals("r1", cache.get("refreshing", refreshing, () -> "r" + loads.incrementAndGet()));
      awaitTrue("reloaded", () -> "r3".equals(cache.getIfPresent("refreshing")));
      assertEquals("p2", cache.get("plain", () -> "p" + loads.incrementAndGet()));
      assertEquals(3, loads.get(), "an entry without a refresh age is never reloaded");
      assertEquals(Duration.ofSeconds(10), refreshing.refreshAfter().orElseThrow());
      assertThrows(IllegalArgumentException.class, () -> Ttl.never().withRefreshAfter(Duration.ZERO));
    }
  }

  /** Jitter: each entry is due between 90 % and 100 % of its refresh age, never earlier. */
  @Test
  void refreshAgesAreJitteredWithinTheLastTenthOfTheAge() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<Integer, String> cache =
        AsyncCache.builder().timeSource(clock).maxSize(1_000).refreshAfterWrite(Duration.ofSeconds(100)).build()) {
      for (int k = 0; k < 200; k++) {
        cache.set(k, "v");
      }
      AtomicInteger reloads = new AtomicInteger();
      clock.advance(Duration.ofSeconds(89));
      for (int k = 0; k < 200; k++) {
        cache.get(k, () -> { reloads.incrementAndGet(); return "w"; });
      }
      assertEquals(0, reloads.get(), "nothing is due before 90 % of the age");
      clock.advance(Duration.ofSeconds(11));
      for (int k = 0; k < 200; k++) {
        cache.get(k, () -> { reloads.incrementAndGet(); return "w"; });
      }
      awaitTrue("every entry reloaded", () -> reloads.get() == 200);
    }
  }

  @Test
  void aWriteOvertakesAReloadInFlight() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().timeSource(clock).refreshAfterWrite(Duration.ofSeconds(1)).build()) {
      cache.get("k", () -> "v1");
      clock.advance(Duration.ofSeconds(2));
      CountDownLatch reloading = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      assertEquals("v1", cache.get("k", () -> {
        reloading.countDown();
        release.await();
        return "reloaded";
      }));
      reloading.await();
      cache.set("k", "written");
      release.countDown();
      awaitTrue("the reload ended", () -> cache.metrics().loadSuccessCount() == 2);
      assertEquals("written", cache.getIfPresent("k"));
    }
  }

  // ----- stale-if-error -----

  @Test
  void aFailedLoadOfAnExpiredKeyIsAnsweredWithTheExpiredValueDuringTheGrace() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .timeSource(clock)
            .defaultTtl(Duration.ofSeconds(10))
            .staleIfError(Duration.ofSeconds(60))
            .build()) {
      cache.get("k", () -> "v1");
      clock.advance(Duration.ofSeconds(11));
      assertNull(cache.getIfPresent("k"), "an expired value is never read as such");
      IllegalStateException down = new IllegalStateException("db down");
      assertEquals("v1", cache.get("k", () -> { throw down; }));
      CompletableFuture<@Nullable String> async = cache.getAsync("k", () -> { throw down; });
      assertEquals("v1", async.get(30, TimeUnit.SECONDS));
      CacheMetrics m = cache.metrics();
      assertEquals(2, m.staleServedCount());
      assertEquals(2, m.loadFailureCount());
      // a successful load replaces it as usual
      assertEquals("v2", cache.get("k", () -> "v2"));
      assertEquals("v2", cache.getIfPresent("k"));
    }
  }

  @Test
  void pastTheGraceOrWithoutAnExpiredValueTheFailureReachesTheCaller() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .timeSource(clock)
            .defaultTtl(Duration.ofSeconds(10))
            .staleIfError(Duration.ofSeconds(60))
            .build()) {
      IllegalStateException down = new IllegalStateException("db down");
      assertSame(down, assertThrows(IllegalStateException.class, () -> cache.get("never-loaded", () -> { throw down; })));
      cache.get("k", () -> "v1");
      clock.advance(Duration.ofSeconds(10 + 60));
      assertSame(down, assertThrows(IllegalStateException.class, () -> cache.get("k", () -> { throw down; })));
      assertEquals(0, cache.metrics().staleServedCount());
      cache.cleanUp();
      assertEquals(0, cache.size(), "past the grace, the expired entry is removed");
    }
  }

  @Test
  void aTimedOutLoadIsAnsweredStaleButClosingNever() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    AsyncCache<String, String> cache =
        AsyncCache.builder()
            .timeSource(clock)
            .defaultTtl(Duration.ofSeconds(10))
            .staleIfError(Duration.ofSeconds(60))
            .loadTimeout(Duration.ofMillis(20))
            .build();
    cache.get("k", () -> "v1");
    clock.advance(Duration.ofSeconds(11));
    assertEquals("v1", cache.get("k", () -> { new CountDownLatch(1).await(); return "never"; }));
    CountDownLatch running = new CountDownLatch(1);
    AsyncCache<String, String> other =
        AsyncCache.builder().timeSource(clock).defaultTtl(Duration.ofSeconds(10)).staleIfError(Duration.ofSeconds(60)).build();
    other.get("k", () -> "v1");
    clock.advance(Duration.ofSeconds(11));
    CompletableFuture<@Nullable String> f =
        other.getAsync("k", () -> { running.countDown(); new CountDownLatch(1).await(); return "never"; });
    running.await();
    other.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
    assertInstanceOf(CacheClosedException.class, e.getCause());
    cache.close();
    assertTrue(cache.toString().contains("closed"));
  }
}
