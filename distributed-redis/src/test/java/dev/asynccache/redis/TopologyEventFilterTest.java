package dev.asynccache.redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Caches on shared {@code ClientResources} receive every client's topology events: a cache follows
 * only those of its own cluster.
 */
class TopologyEventFilterTest {
  private static RedisClusterNode node(String id) {
    RedisClusterNode n = new RedisClusterNode();
    n.setNodeId(id);
    return n;
  }

  @Test
  void anEventNamingOneOfOurNodesBeforeOrAfterIsOurs() {
    List<RedisClusterNode> ours = List.of(node("a1"), node("a2"), node("a3"));
    assertTrue(RedisTier.ofThisCluster(ours,
        new ClusterTopologyChangedEvent(List.of(node("a1"), node("a2")), List.of(node("a4")))));
    assertTrue(RedisTier.ofThisCluster(ours,
        new ClusterTopologyChangedEvent(List.of(), List.of(node("a3"), node("a5")))));
  }

  @Test
  void anotherClustersEventIsIgnored() {
    List<RedisClusterNode> ours = List.of(node("a1"), node("a2"), node("a3"));
    assertFalse(RedisTier.ofThisCluster(ours,
        new ClusterTopologyChangedEvent(List.of(node("b1"), node("b2")), List.of(node("b1")))));
  }
}
