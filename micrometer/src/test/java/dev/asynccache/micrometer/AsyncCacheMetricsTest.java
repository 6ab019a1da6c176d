package dev.asynccache.micrometer;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.asynccache.AsyncCache;
import dev.asynccache.testing.ManualTimeSource;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Our meters, read from a real registry over a real cache, and checked against Caffeine's. */
class AsyncCacheMetricsTest {

  /**
   * A Caffeine dashboard works unchanged: every meter Micrometer's CaffeineCacheMetrics registers
   * (for a loading, size-bounded cache with stats: the most it registers) is registered by ours
   * with the same name, type, base unit and tags (but the cache name).
   */
  @Test
  void everyCaffeineMeterIdHasItsTwinInOurs() {
    MeterRegistry registry = new SimpleMeterRegistry();
    LoadingCache<String, String> caffeine =
        Caffeine.newBuilder().maximumSize(100).recordStats().build(key -> key);
    CaffeineCacheMetrics.monitor(registry, caffeine, "caffeine", "app", "shop");
    try (AsyncCache<String, String> ours = AsyncCache.builder().maxSize(100).build()) {
      AsyncCacheMetrics.monitor(registry, ours, "ours", "app", "shop");

      Set<String> caffeineIds = ids(registry, "caffeine");
      Set<String> ourIds = ids(registry, "ours");
      assertTrue(caffeineIds.size() >= 9, "Caffeine registered " + caffeineIds);
      Set<String> missing = new TreeSet<>(caffeineIds);
      missing.removeAll(ourIds);
      assertTrue(missing.isEmpty(), "meters Caffeine has and we lack: " + missing);

      Set<String> extra = new TreeSet<>(ourIds);
      extra.removeAll(caffeineIds);
      assertEquals(
          Set.of(
              "cache.batch.calls COUNTER null [app=shop]",
              "cache.batch.keys COUNTER null [app=shop]",
              "cache.expirations COUNTER null [app=shop]",
              "cache.load.joined COUNTER null [app=shop]",
              "cache.refreshes COUNTER null [app=shop]",
              "cache.stale.served COUNTER null [app=shop]"),
          extra);
    }
  }

