package dev.asynccache.redis;

import static dev.asynccache.redis.Fixtures.bytes;
import static dev.asynccache.redis.Fixtures.impl;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.TimeSource;
import dev.asynccache.Ttl;
import dev.asynccache.redis.testing.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The remaining TTL an L2 hit gives L1 comes from the stored value's header (the writer's wall
 * clock at the write plus the TTL) and the reader's wall clock: manual clocks on both sides, no
 * sleeps. Redis's own expiry of the key is real time and long here (minutes), so it never fires.
 */
@Timeout(60)
class WallClockTtlTest {
  @AutoClose private static final RedisServer redis = RedisServer.start();

  private static final long T0 = 1_800_000_000_000L; // epoch ms

  /** A monotonic clock for L1 that only moves when told. */
  private static final class ManualNanos implements TimeSource {
    final AtomicLong now = new AtomicLong(5_000_000_000L);

    @Override
    public long nanoTime() {
      return now.get();
    }
  }

  private static InstantSource wall(AtomicLong millis) {
    return () -> Instant.ofEpochMilli(millis.get());
  }

  @Test
  void theHeaderCarriesTheWritersExpiryOnEveryWritePath() {
    AtomicLong wallA = new AtomicLong(T0);
    try (RedisCache<String, String> a =
        strings(redis, "wall1")
            .wallClock(wall(wallA))
            .defaultTtl(Duration.ofMinutes(10))
            .build()) {
      a.set("set", "v", Ttl.of(Duration.ofMinutes(3)));
      a.set("never", "v", Ttl.never());
      a.get("filled", () -> "v");
      a.getAll(List.of("batched"), ks -> Map.of("batched", "v"));
      assertEquals(T0 + 180_000, expiry("wall1:{set}"));
      assertEquals(StoredValue.NO_EXPIRY, expiry("wall1:{never}"));
      assertEquals(T0 + 600_000, expiry("wall1:{filled}"));
      assertEquals(T0 + 600_000, expiry("wall1:{batched}"));
      // Redis still expires the key itself (PX), as before the header.
      long pttl = Long.parseLong(redis.command("PTTL wall1:{set}").substring(1));
      assertTrue(pttl > 120_000 && pttl <= 180_000, "pttl " + pttl);
      assertEquals(":-1", redis.command("PTTL wall1:{never}"));
    }
  }

  @Test
  void aReaderWhoseClockIsAheadKeepsTheEntryInL1ForWhatTheHeaderLeaves() {
    AtomicLong wallA = new AtomicLong(T0);
    AtomicLong wallB = new AtomicLong(T0 + 240_000); // b's wall clock 4 min ahead of a's
    ManualNanos nanosB = new ManualNanos();
    try (RedisCache<String, String> a = strings(redis, "wall2").wallClock(wall(wallA)).build();
        RedisCache<String, String> b =
            strings(redis, "wall2")
                .wallClock(wall(wallB))
                .timeSource(nanosB)
                .maxStaleness(Duration.ofHours(1))
                .build()) {
      a.set("k", "v", Ttl.of(Duration.ofMinutes(10)));
      a.set("forever", "w", Ttl.never());
      awaitInvalidations(b, 2);
      AtomicInteger loads = new AtomicInteger();
      assertEquals("v", b.get("k", () -> "loaded-" + loads.incrementAndGet()));
      assertEquals("w", b.get("forever", () -> "loaded-" + loads.incrementAndGet()));
      assertEquals(0, loads.get());
      assertEquals(2, b.tierMetrics().l2Hits());
      // 10 min by a's clock, 4 of which b's clock says are gone: 6 min in L1.
      nanosB.now.addAndGet(Duration.ofMinutes(6).toNanos() - 1);
      assertEquals("v", impl(b).l1().getIfPresent("k"));
      nanosB.now.addAndGet(1);
      assertNull(impl(b).l1().getIfPresent("k"), "expired in L1 once the header's expiry is reached");
      // No expiry in Redis: maxStaleness (1 h) bounds it in L1.
      nanosB.now.addAndGet(Duration.ofMinutes(54).toNanos() - 1);
      assertEquals("w", impl(b).l1().getIfPresent("forever"));
      nanosB.now.addAndGet(1);
      assertNull(impl(b).l1().getIfPresent("forever"), "expired in L1 after maxStaleness");
    }
  }

