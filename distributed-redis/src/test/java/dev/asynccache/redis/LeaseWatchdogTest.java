package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.impl;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.BatchLoader;
import dev.asynccache.Loader;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lease watchdog: a loader slower than the lease keeps it (one load in the fleet), and the
 * watch ends with the load, its failure, and the cache. Time is measured in renewals, not sleeps.
 */
@Timeout(120)
class LeaseWatchdogTest {
  private static final Duration LEASE = Duration.ofMillis(900);
  /** One redis-server for the class, stopped after its last test. */
  @AutoClose private static final RedisServer redis = RedisServer.start();

  /** Opened by each test when its slow loaders may finish. */
  private final CountDownLatch release = new CountDownLatch(1);

  private static RedisCacheBuilder<String, String> leased(String namespace) {
    return strings(redis, namespace).leaseTime(LEASE).leaseRecheck(Duration.ofMillis(20));
  }

  /** Runs {@code call} on a virtual thread of its own, as another caller would. */
  private static <T> CompletableFuture<T> onItsOwnThread(Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, r -> Thread.ofVirtual().start(r));
  }

  /** A loader that runs {@code onCall}, then waits for {@link #release} and returns {@code value}. */
  private Loader<String> slow(Runnable onCall, String value) {
    return () -> {
      onCall.run();
      release.await();
      return value;
    };
  }

  /**
   * A batch loader that counts its call in {@code calls}, waits for {@link #release} if {@code
   * slow}, and maps each key k to {@code prefix + k}.
   */
  private BatchLoader<String, String> batch(AtomicInteger calls, boolean slow, String prefix) {
    return ks -> {
      calls.incrementAndGet();
      if (slow) {
        release.await();
      }
      Map<String, String> m = new HashMap<>();
      ks.forEach(k -> m.put(k, prefix + k));
      return m;
    };
  }

  @Test
  void aLoaderSlowerThanItsLeaseStillRunsOnceInTheFleet() throws Exception {
    try (RedisCache<String, String> a = leased("wd1").build();
        RedisCache<String, String> b = leased("wd1").build()) {
      AtomicInteger loads = new AtomicInteger();
      CompletableFuture<String> first = onItsOwnThread(() -> a.get("slow", slow(loads::incrementAndGet, "a's")));
      Fixtures.await("a to hold the lease", Duration.ofSeconds(20),
          () -> a.tierMetrics().leasesAcquired() == 1);
      CompletableFuture<String> second = onItsOwnThread(() -> b.get("slow", () -> {
        loads.incrementAndGet();
        return "b's";
      }));
      Fixtures.await("b to wait for a's lease", Duration.ofSeconds(20),
          () -> b.tierMetrics().leaseWaits() == 1);
      assertEquals(1, impl(a).activeLeaseWatches());
      // Four renewals, a third of the lease apart: more than a whole lease time has passed.
      long renewedAt = a.tierMetrics().leaseRenewals();
      Fixtures.await("more than one lease time of renewals", Duration.ofSeconds(30),
          () -> a.tierMetrics().leaseRenewals() >= renewedAt + 4);
      long pttl = Long.parseLong(redis.command("PTTL wd1:{slow}:lease").substring(1));
      assertTrue(pttl > 0, "the lease is alive: " + pttl);
      release.countDown();
      assertEquals("a's", first.get(30, TimeUnit.SECONDS));
      assertEquals("a's", second.get(30, TimeUnit.SECONDS));
      assertEquals(1, loads.get(), "loader calls in the fleet");
      assertEquals(0, b.tierMetrics().leaseTakeovers());
      assertEquals(0, impl(a).activeLeaseWatches(), "the watch ended with the load");
      assertEquals(":0", redis.command("EXISTS wd1:{slow}:lease"));
    }
  }

  @Test
  void aSlowBatchLoaderKeepsEveryLeaseOfItsBatch() throws Exception {
    try (RedisCache<String, String> a = leased("wd2").build();
        RedisCache<String, String> b = leased("wd2").build()) {
      AtomicInteger calls = new AtomicInteger();
      List<String> keys = List.of("x", "y", "z");
      CompletableFuture<Map<String, String>> first = onItsOwnThread(() -> a.getAll(keys, batch(calls, true, "a-")));
      Fixtures.await("a to hold the leases", Duration.ofSeconds(20),
          () -> a.tierMetrics().leasesAcquired() == 3);
      CompletableFuture<Map<String, String>> second = onItsOwnThread(() -> b.getAll(keys, batch(calls, false, "b-")));
      Fixtures.await("b to wait for a's leases", Duration.ofSeconds(20),
          () -> b.tierMetrics().leaseWaits() == 3);
      long renewedAt = a.tierMetrics().leaseRenewals();
      Fixtures.await("more than one lease time of renewals (3 keys each time)",
          Duration.ofSeconds(30), () -> a.tierMetrics().leaseRenewals() >= renewedAt + 12);
      release.countDown();
      Map<String, String> expected = Map.of("x", "a-x", "y", "a-y", "z", "a-z");
      assertEquals(expected, first.get(30, TimeUnit.SECONDS));
      assertEquals(expected, second.get(30, TimeUnit.SECONDS));
      assertEquals(1, calls.get(), "batch loader calls in the fleet");
      assertEquals(0, impl(a).activeLeaseWatches());
    }
  }

  @Test
  void theWatchEndsWhenTheLoaderFails() {
    try (RedisCache<String, String> a = leased("wd3").build()) {
      assertThrows(
          IllegalStateException.class,
          () ->
              a.get(
                  "k",
                  () -> {
                    assertEquals(1, impl(a).activeLeaseWatches());
                    throw new IllegalStateException("boom");
                  }));
      assertEquals(0, impl(a).activeLeaseWatches());
      assertEquals(":0", redis.command("EXISTS wd3:{k}:lease"));
    }
  }

  @Test
  void theWatchEndsWhenTheCacheCloses() throws Exception {
    RedisCache<String, String> a = leased("wd4").build();
    CountDownLatch loading = new CountDownLatch(1);
    CompletableFuture<String> f = onItsOwnThread(() -> a.get("k", slow(loading::countDown, "v")));
    assertTrue(loading.await(30, TimeUnit.SECONDS));
    assertEquals(1, impl(a).activeLeaseWatches());
    a.close();
    assertEquals(0, impl(a).activeLeaseWatches());
    release.countDown();
    try {
      f.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException expected) {
      // closed under the load: the core fails its callers
    }
    // Nobody renews the lease any more: it runs out by itself within one lease time.
    Fixtures.await("the abandoned lease to expire", Duration.ofSeconds(30),
        () -> redis.command("EXISTS wd4:{k}:lease").equals(":0"));
  }

  @Test
  void aWriteRevokingTheLeaseEndsTheWatch() throws Exception {
    try (RedisCache<String, String> a = leased("wd5").build();
        RedisCache<String, String> b = leased("wd5").build()) {
      CompletableFuture<String> f = onItsOwnThread(() -> a.get("k", slow(() -> {}, "old")));
      Fixtures.await("a to hold the lease", Duration.ofSeconds(20),
          () -> impl(a).activeLeaseWatches() == 1);
      b.set("k", "new"); // revokes a's lease
      Fixtures.await("a's watch to notice", Duration.ofSeconds(20),
          () -> impl(a).activeLeaseWatches() == 0);
      release.countDown();
      f.get(30, TimeUnit.SECONDS);
      assertEquals("new", b.get("k", () -> "loaded"));
      assertEquals(":0", redis.command("EXISTS wd5:{k}:lease"));
    }
  }
}
