package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The herd, batch and invalidation checks on a real 3-master Redis Cluster. */
@Timeout(180)
class ClusterTest {
  private static RedisCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = RedisCluster.start();
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static RedisCacheBuilder<String, String> node(String namespace) {
    return cluster.strings(namespace).l1MaxSize(20_000);
  }

  /** One key per hash slot: 16,384 keys, so every slot of every master is used. */
  private static List<String> oneKeyPerSlot() {
    String[] bySlot = new String[SlotHash.SLOT_COUNT];
    int filled = 0;
    for (int i = 0; filled < bySlot.length; i++) {
      String k = "k" + i;
      int slot = SlotHash.getSlot(k); // the key's Redis names hash-tag the encoded key: same slot
      if (bySlot[slot] == null) {
        bySlot[slot] = k;
        filled++;
      }
    }
    return List.of(bySlot);
  }

  @Test
  void aBatchOverEverySlotLoadsEachKeyOnceAndAnotherJvmReadsItFromEveryMaster() {
    List<String> keys = oneKeyPerSlot();
    // Keys other tests of this class left: values (no TTL) and wait flags (a TTL, expiring
    // meanwhile), hence counted apart.
    long others = keyspace("keys") - keyspace("expires");
    long othersExpiring = keyspace("expires");
    try (RedisCache<String, String> a = node("slots").build();
        RedisCache<String, String> b = node("slots").build()) {
      Map<String, Integer> loadsPerKey = new ConcurrentHashMap<>();
      LongAdder batchCalls = new LongAdder();
      // In calls of 2,048 keys (each a burst of about 12,000 commands; all 16,384 at once time out
      // on a loaded 2-core machine, where everything shares the cores).
      Map<String, String> got = new HashMap<>();
      for (List<String> part : chunks(keys, 2048)) {
        got.putAll(
            a.getAll(
                part,
                ks -> {
                  batchCalls.increment();
                  Map<String, String> m = new HashMap<>();
                  for (String k : ks) {
                    loadsPerKey.merge(k, 1, Integer::sum);
                    m.put(k, "v-" + k);
                  }
                  return m;
                }));
      }
      assertEquals(keys.size(), got.size());
      assertEquals(keys.size(), loadsPerKey.size());
      assertTrue(loadsPerKey.values().stream().allMatch(n -> n == 1), "a key loaded twice");
      List<Long> sizes = cluster.dbSizes();
      for (long size : sizes) {
        assertTrue(size > 4000, "keys per master: " + sizes); // about 16,384 / 3 each
      }
      assertEquals(others + keys.size(), keyspace("keys") - keyspace("expires"));
      assertTrue(keyspace("expires") <= othersExpiring, "no lease left");
      assertEquals(0, a.tierMetrics().directLoads(), "loads without a lease");
      long mgets = cluster.commandStat("mget");
      Map<String, String> again = new HashMap<>();
      for (List<String> part : chunks(keys, 2048)) {
        again.putAll(b.getAll(part, ks -> {
          throw new AssertionError("must not load " + ks.size() + " keys");
        }));
      }
      assertEquals(got, again);
      assertTrue(cluster.commandStat("mget") > mgets, "b read with MGET");
      assertEquals(keys.size(), b.tierMetrics().l2Hits());
      b.clear(); // every master
      assertEquals(others, keyspace("keys") - keyspace("expires"));
    }
  }

  /** A field of INFO keyspace's db0 line ("keys" or "expires"), summed over the nodes. */
  private static long keyspace(String field) {
    long sum = 0;
    for (RedisServer n : cluster.nodes()) {
      for (String line : n.rawCommand("INFO keyspace").split("\r?\n")) {
        if (line.startsWith("db0:")) {
          for (String part : line.substring(4).split(",")) {
            if (part.startsWith(field + "=")) {
              sum += Long.parseLong(part.substring(field.length() + 1).trim());
            }
          }
        }
      }
    }
    return sum;
  }

  private static long total(List<Long> sizes) {
    return sizes.stream().mapToLong(Long::longValue).sum();
  }

