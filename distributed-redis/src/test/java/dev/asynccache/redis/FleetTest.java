package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.impl;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two caches with separate L1 tiers on one real Redis stand for two JVMs of a fleet (each has its
 * own Lettuce client, connections and notification subscription).
 */
@Timeout(120)
class FleetTest {
  /** One redis-server for the class, stopped after its last test. */
  @AutoClose private static final RedisServer redis = RedisServer.start();

  @Test
  void oneColdKeyManyThreadsOnTwoCachesLoadsOnceRepeated() throws Exception {
    try (RedisCache<String, String> a = strings(redis, "herd").build();
        RedisCache<String, String> b = strings(redis, "herd").build();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      List<RedisCache<String, String>> fleet = List.of(a, b);
      int rounds = 20;
      int callers = 200;
      for (int round = 0; round < rounds; round++) {
        String key = "cold-" + round;
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
          RedisCache<String, String> cache = fleet.get(i % 2);
          results.add(
              threads.submit(
                  () -> {
                    start.await();
                    return cache.get(
                        key,
                        () -> {
                          loads.incrementAndGet();
                          Thread.sleep(20); // a slow source, so the callers overlap
                          return "value-" + key;
                        });
                  }));
        }
        start.countDown();
        for (Future<String> r : results) {
          assertEquals("value-" + key, r.get());
        }
        assertEquals(1, loads.get(),
            "loader calls in round " + round + ": " + a.tierMetrics() + " / " + b.tierMetrics());
      }
      long leases = a.tierMetrics().leasesAcquired() + b.tierMetrics().leasesAcquired();
      assertEquals(rounds, leases);
      // Inside each JVM the L1 single-flight let one thread per key through to Redis.
      assertTrue(a.tierMetrics().l1().joinedLoadCount() + b.tierMetrics().l1().joinedLoadCount() > 0);
    }
  }

  @Test
  void aWaiterTakesOverWhenTheLeaseHolderDies() {
    try (RedisCache<String, String> a =
        strings(redis, "takeover").leaseRecheck(Duration.ofMillis(50)).build()) {
      // A JVM that took the lease and died: a lease with a foreign token, 300 ms to live.
      assertEquals("+OK", redis.command("SET takeover:{k}:lease dead-jvm PX 300 NX"));
      AtomicInteger loads = new AtomicInteger();
      long t0 = System.nanoTime();
      assertEquals("v", a.get("k", () -> "v" + (loads.incrementAndGet() > 1 ? "x" : "")));
      long waitedMs = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(1, loads.get());
      assertEquals(1, a.tierMetrics().leaseTakeovers());
      assertTrue(waitedMs >= 200, "waited only " + waitedMs + " ms for a 300 ms lease");
    }
  }

  @Test
  void aWaiterIsWokenByTheHoldersFillWithoutWaitingForTheRecheck() throws Exception {
    // A very long fallback re-read: only the notification can wake the waiter in time.
    try (RedisCache<String, String> a = strings(redis, "wake").build();
        RedisCache<String, String> b =
            strings(redis, "wake").leaseRecheck(Duration.ofSeconds(30)).build();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      CountDownLatch loading = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Future<String> holder =
          threads.submit(
              () ->
                  a.get(
                      "k",
                      () -> {
                        loading.countDown();
                        release.await();
                        return "from-a";
                      }));
      loading.await();
      Future<String> waiter = threads.submit(() -> b.get("k", () -> "from-b"));
      Fixtures.await("b to wait for a's lease", Duration.ofSeconds(10),
          () -> b.tierMetrics().leaseWaits() == 1);
      release.countDown();
      assertEquals("from-a", holder.get());
      long t0 = System.nanoTime();
      assertEquals("from-a", waiter.get());
      assertTrue((System.nanoTime() - t0) < Duration.ofSeconds(10).toNanos());
      assertEquals(0, b.tierMetrics().loads());
    }
  }

  @Test
  void aSetInOneCacheDropsTheOthersL1Copy() {
    try (RedisCache<String, String> a = strings(redis, "inval").build();
        RedisCache<String, String> b = strings(redis, "inval").build()) {
      assertEquals("v1", b.get("k", () -> "v1"));
      assertEquals("v1", a.get("k", () -> "unused"));
      a.set("k", "v2");
      Fixtures.await("b to receive the invalidation", Duration.ofSeconds(10),
          () -> b.tierMetrics().invalidationsReceived() == 1);
      assertEquals("v2", b.get("k", () -> "loaded"));
      a.delete("k");
      Fixtures.await("b to receive the delete", Duration.ofSeconds(10),
          () -> b.tierMetrics().invalidationsReceived() == 2);
      assertEquals("loaded", b.get("k", () -> "loaded"));
      // The writer does not invalidate itself through the channel, and fills broadcast nothing.
      assertEquals(0, a.tierMetrics().invalidationsReceived());
    }
  }

  @Test
  void aFillRacingAWriteNeverLeavesAStaleL1EntryRepeated() throws Exception {
    int rounds = 1000;
    int stale = 0;
    int raced = 0;
    try (RedisCache<String, String> a = strings(redis, "race").build();
        RedisCache<String, String> b = strings(redis, "race").build();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < rounds; i++) {
        String key = "k" + (i % 7);
        String written = "written-" + i;
        impl(b).l1().delete(key);
        long before = b.tierMetrics().invalidationsReceived();
        CountDownLatch go = new CountDownLatch(1);
        // b fills from Redis (or loads) while a writes: every interleaving happens over the rounds.
        Future<String> reader =
            threads.submit(
                () -> {
                  go.await();
                  return b.get(key, () -> "loaded-" + key);
                });
        Future<?> writer =
            threads.submit(
                () -> {
                  go.await();
                  a.set(key, written);
                  return null;
                });
        go.countDown();
        String read = reader.get();
        writer.get();
        if (!written.equals(read)) {
          raced++; // b read (or loaded) before a's write: its fill raced the invalidation
        }
        Fixtures.await("b to receive round " + i + "'s invalidation", Duration.ofSeconds(10),
            () -> b.tierMetrics().invalidationsReceived() > before);
        String l1 = impl(b).l1().getIfPresent(key);
        if (l1 != null && !l1.equals(written)) {
          stale++;
        }
        assertEquals(written, b.get(key, () -> "must not load"), "round " + i);
      }
    }
    assertEquals(0, stale, "rounds that left a stale L1 entry, of " + rounds);
    assertTrue(raced > 0, "no round had b's fill before a's write: the race was not exercised");
  }

  @Test
  void aLoadRevokedByADeleteDoesNotStoreItsOlderValue() throws Exception {
    try (RedisCache<String, String> a = strings(redis, "revoke").build();
        RedisCache<String, String> b = strings(redis, "revoke").build();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      CountDownLatch loading = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Future<String> load =
          threads.submit(
              () ->
                  b.get(
                      "k",
                      () -> {
                        loading.countDown();
                        release.await();
                        return "read-before-the-delete";
                      }));
      loading.await();
      a.delete("k");
      Fixtures.await("b to receive the delete", Duration.ofSeconds(10),
          () -> b.tierMetrics().invalidationsReceived() == 1);
      release.countDown();
      assertEquals("read-before-the-delete", load.get()); // its callers still get it
      assertEquals(":0", redis.command("EXISTS revoke:{k}"));
      assertEquals("fresh", b.get("k", () -> "fresh"));
    }
  }
}
