package dev.asynccache.redis;

import static dev.asynccache.redis.Fixtures.impl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * Resharding on a real Redis Cluster: a fourth master joins ({@code redis-cli --cluster add-node})
 * and takes slots with their keys from a running master ({@code redis-cli --cluster reshard})
 * while two caches hold those keys in L1. The flush watch follows the new topology (a flush of the
 * new master drops the L1 entries of its slots), the moved keys are still read from Redis without
 * a load, and a write in one cache to a moved key still reaches the other.
 */
@Timeout(180)
class ClusterReshardTest {
  /** Liveness only: a topology refresh takes 200 ms here, a reshard of 2,000 slots a few seconds. */
  private static final Duration LIVENESS = Duration.ofSeconds(30);

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
    return cluster.strings(namespace).clusterTopologyRefresh(Duration.ofMillis(200));
  }

  @Test
  void aMasterAddedByReshardingIsWatchedAndItsKeysStayConsistent() {
    try (RedisCache<String, String> a = node("reshard").build();
        RedisCache<String, String> b = node("reshard").build()) {
      String name = impl(a).clientName();
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        keys.add("rs-" + i);
      }
      for (String k : keys) {
        assertEquals("v1", a.get(k, () -> "v1"), k);
        assertEquals("v1", b.get(k, () -> "must not load: Redis has it"), k);
      }
      RedisServer from = cluster.masterOfSlot(cluster.nodes().get(0), slotOf("rs-0"));
      long flushes = a.tierMetrics().l1Flushes();

      RedisServer added = cluster.addMaster(from, 2000);

      List<String> moved = new ArrayList<>();
      for (String k : keys) {
        if (cluster.masterOfSlot(added, slotOf(k)).port() == added.port()) {
          moved.add(k);
        }
      }
      assertFalse(moved.isEmpty(), "no key of the 200 moved to the new master");
      Fixtures.await("a flush watch of ours armed on the new master", LIVENESS,
          () -> RedisCluster.flushWatches(added, name) == 1);
      Fixtures.await("the new topology to drop L1 once", LIVENESS,
          () -> a.tierMetrics().l1Flushes() > flushes);

      // The moved keys are where Redis says: read again without a load.
      Fixtures.refillL1(a, moved, "v1", LIVENESS);

      // A write in b to a moved key reaches a.
      String k = moved.get(0);
      long received = a.tierMetrics().invalidationsReceived();
      b.set(k, "v2");
      Fixtures.await("b's write of a moved key to reach a", LIVENESS,
          () -> a.tierMetrics().invalidationsReceived() > received);
      assertEquals("v2", a.get(k, () -> "must not load: Redis has it"));

      // A flush of the new master drops a's L1 entries of its slots.
      Fixtures.refillL1(a, moved.subList(1, moved.size()), "v1", LIVENESS);
      long before = a.tierMetrics().l1Flushes();
      assertEquals("+OK", added.command("FLUSHALL"));
      Fixtures.await("the flush of the new master to drop L1", LIVENESS,
          () -> a.tierMetrics().l1Flushes() > before);
      for (String m : moved) {
        assertNull(impl(a).l1().getIfPresent(m), m + " after the flush of its new master");
        assertEquals("v3", a.get(m, () -> "v3"), m + ": Redis lost it, loaded again");
      }
    }
  }

  private static int slotOf(String key) {
    return SlotHash.getSlot("reshard:{" + key + "}");
  }

}