  private static List<List<String>> chunks(List<String> keys, int size) {
    List<List<String>> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i += size) {
      out.add(keys.subList(i, Math.min(keys.size(), i + size)));
    }
    return out;
  }

  @Test
  void oneColdKeyPerRoundOnEveryMasterLoadsOnceInTheFleet() throws Exception {
    try (RedisCache<String, String> a = node("herd").build();
        RedisCache<String, String> b = node("herd").build();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      List<RedisCache<String, String>> fleet = List.of(a, b);
      List<String> cold = keysOnEveryMaster("cold-", 4);
      for (String key : cold) {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          RedisCache<String, String> cache = fleet.get(i % 2);
          results.add(
              threads.submit(
                  () -> {
                    start.await();
                    return cache.get(key, () -> {
                      loads.incrementAndGet();
                      Thread.sleep(20);
                      return "value-" + key;
                    });
                  }));
        }
        start.countDown();
        for (Future<String> r : results) {
          assertEquals("value-" + key, r.get());
        }
        assertEquals(1, loads.get(), "loader calls for " + key + " (slot " + SlotHash.getSlot(key) + ")");
      }
    }
  }

  /**
   * {@code perMaster} keys starting with {@code prefix} in each master's slot range (the ranges
   * {@code redis-cli --cluster create} gives three masters), checked against CLUSTER SLOTS.
   */
  private static List<String> keysOnEveryMaster(String prefix, int perMaster) {
    List<String> keys = new ArrayList<>();
    int[] found = new int[3];
    for (int i = 0; keys.size() < 3 * perMaster; i++) {
      String k = prefix + i;
      int third = Math.min(2, SlotHash.getSlot(k) / 5461);
      if (found[third] < perMaster) {
        found[third]++;
        keys.add(k);
      }
    }
    return keys;
  }

  @Test
  void aFlushOfAnyOneMasterDropsL1() {
    List<String> keys = keysOnEveryMaster("f-", 4);
    try (RedisCache<String, String> a = node("flush").build()) {
      for (RedisServer master : cluster.nodes()) {
        // The master that also holds the notification connection reports its flush twice (there
        // and on its flush watch), and the second may come while this round fills: fill again
        // until L1 holds every key.
        Fixtures.await("every key in L1 before the flush of " + master.uri(), Duration.ofSeconds(20),
            () -> {
              for (String k : keys) {
                assertEquals("v", a.get(k, () -> "v"));
              }
              return a.size() == keys.size();
            });
        long flushes = a.tierMetrics().l1Flushes();
        assertEquals("+OK", master.command("FLUSHALL"));
        Fixtures.await("the flush of " + master.uri() + " to drop L1", Duration.ofSeconds(20),
            () -> a.tierMetrics().l1Flushes() > flushes);
        for (String k : keys) {
          assertEquals(null, Fixtures.impl(a).l1().getIfPresent(k), k + " after " + master.uri());
        }
      }
    }
  }

  @Test
  void writesOnEveryMasterReachEveryJvmAndClearEmptiesEveryMaster() {
    List<String> keys = oneKeyPerSlot().subList(0, 16_384).stream()
        .filter(k -> SlotHash.getSlot(k) % 512 == 0).toList(); // 32 keys over all masters
    try (RedisCache<String, String> a = node("inval").build();
        RedisCache<String, String> b = node("inval").build()) {
      for (String k : keys) {
        assertEquals("old", b.get(k, () -> "old"));
      }
      long before = b.tierMetrics().invalidationsReceived();
      for (String k : keys) {
        a.set(k, "new-" + k);
      }
      Fixtures.await("b to receive every invalidation", Duration.ofSeconds(20),
          () -> b.tierMetrics().invalidationsReceived() == before + keys.size());
      for (String k : keys) {
        assertEquals("new-" + k, b.get(k, () -> "must not load"), k);
      }
      a.clear();
      Fixtures.await("b to clear its L1", Duration.ofSeconds(20),
          () -> b.tierMetrics().clearsReceived() == 1);
      assertEquals(0, b.size());
      for (String k : keys) {
        assertEquals(null, b.getIfPresent(k), k); // gone from Redis on every master
      }
    }
  }
}