  @Test
  void anExpiryAlreadyPastByTheReadersClockIsServedOnceAndKeptNowhere() {
    AtomicLong wallA = new AtomicLong(T0);
    AtomicLong wallB = new AtomicLong(T0 + 600_000); // b's clock: the value expired just now
    ManualNanos nanosB = new ManualNanos();
    try (RedisCache<String, String> a = strings(redis, "wall3").wallClock(wall(wallA)).build();
        RedisCache<String, String> b =
            strings(redis, "wall3").wallClock(wall(wallB)).timeSource(nanosB).build()) {
      a.set("k", "v", Ttl.of(Duration.ofMinutes(10)));
      awaitInvalidations(b, 1);
      AtomicInteger loads = new AtomicInteger();
      // Redis still has the key (its own PX is real time): the fleet's value, not loaded again.
      assertEquals("v", b.get("k", () -> "loaded-" + loads.incrementAndGet()));
      assertEquals(0, loads.get());
      assertNull(impl(b).l1().getIfPresent("k"), "not kept in L1");
      assertEquals("v", b.getIfPresent("k"));
      assertEquals(0, b.tierMetrics().decodeFailures());
    }
  }

  @Test
  void everyReadPathGivesItsL1EntryTheTimeTheValueHasLeftInRedis() {
    AtomicLong wall = new AtomicLong(T0);
    ManualNanos nanosB = new ManualNanos();
    long start = nanosB.now.get();
    try (RedisCache<String, String> a = strings(redis, "wall4").wallClock(wall(wall)).build();
        RedisCache<String, String> b =
            strings(redis, "wall4")
                .wallClock(wall(wall))
                .timeSource(nanosB)
                .maxStaleness(Duration.ofHours(1))
                .build()) {
      for (int i = 1; i <= 6; i++) {
        a.set("k" + i, "v" + i, Ttl.of(Duration.ofMinutes(i))); // k_i: i minutes left
      }
      awaitInvalidations(b, 6);
      AtomicInteger loads = new AtomicInteger();
      // Each key through another path into L1, all of them L2 hits.
      b.get("k1", () -> "loaded-" + loads.incrementAndGet());
      b.getAsync("k2", () -> "loaded-" + loads.incrementAndGet()).join();
      b.getAsync(
              "k3",
              Ttl.cacheDefault(),
              executor ->
                  java.util.concurrent.CompletableFuture.completedFuture(
                      "loaded-" + loads.incrementAndGet()))
          .join();
      b.getAll(List.of("k4"), keys -> Map.of());
      b.batcher(keys -> Map.<String, String>of()).get("k5");
      b.getIfPresent("k6");
      assertEquals(0, loads.get());
      assertEquals(6, b.tierMetrics().l2Hits());
      for (int i = 1; i <= 6; i++) {
        long deadline = start + Duration.ofMinutes(i).toNanos();
        nanosB.now.set(deadline - 1);
        assertEquals("v" + i, impl(b).l1().getIfPresent("k" + i), "k" + i + " just before");
        nanosB.now.set(deadline);
        assertNull(impl(b).l1().getIfPresent("k" + i), "k" + i + " at its Redis expiry");
      }
    }
  }

  /** a's invalidations reach b asynchronously: b reads after them, or they drop its fresh copy. */
  private static void awaitInvalidations(RedisCache<String, String> b, long n) {
    Fixtures.await("b to hear a's writes", Duration.ofSeconds(10),
        () -> b.tierMetrics().invalidationsReceived() == n);
  }

  private static long expiry(String key) {
    byte[] stored = redis.binaryBulk(bytes("GET"), bytes(key));
    assertEquals(StoredValue.Status.OK, StoredValue.check(stored), key);
    return StoredValue.expiresAt(stored);
  }
}
