package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.impl;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.asynccache.TimeSource;
import dev.asynccache.Ttl;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stale-if-error against a real Redis that is killed or that lost the key: an expired L1 value is
 * served while the reload fails, within the grace period only (a manual clock, no sleeps).
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
}