  /** "name TYPE baseUnit [tags]" of the meters tagged cache=cacheName, the cache tag left out. */
  private static Set<String> ids(MeterRegistry registry, String cacheName) {
    return registry.getMeters().stream()
        .map(Meter::getId)
        .filter(id -> cacheName.equals(id.getTag("cache")))
        .map(id -> id.getName() + " " + id.getType() + " " + id.getBaseUnit() + " "
            + id.getTags().stream()
                .filter(t -> !t.getKey().equals("cache"))
                .sorted(Comparator.comparing(Tag::getKey))
                .map(t -> t.getKey() + "=" + t.getValue())
                .collect(Collectors.joining(",", "[", "]")))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void standardMetersFollowTheCache() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().maxSize(2).defaultTtl(Duration.ofMinutes(1)).timeSource(clock).build()) {
      AsyncCacheMetrics.monitor(registry, cache, "users");

      cache.get("a", () -> {
        clock.advance(Duration.ofMillis(250)); // the load takes 250 ms on the cache's clock
        return "A";
      });
      cache.get("a", () -> "never");
      assertNull(cache.getIfPresent("zz"));
      assertThrows(IllegalStateException.class,
          () -> cache.get("bad", () -> { throw new IllegalStateException("down"); }));

      assertEquals(1, count(registry, "cache.gets", "result", "hit"));
      assertEquals(3, count(registry, "cache.gets", "result", "miss"));
      assertEquals(1, count(registry, "cache.load", "result", "success"));
      assertEquals(1, count(registry, "cache.load", "result", "failure"));
      assertEquals(1, count(registry, "cache.puts"), "loads count as puts, as in Caffeine's binder");
      assertEquals(0.25, registry.get("cache.load.duration").tag("cache", "users").timeGauge()
          .value(TimeUnit.SECONDS), 1e-9);
      assertEquals(1, registry.get("cache.size").tag("cache", "users").gauge().value());

      cache.set("b", "B");
      cache.set("c", "C"); // over maxSize 2: one eviction
      awaitTrue("an eviction was counted", () -> count(registry, "cache.evictions") == 1);
      assertEquals(1, count(registry, "cache.eviction.weight"));
      assertEquals(2, registry.get("cache.size").tag("cache", "users").gauge().value());

      clock.advance(Duration.ofMinutes(2));
      cache.cleanUp();
      assertEquals(2, count(registry, "cache.expirations"));
      assertEquals(0, registry.get("cache.size").tag("cache", "users").gauge().value());
    }
  }

  @Test
  void batchMetersCountCallsAndKeys() {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().maxSize(100).build()) {
      AsyncCacheMetrics.monitor(registry, cache, "batched");
      Map<Integer, String> found = cache.getAll(List.of(1, 2, 3), keys -> {
        Map<Integer, String> values = new java.util.HashMap<>();
        keys.forEach(k -> values.put(k, "v" + k));
        return values;
      });
      assertEquals(3, found.size());
      assertEquals(1, count(registry, "cache.batch.calls"));
      assertEquals(3, count(registry, "cache.batch.keys"));
    }
  }

  /** Callers released together on one cold key: all but the loader are counted as joined. */
  @Test
  void joinedLoadsAreCounted() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    int callers = 50;
    try (AsyncCache<String, String> cache = AsyncCache.builder().build();
        var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      AsyncCacheMetrics.monitor(registry, cache, "herd");
      CountDownLatch go = new CountDownLatch(1);
      CountDownLatch loading = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      List<Future<String>> results = new java.util.ArrayList<>();
      for (int i = 0; i < callers; i++) {
        results.add(executor.submit(() -> {
          go.await();
          return cache.get("k", () -> {
            loading.countDown();
            release.await();
            return "v";
          });
        }));
      }
      go.countDown();
      try {
        assertTrue(loading.await(30, TimeUnit.SECONDS));
        awaitTrue("every other caller joined", () -> count(registry, "cache.load.joined") == callers - 1);
      } finally {
        release.countDown();
      }
      for (Future<String> r : results) {
        assertEquals("v", r.get(30, TimeUnit.SECONDS));
      }
      assertEquals(1, count(registry, "cache.load", "result", "success"));
    }
  }

  @Test
  void refreshesAndStaleServedAreCounted() {
    MeterRegistry registry = new SimpleMeterRegistry();
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = AsyncCache.builder()
        .defaultTtl(Duration.ofMinutes(1))
        .refreshAfterWrite(Duration.ofSeconds(10))
        .staleIfError(Duration.ofMinutes(5))
        .timeSource(clock)
        .build()) {
      AsyncCacheMetrics.monitor(registry, cache, "fresh");
      cache.get("k", () -> "v1");
      clock.advance(Duration.ofSeconds(30)); // past the refresh age, within the TTL
      assertEquals("v1", cache.get("k", () -> "v2"));
      awaitTrue("a background refresh was counted", () -> count(registry, "cache.refreshes") == 1);
      // The refresh counts as a load when it ends: wait for it, so that the failing load below
      // cannot join it.
      awaitTrue("the refresh finished", () -> count(registry, "cache.load", "result", "success") == 2);
      clock.advance(Duration.ofMinutes(2)); // expired, within the stale grace
      String served = cache.get("k", () -> { throw new IllegalStateException("backend down"); });
      assertEquals("v2", served);
      assertEquals(1, count(registry, "cache.stale.served"));
      assertEquals(1, count(registry, "cache.load", "result", "failure"));
    }
  }

  private static double count(MeterRegistry registry, String name, String... tags) {
    return registry.get(name).tags(tags).functionCounter().count();
  }
}
