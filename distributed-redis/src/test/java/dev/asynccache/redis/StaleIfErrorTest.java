package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.impl;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.asynccache.BatchLoader;
import dev.asynccache.Batcher;
import dev.asynccache.TimeSource;
import dev.asynccache.Ttl;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stale-if-error against a real Redis that is killed or that lost the key: an expired L1 value is
 * served while the reload fails, within the grace period only (a manual clock, no sleeps); batch
 * reads are answered from stale copies only when every key they lack has one.
 */
@Timeout(120)
class StaleIfErrorTest {
  private static final class ManualClock implements TimeSource {
    final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Override
    public long nanoTime() {
      return now.get();
    }

    void advance(Duration d) {
      now.addAndGet(d.toNanos());
    }
  }

  /** A redis-server of each test's own: most tests kill it. */
  @AutoClose private final RedisServer redis = RedisServer.start();

  private final ManualClock clock = new ManualClock();

  /** A cache on {@link #redis} with stale-if-error for {@code grace}, on {@link #clock}. */
  private RedisCacheBuilder<String, String> graced(String namespace, Duration grace) {
    return strings(redis, namespace).staleIfError(grace).timeSource(clock);
  }

  private static String failing() {
    throw new IllegalStateException("the database is down too");
  }

  /** A batch loader that fails, as the database behind it is down. */
  private static final BatchLoader<String, String> FAILING_BATCH =
      keys -> {
        throw new IllegalStateException("the database is down too");
      };

  /** Loads {@code keys} (value: the key + "1"), kills Redis and waits for the L1 flush. */
  private void loadThenKill(RedisCache<String, String> cache, String... keys) {
    for (String k : keys) {
      assertEquals(k + "1", cache.get(k, () -> k + "1"));
    }
    redis.kill();
    Fixtures.await("the L1 flush", Duration.ofSeconds(10),
        () -> cache.tierMetrics().l1Flushes() >= 1);
  }

  /** The cause of a failed future's join. */
  private static Throwable failureOf(java.util.concurrent.CompletableFuture<?> f) {
    return assertThrows(CompletionException.class, f::join).getCause();
  }

