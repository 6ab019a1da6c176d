package dev.asynccache.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Cluster: the flush watch on every master that serves slots, following the topology. A {@code
 * FLUSHALL} on one master reaches only that node's tracking clients, so each master gets a small
 * connection of its own with broadcast tracking of a prefix no key has (Redis then pushes a null-key
 * invalidation on every flush). {@link #follow} is called with each new topology: a master not
 * watched yet gets a connection, a node that no longer serves slots as a master loses its one, and
 * once the new watches are armed the cache is told that invalidations may have been lost (a
 * failover may lose writes and their notifications, and a flush of the new master before its watch
 * was armed would go unseen otherwise).
 *
 * <p>Also drops L1 when a watch connection drops, and again once it is back and re-armed. Thread
 * safety: all methods may be called from any thread (the topology arrives on a Lettuce thread);
 * they never block except {@link #start}.
 */
final class MasterFlushWatch implements AutoCloseable {
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final RedisClient client;
  private final ClientResources resources;
  private final RedisURI seed;
  private final String prefix;
  private final RedisTier.Events events;
  /** Watched masters by "host:port". Guarded by {@code this}. */
  private final Map<String, Watch> watches = new HashMap<>();
  /** The masters of the latest topology, by "host:port", with their node ids. Guarded by this. */
  private Map<String, String> wanted = Map.of();
  /** The sequence number of the latest topology followed. Guarded by {@code this}. */
  private long followed = Long.MIN_VALUE;
  private boolean retryScheduled;
  private boolean closed;

  /**
   * One master's watch: the node id it had when watched, its connection, and whether we closed it
   * on purpose (then its disconnection says nothing about lost flushes).
   */
  private record Watch(
      String nodeId, StatefulRedisConnection<byte[], byte[]> connection, AtomicBoolean retired) {
    void retire() {
      retired.set(true);
      connection.closeAsync();
    }
  }

  MasterFlushWatch(
      ClientResources resources,
      SocketOptions socket,
      RedisURI seed,
      String prefix,
      RedisTier.Events events) {
    this.resources = resources;
    this.seed = seed;
    this.prefix = prefix;
    this.events = events;
    this.client = RedisClient.create(resources);
    client.setOptions(ClientOptions.builder().autoReconnect(true).socketOptions(socket).build());
  }

  /**
   * Watches the masters of {@code nodes} and waits until every watch is armed.
   *
   * @throws ExecutionException if a master's watch cannot be opened or armed
   */
  void start(Iterable<RedisClusterNode> nodes, Duration connect)
      throws InterruptedException, ExecutionException, TimeoutException {
    List<CompletableFuture<Boolean>> armed;
    synchronized (this) {
      wanted = masters(nodes);
      armed = reconcile();
    }
    for (CompletableFuture<Boolean> a : armed) {
      if (!a.get(connect.toMillis(), TimeUnit.MILLISECONDS)) {
        IllegalStateException cause =
            new IllegalStateException("cannot watch the flushes of every Cluster master");
        throw new ExecutionException(cause.getMessage(), cause);
      }
    }
  }

  /**
   * Follows a new topology: watches its masters, stops watching the others, then (if anything
   * changed) drops L1 once the new watches are armed (or failed to arm: they are retried). A
   * topology older than one followed already ({@code sequence} not above its) is ignored.
   */
  void follow(long sequence, Iterable<RedisClusterNode> nodes) {
    Map<String, String> masters = masters(nodes);
    List<CompletableFuture<Boolean>> armed;
    String why;
    synchronized (this) {
      if (closed || sequence <= followed) {
        return;
      }
      followed = sequence;
      if (masters.equals(wanted)) {
        return;
      }
      why = "Cluster masters changed from " + wanted.keySet() + " to " + masters.keySet();
      wanted = masters;
      armed = reconcile();
    }
    CompletableFuture.allOf(armed.toArray(new CompletableFuture<?>[0]))
        .whenComplete((ok, failed) -> events.lost(why));
  }

  /** The nodes that serve slots as masters, by "host:port", with their ids. */
  private static Map<String, String> masters(Iterable<RedisClusterNode> nodes) {
    Map<String, String> out = new LinkedHashMap<>();
    for (RedisClusterNode n : nodes) {
      if (n.is(RedisClusterNode.NodeFlag.UPSTREAM) && !n.hasNoSlots() && n.getUri() != null) {
        out.put(address(n.getUri()), n.getNodeId());
      }
    }
    return out;
  }

  private static String address(RedisURI uri) {
    return uri.getHost() + ":" + uri.getPort();
  }

  /**
   * Opens the watches {@link #wanted} lacks, closes those it no longer names (or that name a node
   * id that changed). Returns the arming of the new ones, each completing with whether it is armed
   * (never exceptionally); a failed one is forgotten and retried.
   */
  private List<CompletableFuture<Boolean>> reconcile() {
    List<CompletableFuture<Boolean>> armed = new ArrayList<>();
    for (var it = watches.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Watch> e = it.next();
      String id = wanted.get(e.getKey());
      if (id == null || !id.equals(e.getValue().nodeId())) {
        it.remove();
        e.getValue().retire();
      }
    }
    for (Map.Entry<String, String> m : wanted.entrySet()) {
      if (!watches.containsKey(m.getKey())) {
        armed.add(open(m.getKey(), m.getValue()));
      }
    }
    return armed;
  }

  private CompletableFuture<Boolean> open(String where, String nodeId) {
    int colon = where.lastIndexOf(':');
    RedisURI uri =
        RedisURI.builder(seed)
            .withHost(where.substring(0, colon))
            .withPort(Integer.parseInt(where.substring(colon + 1)))
            .build();
    CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connected =
        client.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture();
    return connected
        .thenCompose(
            w -> {
              synchronized (this) {
                if (closed || !nodeId.equals(wanted.get(where)) || watches.containsKey(where)) {
                  w.closeAsync(); // no longer wanted meanwhile
                  return CompletableFuture.completedFuture(false);
                }
                AtomicBoolean retired = new AtomicBoolean();
                watches.put(where, new Watch(nodeId, w, retired));
                listen(w, where, retired);
              }
              return arm(w).thenApply(ok -> true);
            })
        .handle(
            (ok, failed) -> {
              if (failed != null) {
                forget(where, connected);
                return false;
              }
              return ok;
            });
  }

  private void listen(
      StatefulRedisConnection<byte[], byte[]> w, String where, AtomicBoolean retired) {
    w.addListener(
        (PushListener)
            push -> {
              if ("invalidate".equals(push.getType())) {
                events.lost("Redis node " + where + " was flushed (FLUSHALL / FLUSHDB)");
              }
            });
    AtomicBoolean connectedBefore = new AtomicBoolean(true);
    w.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
            if (retired.get()) {
              return; // closed by us: that node is no longer a master
            }
            connectedBefore.set(false);
            events.lost("flush watch on " + where + " lost");
          }

          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
            if (!connectedBefore.getAndSet(true) && !retired.get()) {
              arm(w).whenComplete((ok, failed) -> events.lost("flush watch on " + where + " back"));
            }
          }
        });
  }

  /** Turns on broadcast tracking of a prefix no key has: Redis then tells us of every flush. */
  private CompletableFuture<String> arm(StatefulRedisConnection<byte[], byte[]> w) {
    return w.async()
        .clientTracking(TrackingArgs.Builder.enabled().bcast().prefixes(prefix))
        .toCompletableFuture();
  }

  /** A watch that could not be opened or armed: closed, and the topology reconciled later. */
  private void forget(
      String where, CompletableFuture<StatefulRedisConnection<byte[], byte[]>> connected) {
    StatefulRedisConnection<byte[], byte[]> w = connected.getNow(null);
    synchronized (this) {
      if (w != null) {
        Watch current = watches.get(where);
        if (current != null && current.connection() == w) {
          watches.remove(where);
          current.retire();
        } else {
          w.closeAsync();
        }
      }
      if (closed || retryScheduled) {
        return;
      }
      retryScheduled = true;
    }
    resources
        .eventExecutorGroup()
        .schedule(this::retry, RETRY.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void retry() {
    List<CompletableFuture<Boolean>> armed;
    synchronized (this) {
      retryScheduled = false;
      if (closed) {
        return;
      }
      armed = reconcile();
    }
    // A flush of that master may have gone unseen until now; a failed attempt is retried again.
    for (CompletableFuture<Boolean> a : armed) {
      a.thenAccept(
          ok -> {
            if (ok) {
              events.lost("flush watch on a new master armed late");
            }
          });
    }
  }

  @Override
  public void close() {
    List<Watch> open;
    synchronized (this) {
      closed = true;
      open = new ArrayList<>(watches.values());
      watches.clear();
    }
    for (Watch w : open) {
      w.retired().set(true);
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2)); // closes the connections
  }
}
