package dev.asynccache.redis;

import static dev.asynccache.redis.Fixtures.impl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
 * topology (a flush of a promoted replica drops L1), no L1 entry older than a failover survives it,
 * and the notification subscription survives the death of its node. Each test picks its master
 * from what the cluster says now and restarts what it killed, so the order does not matter.
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

  /** What a test starts from: a master, its replica, and 60 keys read into L1 ({@link #filled}). */
  private record Filled(
      String name, RedisServer master, RedisServer replica, List<String> keys,
      List<String> onMaster) {}

  /**
   * Picks a master whose replica does not hold {@code a}'s subscription, and reads 60 keys named
   * {@code prefix}N into {@code a}'s L1 as {@code value}.
   */
  private static Filled filled(RedisCache<String, String> a, String prefix, String value) {
    String name = impl(a).clientName();
    RedisServer master = masterWhoseReplicaLacksOurSubscription(name);
    RedisServer replica = cluster.replicaOf(master);
    List<String> keys = keys(prefix, 60);
    List<String> onMaster = onMaster(keys, master);
    for (String k : keys) {
      assertEquals(value, a.get(k, () -> value));
    }
    return new Filled(name, master, replica, keys, onMaster);
  }

  private static RedisCacheBuilder<String, String> node(String namespace) {
    return cluster.strings(namespace).clusterTopologyRefresh(Duration.ofMillis(200));
  }

  @Test
  void afterAFailoverAFlushOfTheNewMasterDropsTheL1EntriesOfItsSlots() {
    try (RedisCache<String, String> a = node("failover-flush").build()) {
      Filled f = filled(a, "ff-", "v1");
      String name = f.name();
      RedisServer old = f.master();
      RedisServer promoted = f.replica();
      List<String> keys = f.keys();
      List<String> moved = f.onMaster();
      long flushes = a.tierMetrics().l1Flushes();

      assertEquals("+OK", promoted.command("CLUSTER FAILOVER"));
      cluster.awaitMaster(promoted.port(), List.of(), 30);
      Fixtures.await("a flush watch of ours armed on the promoted replica", LIVENESS,
          () -> RedisCluster.flushWatches(promoted, name) == 1);
      Fixtures.await("the change of masters to drop L1", LIVENESS,
          () -> a.tierMetrics().l1Flushes() > flushes);
      Fixtures.await("no flush watch of ours left on the demoted master", LIVENESS,
          () -> RedisCluster.flushWatches(old, name) == 0);

      for (String k : keys) {
        assertEquals("v1", a.get(k, () -> "must not load: Redis has it"), k);
      }
      Fixtures.refillL1(a, moved, "v1", LIVENESS);
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
      Filled f = filled(a, "fs-", "old");
      RedisServer promoted = f.replica();
      List<String> keys = f.keys();
      List<String> moved = f.onMaster();
      long flushes = a.tierMetrics().l1Flushes();

      assertEquals("+OK", promoted.command("CLUSTER FAILOVER"));
      cluster.awaitMaster(promoted.port(), List.of(), 30);
      // Changed in Redis directly (no notification), as a write lost in a failover would be.
      String changed = moved.get(0);
      assertEquals(
          "+OK",
          promoted.binaryCommand(
              Fixtures.bytes("SET"),
              Fixtures.bytes("failover-stale:{" + changed + "}"),
              StoredValue.encode(Fixtures.bytes("changed"), StoredValue.NO_EXPIRY)));
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

  @Test
  void whenAMasterDiesItsPromotedReplicaIsWatchedAndItsFlushDropsL1() {
    try (RedisCache<String, String> a = node("failover-kill").build()) {
      Filled f = filled(a, "fk-", "v1");
      String name = f.name();
      RedisServer dead = f.master();
      RedisServer promoted = f.replica();
      List<String> moved = f.onMaster();
      long flushes = a.tierMetrics().l1Flushes();
      try {
        dead.kill();
        // The dead master's flush watch drops L1 at once (its connection is lost).
        Fixtures.await("the loss of the dead master's flush watch to drop L1", LIVENESS,
            () -> a.tierMetrics().l1Flushes() > flushes);
        cluster.awaitMaster(promoted.port(), List.of(dead), 30);
        Fixtures.await("a flush watch of ours armed on the promoted replica", LIVENESS,
            () -> RedisCluster.flushWatches(promoted, name) == 1);
        Fixtures.refillL1(a, moved, "v1", LIVENESS); // the replica had them
        long before = a.tierMetrics().l1Flushes();
        assertEquals("+OK", promoted.command("FLUSHALL"));
        Fixtures.await("the flush of the promoted replica to drop L1", LIVENESS,
            () -> a.tierMetrics().l1Flushes() > before);
        for (String k : moved) {
          assertNull(impl(a).l1().getIfPresent(k), k + " after the flush of its new master");
        }
      } finally {
        dead.restart(); // it rejoins as a replica of the promoted one
        cluster.awaitHealthy(60);
      }
    }
  }

  @Test
  void whenTheNodeOfOurSubscriptionDiesL1IsDroppedAndInvalidationsFlowAgain() {
    try (RedisCache<String, String> a = node("failover-sub").build();
        RedisCache<String, String> b = node("failover-sub").build()) {
      String name = impl(a).clientName();
      RedisServer host = cluster.nodes().stream()
          .filter(n -> subscriptions(n, name) == 1).findFirst().orElseThrow();
      boolean master = RedisCluster.view(host).stream()
          .anyMatch(v -> v.port() == host.port() && v.master() && v.slots() > 0);
      RedisServer promoted = master ? liveReplicaOf(host) : null;
      List<String> keys = keys("fsub-", 30);
      for (String k : keys) {
        assertEquals("v1", a.get(k, () -> "v1"));
      }
      long flushes = a.tierMetrics().l1Flushes();
      try {
        host.kill();
        Fixtures.await("the loss of our subscription to drop L1", LIVENESS,
            () -> a.tierMetrics().l1Flushes() > flushes);
        if (promoted != null) {
          cluster.awaitMaster(promoted.port(), List.of(host), 30);
          // Both caches followed the failover (their commands reach the promoted replica).
          for (RedisCache<String, String> c : List.of(a, b)) {
            Fixtures.await("a flush watch armed on the promoted replica", LIVENESS,
                () -> RedisCluster.flushWatches(promoted, impl(c).clientName()) == 1);
          }
        }
        Fixtures.await("our subscription back on another node", LIVENESS,
            () -> cluster.nodes().stream()
                .filter(n -> n != host).anyMatch(n -> subscriptions(n, name) == 1));
        String k = keys.get(0);
        Fixtures.await("a to read " + k + " from Redis again", LIVENESS,
            () -> "v1".equals(a.get(k, () -> "v1")) && impl(a).l1().getIfPresent(k) != null);
        long received = a.tierMetrics().invalidationsReceived();
        // b's command connection may still be moving to the new master (a write then fails over
        // to L1 only, in fail-safe mode): write until a is told.
        Fixtures.await("a write in b to reach a", LIVENESS, () -> {
          b.set(k, "v2");
          return a.tierMetrics().invalidationsReceived() > received;
        });
        assertEquals("v2", a.get(k, () -> "must not load: Redis has it"));
      } finally {
        host.restart(); // it rejoins (as a replica if it was failed over)
        cluster.awaitHealthy(60);
      }
    }
  }

  /**
   * A master whose replica does not carry our notification subscription: Lettuce opens that on any
   * node, and its own flush watch (armed on the same connection) would hide a missing one on the
   * promoted replica.
   */
  private static RedisServer masterWhoseReplicaLacksOurSubscription(String name) {
    for (RedisServer n : cluster.nodes()) {
      List<RedisCluster.Node> view = RedisCluster.view(n);
      boolean master =
          view.stream().anyMatch(v -> v.port() == n.port() && v.master() && v.slots() > 0);
      if (master) {
        RedisServer replica = liveReplicaOf(n);
        if (subscriptions(replica, name) == 0) {
          return n;
        }
      }
    }
    throw new IllegalStateException("every master's replica holds our subscription");
  }

  /**
   * {@code master}'s live replica, once {@code master} sees one (a replica restarted by an earlier
   * test may take a moment to be seen as live and linked).
   */
  private static RedisServer liveReplicaOf(RedisServer master) {
    RedisServer[] found = new RedisServer[1];
    Fixtures.await("a live replica of " + master.uri(), LIVENESS, () -> {
      try {
        found[0] = cluster.replicaOf(master);
        return true;
      } catch (IllegalStateException none) {
        return false;
      }
    });
    return found[0];
  }

  private static int subscriptions(RedisServer node, String name) {
    return (int) RedisCluster.clientFlags(node, name).stream().filter(f -> f.contains("P")).count();
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
