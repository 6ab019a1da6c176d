package dev.asynccache.redis;

import static dev.asynccache.redis.Fixtures.impl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.asynccache.persistence.Codecs;
import dev.asynccache.redis.testing.RedisServer;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Failovers on a real Redis Cluster of 3 masters with one replica each: the flush watch follows the
 * topology (a flush of a promoted replica drops L1) and no L1 entry older than a failover survives
 * it. Each test fails over a different master (chosen by what the cluster says now), so the order
 * of the tests does not matter.
 */
@Timeout(120)
class ClusterFailoverTest {
  /** Liveness only: a failover takes a few seconds, a topology refresh 200 ms here. */
  private static final Duration LIVENESS = Duration.ofSeconds(30);

  private static RedisCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = RedisCluster.start(1);
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static RedisCacheBuilder<String, String> node(String namespace) {
    return RedisCache.builder(Codecs.string(), Codecs.string())
        .redisUri(cluster.uri())
        .cluster(true)
        .clusterTopologyRefresh(Duration.ofMillis(200))
        .namespace(namespace)
        .redisTimeout(Duration.ofSeconds(5));
  }

  @Test
  void afterAFailoverAFlushOfTheNewMasterDropsTheL1EntriesOfItsSlots() {
    try (RedisCache<String, String> a = node("failover-flush").build()) {
      String name = impl(a).clientName();
      RedisServer old = masterWithoutOurSubscription(name);
      RedisServer promoted = cluster.replicaOf(old);
      List<String> keys = keys("ff-", 60);
      List<String> moved = onMaster(keys, old);
      for (String k : keys) {
        assertEquals("v1", a.get(k, () -> "v1"));
      }
      long flushes = a.tierMetrics().l1Flushes();

      assertEquals("+OK", promoted.command("CLUSTER FAILOVER"));
      cluster.awaitMaster(promoted.port(), List.of(), 30);
      Fixtures.await("a flush watch of ours armed on the promoted replica", LIVENESS,
          () -> flushWatches(promoted, name) == 1);
      Fixtures.await("the change of masters to drop L1", LIVENESS,
          () -> a.tierMetrics().l1Flushes() > flushes);
      Fixtures.await("no flush watch of ours left on the demoted master", LIVENESS,
          () -> flushWatches(old, name) == 0);

      for (String k : keys) {
        assertEquals("v1", a.get(k, () -> "must not load: Redis has it"), k);
      }
      for (String k : moved) {
        assertNotNull(impl(a).l1().getIfPresent(k), k + " in L1 before the flush");
      }
      long before = a.tierMetrics().l1Flushes();
      assertEquals("+OK", promoted.command("FLUSHALL"));
      Fixtures.await("the flush of the promoted replica to drop L1", LIVENESS,
          () -> a.tierMetrics().l1Flushes() > before);
      for (String k : moved) {
        assertNull(impl(a).l1().getIfPresent(k), k + " after the flush of its new master");
        assertEquals("v2", a.get(k, () -> "v2"), k + ": Redis lost it, loaded again");
      }
    }
  }

  @Test
  void noL1EntryOlderThanAFailoverSurvivesIt() {
    try (RedisCache<String, String> a = node("failover-stale").build()) {
      String name = impl(a).clientName();
      RedisServer old = masterWithoutOurSubscription(name);
      RedisServer promoted = cluster.replicaOf(old);
      List<String> keys = keys("fs-", 60);
      List<String> moved = onMaster(keys, old);
      for (String k : keys) {
        assertEquals("old", a.get(k, () -> "old"));
      }
      long flushes = a.tierMetrics().l1Flushes();

      assertEquals("+OK", promoted.command("CLUSTER FAILOVER"));
      cluster.awaitMaster(promoted.port(), List.of(), 30);
      // Changed in Redis directly (no notification), as a write lost in a failover would be.
      String changed = moved.get(0);
      assertEquals("+OK", promoted.command("SET failover-stale:{" + changed + "} changed"));
      Fixtures.await("the change of masters to drop L1", LIVENESS,
          () -> a.tierMetrics().l1Flushes() > flushes);

      assertEquals("changed", a.get(changed, () -> "must not load: Redis has it"),
          () -> a.tierMetrics().toString());
      for (String k : keys) {
        if (!k.equals(changed)) {
          assertEquals("old", a.get(k, () -> "must not load: Redis has it"), k);
        }
      }
    }
  }

  /**
   * A master whose replica does not carry our notification subscription: Lettuce may open that on
   * any node, and its own flush watch would then hide a missing one.
   */
  private static RedisServer masterWithoutOurSubscription(String name) {
    for (RedisServer n : cluster.nodes()) {
      List<RedisCluster.Node> view = RedisCluster.view(n);
      boolean master =
          view.stream().anyMatch(v -> v.port() == n.port() && v.master() && v.slots() > 0);
      if (master && subscriptions(cluster.replicaOf(n), name) == 0) {
        return n;
      }
    }
    throw new IllegalStateException("every master's replica holds our subscription");
  }

  /** Our connections on {@code node} with tracking on and no subscription: the flush watches. */
  private static int flushWatches(RedisServer node, String name) {
    int n = 0;
    for (String flags : clientFlags(node, name)) {
      if (flags.contains("t") && !flags.contains("P")) {
        n++;
      }
    }
    return n;
  }

  private static int subscriptions(RedisServer node, String name) {
    return (int) clientFlags(node, name).stream().filter(f -> f.contains("P")).count();
  }

  /** The {@code flags} of every connection named {@code name} on {@code node}. */
  private static List<String> clientFlags(RedisServer node, String name) {
    List<String> out = new ArrayList<>();
    for (String line : node.rawCommand("CLIENT LIST").split("\n")) {
      if (!(" " + line.trim() + " ").contains(" name=" + name + " ")) {
        continue;
      }
      for (String field : line.trim().split(" ")) {
        if (field.startsWith("flags=")) {
          out.add(field.substring(6));
        }
      }
    }
    return out;
  }

  private static List<String> keys(String prefix, int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(prefix + i);
    }
    return keys;
  }

  /** The keys whose slots {@code master} serves now (at least one, else the test is void). */
  private static List<String> onMaster(List<String> keys, RedisServer master) {
    List<String> out = new ArrayList<>();
    for (String k : keys) {
      if (cluster.masterOfSlot(master, SlotHash.getSlot(k)) == master) {
        out.add(k);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("no key of " + keys + " on " + master.uri());
    }
    return out;
  }
}
