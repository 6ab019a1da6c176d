package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.bytes;
import static dev.asynccache.redis.Fixtures.impl;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.BatchLoadException;
import dev.asynccache.Batcher;
import dev.asynccache.Ttl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The core's operations ({@link AsyncCache}) over the two tiers, against one real Redis. */
@Timeout(60)
class CoreOperationsTest {
  /** One redis-server for the class, stopped after its last test. */
  @AutoClose private static final RedisServer redis = RedisServer.start();

  private static long mgetCalls() {
    return redis.commandStat("mget");
  }

  @Test
  void getAllReadsRedisInOneMgetAndCallsTheBatchLoaderOnceForWhatRedisLacks() {
    try (AsyncCache<String, String> a = strings(redis, "batch1").build();
        RedisCache<String, String> b = strings(redis, "batch1").build()) {
      a.set("k1", "stored-1");
      a.set("k2", "stored-2");
      List<List<String>> calls = new CopyOnWriteArrayList<>();
      List<String> keys = List.of("k1", "k2", "k3", "k4", "k5");
      long mgetBefore = mgetCalls();
      Map<String, String> got =
          b.getAll(
              keys,
              ks -> {
                calls.add(List.copyOf(ks));
                Map<String, String> m = new HashMap<>();
                for (String k : ks) {
                  if (!k.equals("k5")) { // k5 has no value at the source
                    m.put(k, "loaded-" + k);
                  }
                }
                return m;
              });
      assertEquals(
          Map.of("k1", "stored-1", "k2", "stored-2", "k3", "loaded-k3", "k4", "loaded-k4"), got);
      assertEquals(1, mgetCalls() - mgetBefore, "MGET round trips");
      assertEquals(1, calls.size(), "batch loader calls: " + calls);
      assertEquals(List.of("k3", "k4", "k5"), calls.get(0).stream().sorted().toList());
      // Written back to Redis, leases released, nothing stored for k5.
      assertEquals(":2", redis.command("EXISTS batch1:{k3} batch1:{k4}"));
      assertEquals(
          ":0", redis.command("EXISTS batch1:{k5} batch1:{k3}:lease batch1:{k4}:lease batch1:{k5}:lease"));
      // Another JVM reads them all from Redis with no load.
      List<List<String>> aCalls = new CopyOnWriteArrayList<>();
      Map<String, String> again = a.getAll(keys, ks -> {
        aCalls.add(List.copyOf(ks));
        return Map.of();
      });
      assertEquals(got, again);
      assertEquals(List.of(List.of("k5")), aCalls, "only k5, which has no value, is loaded again");
    }
  }

  @Test
  void aBatchWaitsForKeysAnotherJvmIsLoadingAndLoadsTheRestItself() throws Exception {
    try (RedisCache<String, String> a =
        strings(redis, "batch2").leaseRecheck(Duration.ofMillis(20)).build()) {
      // Another JVM holds k2's lease; it stores k2 a moment later.
      assertEquals("+OK", redis.command("SET batch2:{k2}:lease other-jvm PX 10000 NX"));
      Thread.ofVirtual()
          .start(
              () -> {
                Fixtures.await("a to wait for k2", Duration.ofSeconds(10),
                    () -> a.tierMetrics().leaseWaits() > 0);
                redis.binaryCommand(
                    bytes("SET"),
                    bytes("batch2:{k2}"),
                    StoredValue.encode(bytes("from-other"), StoredValue.NO_EXPIRY));
                redis.command("DEL batch2:{k2}:lease");
              });
      AtomicInteger loaded = new AtomicInteger();
      Map<String, String> got =
          a.getAll(
              List.of("k1", "k2"),
              ks -> {
                Map<String, String> m = new HashMap<>();
                for (String k : ks) {
                  loaded.incrementAndGet();
                  m.put(k, "mine-" + k);
                }
                return m;
              });
      assertEquals(Map.of("k1", "mine-k1", "k2", "from-other"), got);
      assertEquals(1, loaded.get(), "only k1 was loaded here");
    }
  }

  @Test
  void aFailingOrBrokenBatchLoaderReleasesItsLeasesAndCachesNothing() {
    try (RedisCache<String, String> a = strings(redis, "batch3").build()) {
      IllegalStateException boom =
          assertThrows(
              IllegalStateException.class,
              () -> a.getAll(List.of("k1", "k2"), ks -> {
                throw new IllegalStateException("boom");
              }));
      assertEquals("boom", boom.getMessage());
      assertEquals(":0", redis.command("EXISTS batch3:{k1}:lease batch3:{k2}:lease batch3:{k1}"));
      assertThrows(BatchLoadException.class, () -> a.getAll(List.of("k3"), ks -> null));
      assertEquals(":0", redis.command("EXISTS batch3:{k3}:lease batch3:{k3}"));
      assertEquals(Map.of("k1", "v"), a.getAll(List.of("k1"), ks -> Map.of("k1", "v")));
    }
  }

