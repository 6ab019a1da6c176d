package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.impl;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.CacheClosedException;
import dev.asynccache.Ttl;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Reads, writes and TTLs of one or two caches on one real Redis. */
@Timeout(60)
class RedisCacheTest {
  /** One redis-server for the class, stopped after its last test. */
  @AutoClose private static final RedisServer redis = RedisServer.start();

  @Test
  void missLoadsOnceStoresInRedisAndAnotherCacheReadsIt() {
    try (RedisCache<String, String> a = strings(redis, "rw1").build();
        RedisCache<String, String> b = strings(redis, "rw1").build()) {
      AtomicInteger calls = new AtomicInteger();
      assertEquals("v", a.get("k", () -> "v" + (calls.incrementAndGet() > 1 ? "again" : "")));
      // The stored form: the header (format byte, expiry), then the codec's one byte.
      assertEquals(":" + (StoredValue.HEADER_BYTES + 1), redis.command("STRLEN rw1:{k}"));
      assertEquals("v", b.get("k", () -> "loaded by b"));
      assertEquals(1, calls.get());
      assertEquals(1, b.tierMetrics().l2Hits());
      assertEquals(1, a.tierMetrics().leasesAcquired());
      // The lease is released and no wait flag is left behind.
      assertEquals(":0", redis.command("EXISTS rw1:{k}:lease rw1:{k}:wait"));
    }
  }

  @Test
  void l1HitNeverTouchesRedis() {
    try (RedisCache<String, String> a = strings(redis, "rw2").build()) {
      a.get("k", () -> "v");
      RedisCacheMetrics before = a.tierMetrics();
      for (int i = 0; i < 1000; i++) {
        assertEquals("v", a.get("k", () -> "other"));
      }
      RedisCacheMetrics after = a.tierMetrics();
      assertEquals(before.l2Hits() + before.l2Misses(), after.l2Hits() + after.l2Misses());
      assertEquals(before.l1().hitCount() + 1000, after.l1().hitCount());
    }
  }

  @Test
  void anL1HitAllocatesNothing() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    try (RedisCache<String, String> a = strings(redis, "rw2a").build()) {
      a.get("k", () -> "v");
      int found = 0;
      for (int i = 0; i < 20_000; i++) { // warm-up: let the JIT compile the hit path
        found += a.get("k", () -> "other").length();
      }
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 100_000; i++) {
        found += a.get("k", () -> "other").length();
      }
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      assertEquals(120_000, found);
      // Under one byte per hit (a capturing loader or a boxed deadline would be 16-32 bytes each).
      assertTrue(allocated < 100_000, allocated + " bytes allocated by 100,000 L1 hits");
    }
  }

  @Test
  void eachLookupCountsOneHitOrOneMissInL1() throws Exception {
    try (RedisCache<String, String> a = strings(redis, "rw2b").build()) {
      a.get("k1", () -> "v1"); // miss
      a.getAsync("k2", () -> "v2").get(); // miss
      assertNull(a.getIfPresent("k3")); // miss (L1 and Redis)
      for (int i = 0; i < 10; i++) {
        a.get("k1", () -> "other"); // hits
        a.getAsync("k2", () -> "other").get();
        a.getIfPresent("k1");
      }
      dev.asynccache.BatchLoader<String, String> batch =
          keys -> keys.stream().collect(java.util.stream.Collectors.toMap(k -> k, k -> "b" + k));
      a.get("k4", batch); // miss
      a.getAsync("k5", batch).get(); // miss
      for (int i = 0; i < 10; i++) {
        a.get("k4", batch); // hits
        a.getAsync("k5", batch).get();
      }
      assertEquals(5, a.metrics().missCount());
      assertEquals(50, a.metrics().hitCount());
      assertEquals(5, a.tierMetrics().l1().missCount());
    }
  }

  @Test
  void setIsSeenByTheWriterAndStoredWithItsTtl() {
    try (RedisCache<String, String> a = strings(redis, "rw3").build()) {
      a.get("k", () -> "old");
      a.set("k", "new", Ttl.of(Duration.ofSeconds(100)));
      assertEquals("new", a.get("k", () -> "loaded"));
      long pttl = Long.parseLong(redis.command("PTTL rw3:{k}").substring(1));
      assertTrue(pttl > 90_000 && pttl <= 100_000, "pttl " + pttl);
      assertTrue(a.delete("k"));
      assertEquals(":0", redis.command("EXISTS rw3:{k}"));
      assertEquals("loaded", a.get("k", () -> "loaded"));
    }
  }

  @Test
  void aRedisHitLivesInL1NoLongerThanItsRemainingRedisTtl() {
    try (RedisCache<String, String> a = strings(redis, "rw4").build();
        RedisCache<String, String> b = strings(redis, "rw4").build()) {
      // Redis's clock cannot be injected, so the TTL is real time: 4 s leaves a loaded machine
      // ample time between the set and b's read (1 s flaked at load average 13).
      a.set("k", "short", Ttl.of(Duration.ofMillis(4000)));
      // a's invalidation reaches b asynchronously: read after it, or it may drop b's fresh copy.
      Fixtures.await("b to hear a's set", Duration.ofSeconds(10),
          () -> b.tierMetrics().invalidationsReceived() == 1);
      assertEquals("short", b.get("k", () -> "loaded"));
      assertEquals("short", impl(b).l1().getIfPresent("k"));
      Fixtures.await(
          "the L1 copy to expire", Duration.ofSeconds(15),
          () -> impl(b).l1().getIfPresent("k") == null);
      Fixtures.await(
          "Redis to expire the key", Duration.ofSeconds(15),
          () -> redis.command("EXISTS rw4:{k}").equals(":0"));
      assertEquals("loaded", b.get("k", () -> "loaded"));
    }
  }

  @Test
  void nullFromTheLoaderStoresNothing() {
    try (RedisCache<String, String> a = strings(redis, "rw5").build()) {
      assertNull(a.get("k", () -> null));
      assertEquals(":0", redis.command("EXISTS rw5:{k} rw5:{k}:lease"));
      assertEquals("v", a.get("k", () -> "v"));
    }
  }

  @Test
  void aFailingLoaderReleasesTheLeaseAndCachesNothing() {
    try (RedisCache<String, String> a = strings(redis, "rw6").build()) {
      IllegalStateException boom =
          assertThrows(
              IllegalStateException.class,
              () -> a.get("k", () -> {
                throw new IllegalStateException("boom");
              }));
      assertEquals("boom", boom.getMessage());
      assertEquals(":0", redis.command("EXISTS rw6:{k} rw6:{k}:lease"));
      assertEquals("v", a.get("k", () -> "v"));
    }
  }

  @Test
  void getAsyncLoadsThroughRedis() throws Exception {
    try (RedisCache<String, String> a = strings(redis, "rw7").build();
        RedisCache<String, String> b = strings(redis, "rw7").build()) {
      assertEquals("v", a.getAsync("k", () -> "v").get());
      assertEquals("v", b.getAsync("k", () -> "other").get());
      assertEquals(1, b.tierMetrics().l2Hits());
    }
  }

  @Test
  void closedCacheThrowsTheCoresClosedException() {
    RedisCache<String, String> a = strings(redis, "rw8").build();
    a.close();
    a.close();
    assertThrows(CacheClosedException.class, () -> a.get("k", () -> "v"));
    assertThrows(CacheClosedException.class, () -> a.set("k", "v"));
    a.metrics();
  }
}