  @Test
  void aSingleKeyBatchReadServesTheStaleCopyWithinTheGrace() {
    try (RedisCache<String, String> cache = graced("sieb1", Duration.ofSeconds(30)).build()) {
      loadThenKill(cache, "a", "b");
      assertEquals("a1", cache.get("a", FAILING_BATCH)); // the flushed L1 entry, set aside
      assertEquals(1, cache.tierMetrics().staleServed());
      assertEquals("a1", cache.get("a", FAILING_BATCH)); // again: the copy stays aside
      assertEquals("b1", cache.getAsync("b", FAILING_BATCH).join());
      assertEquals(3, cache.tierMetrics().staleServed());
      assertThrows(IllegalStateException.class, () -> cache.get("never", FAILING_BATCH));
      assertEquals(IllegalStateException.class,
          failureOf(cache.getAsync("never", FAILING_BATCH)).getClass());
      clock.advance(Duration.ofSeconds(31)); // past the grace: the failure
      assertThrows(IllegalStateException.class, () -> cache.get("a", FAILING_BATCH));
      assertEquals(IllegalStateException.class,
          failureOf(cache.getAsync("b", FAILING_BATCH)).getClass());
      assertEquals(3, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void getAllServesStaleCopiesOnlyWhenEveryKeyLackingHasOne() {
    try (RedisCache<String, String> cache = graced("sieb2", Duration.ofSeconds(30)).build()) {
      loadThenKill(cache, "a", "b", "c");
      // The flushed entries are set aside and read again; the batch fails: their stale copies.
      assertEquals(Map.of("a", "a1", "b", "b1"), cache.getAll(List.of("a", "b"), FAILING_BATCH));
      assertEquals(2, cache.tierMetrics().staleServed());
      // Again: L1 lacks them now, the batch fails, the copies answer.
      assertEquals(Map.of("a", "a1", "b", "b1"), cache.getAll(List.of("a", "b"), FAILING_BATCH));
      assertEquals(4, cache.tierMetrics().staleServed());
      // A value loaded during the outage is fresh: it answers beside a stale copy.
      assertEquals("f1", cache.get("f", () -> "f1"));
      assertEquals(Map.of("a", "a1", "f", "f1"), cache.getAll(List.of("a", "f"), FAILING_BATCH));
      assertEquals(5, cache.tierMetrics().staleServed());
      // One key without a stale copy: the failure, never a partial map.
      assertThrows(IllegalStateException.class,
          () -> cache.getAll(List.of("c", "never"), FAILING_BATCH));
      assertEquals(5, cache.tierMetrics().staleServed());
      assertEquals(Map.of("c", "c1"), cache.getAll(List.of("c"), FAILING_BATCH)); // c was set aside
      clock.advance(Duration.ofSeconds(31)); // past the grace: the failure
      assertThrows(IllegalStateException.class,
          () -> cache.getAll(List.of("a", "b"), FAILING_BATCH));
      assertEquals(6, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void getAllAsyncServesStaleCopiesOnlyWhenEveryKeyLackingHasOne() {
    try (RedisCache<String, String> cache = graced("sieb3", Duration.ofSeconds(30)).build()) {
      loadThenKill(cache, "a", "b", "c");
      assertEquals(Map.of("a", "a1", "b", "b1"),
          cache.getAllAsync(List.of("a", "b"), FAILING_BATCH).join());
      assertEquals(Map.of("a", "a1", "b", "b1"),
          cache.getAllAsync(List.of("a", "b"), FAILING_BATCH).join());
      assertEquals(4, cache.tierMetrics().staleServed());
      assertEquals(IllegalStateException.class,
          failureOf(cache.getAllAsync(List.of("c", "never"), FAILING_BATCH)).getClass());
      assertEquals(4, cache.tierMetrics().staleServed());
      clock.advance(Duration.ofSeconds(31));
      assertEquals(IllegalStateException.class,
          failureOf(cache.getAllAsync(List.of("a", "b"), FAILING_BATCH)).getClass());
      assertEquals(4, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void aBatcherServesStaleCopiesLikeTheBatchReads() {
    try (RedisCache<String, String> cache = graced("sieb4", Duration.ofSeconds(30)).build()) {
      Batcher<String, String> batcher = cache.batcher(FAILING_BATCH);
      loadThenKill(cache, "a", "b", "c", "d");
      assertEquals("a1", batcher.get("a"));
      assertEquals("b1", batcher.getAsync("b").join());
      assertEquals(Map.of("a", "a1", "c", "c1"), batcher.getAll(List.of("a", "c")));
      assertEquals(Map.of("b", "b1", "c", "c1"), batcher.getAllAsync(List.of("b", "c")).join());
      assertEquals(6, cache.tierMetrics().staleServed());
      assertThrows(IllegalStateException.class, () -> batcher.getAll(List.of("d", "never")));
      assertEquals(IllegalStateException.class,
          failureOf(batcher.getAllAsync(List.of("a", "never"))).getClass());
      assertThrows(IllegalStateException.class, () -> batcher.get("never"));
      assertEquals(6, cache.tierMetrics().staleServed());
      clock.advance(Duration.ofSeconds(31));
      assertThrows(IllegalStateException.class, () -> batcher.get("a"));
      assertEquals(IllegalStateException.class, failureOf(batcher.getAsync("b")).getClass());
      assertThrows(IllegalStateException.class, () -> batcher.getAll(List.of("c")));
      assertEquals(6, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void aValuePastMaxStalenessIsServedToABatchReadByTheCore() {
    try (RedisCache<String, String> cache =
        graced("sieb6", Duration.ofSeconds(10)).maxStaleness(Duration.ofSeconds(5)).build()) {
      assertEquals("v", cache.get("k", () -> "v"));
      assertEquals("w", cache.get("w", () -> "w"));
      clock.advance(Duration.ofSeconds(6));
      redis.command("DEL sieb6:{k}");
      redis.command("DEL sieb6:{w}");
      assertEquals(Map.of("k", "v", "w", "w"), cache.getAll(List.of("k", "w"), FAILING_BATCH));
      assertEquals(2, cache.tierMetrics().l1().staleServedCount());
      assertEquals(2, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void aBatchLoaderBreakingItsContractIsNeverAnsweredStale() {
    try (RedisCache<String, String> cache = graced("sieb7", Duration.ofSeconds(30)).build()) {
      loadThenKill(cache, "a");
      assertThrows(dev.asynccache.BatchLoadException.class,
          () -> cache.getAll(List.of("a"), keys -> null));
      assertEquals(0, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void withoutTheOptionABatchFailureReachesTheCaller() {
    try (RedisCache<String, String> cache = strings(redis, "sieb5").build()) {
      loadThenKill(cache, "a", "b");
      assertThrows(IllegalStateException.class,
          () -> cache.getAll(List.of("a", "b"), FAILING_BATCH));
      assertThrows(IllegalStateException.class, () -> cache.get("a", FAILING_BATCH));
      assertEquals(0, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void redisKilledAndTheLoaderFailingServeTheFlushedValueWithinTheGrace() throws Exception {
    try (RedisCache<String, String> cache = graced("sie1", Duration.ofSeconds(30)).build()) {
      assertEquals("v1", cache.get("k", () -> "v1"));
      assertEquals("w1", cache.get("w", () -> "w1"));
      redis.kill();
      // The lost connection flushes L1: its entries may have missed invalidations, so they are no
      // longer hits, but they are kept for stale-if-error.
      Fixtures.await("the L1 flush", Duration.ofSeconds(10),
          () -> cache.tierMetrics().l1Flushes() >= 1);
      assertEquals("v1", cache.get("k", StaleIfErrorTest::failing));
      assertEquals(1, cache.tierMetrics().staleServed());
      assertEquals("w1", cache.getAsync("w", StaleIfErrorTest::failing).join());
      assertEquals(2, cache.tierMetrics().staleServed());
      // Again (the copy stays aside while the key keeps failing).
      assertEquals("v1", cache.get("k", StaleIfErrorTest::failing));
      assertEquals(3, cache.tierMetrics().staleServed());
      // A loader that works wins over the stale copy, which is then forgotten.
      assertEquals("w2", cache.get("w", () -> "w2"));
      // A key with no expired value: the failure.
      assertThrows(IllegalStateException.class, () -> cache.get("never", StaleIfErrorTest::failing));
      // Past the grace period: the failure.
      clock.advance(Duration.ofSeconds(31));
      assertThrows(IllegalStateException.class, () -> cache.get("k", StaleIfErrorTest::failing));
      CompletionException async =
          assertThrows(
              CompletionException.class,
              () -> cache.getAsync("k", StaleIfErrorTest::failing).join());
      assertEquals(IllegalStateException.class, async.getCause().getClass());
      assertEquals(3, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void withoutTheOptionTheFailureReachesTheCaller() throws Exception {
    try (RedisCache<String, String> cache = strings(redis, "sie2").build()) {
      assertEquals("v1", cache.get("k", () -> "v1"));
      redis.kill();
      Fixtures.await("the L1 flush", Duration.ofSeconds(10),
          () -> cache.tierMetrics().l1Flushes() >= 1);
      assertThrows(IllegalStateException.class, () -> cache.get("k", StaleIfErrorTest::failing));
      assertEquals(0, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void aValueWhoseRedisTtlRanOutIsServedWhenRedisLostItAndTheLoaderFails() {
    try (RedisCache<String, String> cache =
        graced("sie3", Duration.ofSeconds(10)).maxStaleness(Duration.ofMinutes(5)).build()) {
      cache.set("k", "short", Ttl.of(Duration.ofSeconds(60)));
      assertEquals("short", cache.get("k", StaleIfErrorTest::failing)); // a Redis hit, in L1
      clock.advance(Duration.ofSeconds(61)); // L1's copy is past its Redis TTL
      redis.command("DEL sie3:{k}"); // Redis lost it without telling anyone (eviction, say)
      assertEquals("short", cache.get("k", StaleIfErrorTest::failing));
      assertEquals(1, cache.tierMetrics().staleServed());
      assertEquals(":0", redis.command("EXISTS sie3:{k}:lease"), "the failed load released its lease");
      clock.advance(Duration.ofSeconds(10)); // 10 s past the TTL: the grace is over
      assertThrows(IllegalStateException.class, () -> cache.get("k", StaleIfErrorTest::failing));
    }
  }

  @Test
  void aValuePastMaxStalenessIsServedByTheCoreWithinTheGrace() {
    try (RedisCache<String, String> cache =
        graced("sie4", Duration.ofSeconds(10)).maxStaleness(Duration.ofSeconds(5)).build()) {
      assertEquals("v", cache.get("k", () -> "v"));
      clock.advance(Duration.ofSeconds(6));
      redis.command("DEL sie4:{k}");
      assertEquals("v", cache.get("k", StaleIfErrorTest::failing));
      assertEquals(1, cache.tierMetrics().l1().staleServedCount());
      assertEquals(1, cache.tierMetrics().staleServed());
    }
  }

  @Test
  void aValueDeletedOrReplacedByAWriteIsNeverServedStale() throws Exception {
    try (RedisCache<String, String> a = graced("sie5", Duration.ofSeconds(30)).build();
        RedisCache<String, String> b = graced("sie5", Duration.ofSeconds(30)).build()) {
      assertEquals("v", b.get("gone", () -> "v"));
      assertEquals("v", b.get("mine", () -> "v"));
      a.delete("gone"); // another JVM's delete: b drops its copy for good
      Fixtures.await("b to hear the delete", Duration.ofSeconds(10),
          () -> b.tierMetrics().invalidationsReceived() >= 1);
      b.delete("mine"); // its own delete
      redis.kill();
      Fixtures.await("the L1 flush", Duration.ofSeconds(10),
          () -> b.tierMetrics().l1Flushes() >= 1);
      assertThrows(IllegalStateException.class, () -> b.get("gone", StaleIfErrorTest::failing));
      assertThrows(IllegalStateException.class, () -> b.get("mine", StaleIfErrorTest::failing));
      assertEquals(0, b.tierMetrics().staleServed());
      assertNotNull(impl(b).l1());
    }
  }

  @Test
  void aFreshKeyInAFailedBatchCountsOneHitAndEachLackingKeyOneMiss() {
    try (RedisCache<String, String> cache = graced("sie6", Duration.ofSeconds(30)).build()) {
      assertEquals("a1", cache.get("a", () -> "a1"));
      long hits = cache.metrics().hitCount();
      long misses = cache.metrics().missCount();
      // "a" is fresh in L1, "x" lacks a copy anywhere: the failure stands, and each key is
      // counted once, as by a batch read that failed without stale-if-error.
      assertThrows(IllegalStateException.class,
          () -> cache.getAll(List.of("a", "x"), FAILING_BATCH));
      assertEquals(hits + 1, cache.metrics().hitCount(), "hits after getAll");
      assertEquals(misses + 1, cache.metrics().missCount(), "misses after getAll");
      assertEquals(IllegalStateException.class,
          failureOf(cache.getAllAsync(List.of("a", "y"), FAILING_BATCH)).getClass());
      assertEquals(hits + 2, cache.metrics().hitCount(), "hits after getAllAsync");
      assertEquals(misses + 2, cache.metrics().missCount(), "misses after getAllAsync");
    }
  }
}