  @Test
  void batchersAndPerCallBatchLoadersGoThroughRedis() throws Exception {
    try (RedisCache<String, String> a = strings(redis, "batch4").build();
        RedisCache<String, String> b = strings(redis, "batch4").build()) {
      AtomicInteger calls = new AtomicInteger();
      Batcher<String, String> batcher =
          a.batcher(
              ks -> {
                calls.incrementAndGet();
                Map<String, String> m = new HashMap<>();
                ks.forEach(k -> m.put(k, "v-" + k));
                return m;
              });
      List<CompletableFuture<String>> futures = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        futures.add(batcher.getAsync("k" + i));
      }
      for (int i = 0; i < 20; i++) {
        assertEquals("v-k" + i, futures.get(i).get());
      }
      assertTrue(calls.get() <= 2, "batch calls " + calls.get()); // one window, maybe split
      assertEquals("v-k3", b.get("k3", ks -> Map.of()));
      assertEquals("v-k4", b.getAsync("k4", ks -> Map.of()).get());
      Batcher<String, String> async =
          b.batcher((ks, executor) -> CompletableFuture.supplyAsync(() -> Map.of("x", "y"), executor));
      assertEquals("y", async.get("x"));
      assertEquals(Map.of("x", "y", "k5", "v-k5"), async.getAll(List.of("x", "k5")));
    }
  }

  @Test
  void getIfPresentReadsL1ThenRedisAndNeverLoads() {
    try (RedisCache<String, String> a = strings(redis, "gip").build();
        RedisCache<String, String> b = strings(redis, "gip").build()) {
      assertNull(b.getIfPresent("k"));
      a.set("k", "v");
      Fixtures.await("b to receive a's invalidation", Duration.ofSeconds(10),
          () -> b.tierMetrics().invalidationsReceived() == 1);
      assertEquals("v", b.getIfPresent("k"));
      assertEquals(1, b.tierMetrics().l2Hits());
      assertEquals("v", b.getIfPresent("k")); // now from L1
      assertEquals(1, b.tierMetrics().l2Hits());
      assertEquals(0, b.tierMetrics().loads());
    }
  }

  @Test
  void asyncLoadersAndWarmupGoThroughRedis() throws Exception {
    try (RedisCache<String, String> a = strings(redis, "async").build();
        RedisCache<String, String> b = strings(redis, "async").build()) {
      assertEquals(
          "v",
          a.getAsync("k", Ttl.cacheDefault(), executor ->
              CompletableFuture.supplyAsync(() -> "v", executor)).get());
      assertEquals("v", b.getIfPresent("k"));
      var failed =
          a.getAsync("bad", Ttl.cacheDefault(), executor ->
              CompletableFuture.failedFuture(new IllegalStateException("async boom")));
      var e = assertThrows(java.util.concurrent.ExecutionException.class, failed::get);
      assertEquals("async boom", e.getCause().getMessage());
      assertEquals(":0", redis.command("EXISTS async:{bad}:lease"));
      var result = b.warmup(Map.of("w1", () -> "x1", "w2", () -> null, "k", () -> "unused"));
      assertEquals(java.util.Set.of("w1", "k"), result.loaded());
      assertEquals(java.util.Set.of("w2"), result.missing());
      assertEquals("x1", a.getIfPresent("w1"));
    }
  }

  @Test
  void clearRemovesTheNamespaceFromRedisAndEveryJvmsL1() {
    try (RedisCache<String, String> a = strings(redis, "clr").build();
        RedisCache<String, String> b = strings(redis, "clr").build();
        RedisCache<String, String> other = strings(redis, "clr-other").build()) {
      for (int i = 0; i < 50; i++) {
        String k = "k" + i;
        a.get(k, () -> "v");
        b.get(k, () -> "v");
      }
      other.set("k", "keep");
      assertEquals(50, impl(b).l1().size());
      a.clear();
      assertEquals(0, impl(a).l1().size());
      Fixtures.await("b to clear its L1", Duration.ofSeconds(10),
          () -> b.tierMetrics().clearsReceived() == 1);
      assertEquals(0, impl(b).l1().size());
      assertEquals(":0", redis.command("EXISTS clr:{k0} clr:{k49}"));
      assertEquals("keep", other.getIfPresent("k"));
      assertEquals("fresh", b.get("k0", () -> "fresh"));
    }
  }

  @Test
  void theOperationsWithoutAMeaningHereSaySo() {
    try (RedisCache<String, String> a = strings(redis, "unsupported").build()) {
      var e = assertThrows(UnsupportedOperationException.class, a::asMap);
      assertTrue(e.getMessage().contains("asMap"), e.getMessage());
      assertThrows(IllegalStateException.class, a::saveToBackend);
      assertThrows(IllegalStateException.class, a::loadFromBackend);
      a.get("k", () -> "v");
      assertEquals(1, a.size());
      assertEquals(1, a.metrics().missCount());
      a.cleanUp();
    }
  }
}
