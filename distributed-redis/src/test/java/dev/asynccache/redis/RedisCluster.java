package dev.asynccache.redis;

import dev.asynccache.persistence.Codecs;
import dev.asynccache.redis.testing.RedisServer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real 3-master Redis Cluster for one test class: three {@code redis-server} processes in
 * Cluster mode on free loopback ports (and optionally replicas of each), joined with {@code
 * redis-cli --cluster create}, ready when every node reports {@code cluster_state:ok}, knows every
 * node, and every replica's link to its master is up. A missing binary fails with how to install
 * it.
 */
final class RedisCluster implements AutoCloseable {
  private static final List<String> CLUSTER_MODE =
      List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
          "--cluster-node-timeout", "2000");

  /** Every node, in start order; grows with {@link #addMaster}. */
  private final List<RedisServer> nodes;
  /** How many masters serve slots when the cluster is healthy: 3, plus those added. */
  private int masters = 3;

  private RedisCluster(List<RedisServer> nodes) {
    this.nodes = new ArrayList<>(nodes);
  }

  /** Three masters, no replicas. */
  static RedisCluster start() {
    return start(0);
  }

  /** Three masters with {@code replicasPerMaster} replicas each. */
  static RedisCluster start(int replicasPerMaster) {
    List<RedisServer> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3 * (1 + replicasPerMaster); i++) {
        nodes.add(RedisServer.start(CLUSTER_MODE));
      }
      List<String> args = new ArrayList<>(List.of("--cluster", "create"));
      for (RedisServer n : nodes) {
        args.add("127.0.0.1:" + n.port());
      }
      args.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
      cli(args);
      RedisCluster cluster = new RedisCluster(List.copyOf(nodes));
      cluster.awaitHealthy(30);
      return cluster;
    } catch (RuntimeException e) {
      nodes.forEach(RedisServer::close);
      throw e;
    }
  }

  /**
   * Waits until every node reports {@code cluster_state:ok}, knows every node, and every replica's
   * link to its master is up (after the start, or after a killed node was restarted).
   */
  void awaitHealthy(long timeoutSeconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (!ready()) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "the cluster did not become healthy (cluster_state:ok, replicas linked) in "
                + timeoutSeconds + " s");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private boolean ready() {
    for (RedisServer n : nodes) {
      String info = n.rawCommand("CLUSTER INFO");
      if (!info.contains("cluster_state:ok")
          || !info.contains("cluster_known_nodes:" + nodes.size() + "\r")) {
        return false;
      }
      String replication = n.rawCommand("INFO replication");
      if (replication.contains("role:slave") && !replication.contains("master_link_status:up")) {
        return false;
      }
      // Every node agrees: no node flagged failing, and the replicas are replicas again (a
      // restarted master rejoins as one).
      List<Node> view = view(n);
      long masters = view.stream().filter(v -> v.master() && v.slots() > 0).count();
      long replicas = view.stream().filter(v -> !v.master()).count();
      if (view.stream().anyMatch(Node::failed)
          || masters != this.masters
          || replicas != nodes.size() - this.masters) {
        return false;
      }
    }
    return true;
  }

  /** One line of {@code CLUSTER NODES} as {@code node} sees it. */
  record Node(String id, int port, boolean master, boolean failed, String masterId, int slots) {}

  /** The cluster as {@code at} sees it ({@code CLUSTER NODES}). */
  static List<Node> view(RedisServer at) {
    List<Node> out = new ArrayList<>();
    for (String line : at.rawCommand("CLUSTER NODES").split("\r?\n")) {
      String[] f = line.trim().split(" ");
      if (f.length < 8) {
        continue;
      }
      String address = f[1].substring(0, f[1].indexOf('@'));
      int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      int slots = 0;
      for (int i = 8; i < f.length; i++) {
        if (f[i].startsWith("[")) {
          continue; // a slot being migrated
        }
        int dash = f[i].indexOf('-');
        slots += dash < 0 ? 1
            : Integer.parseInt(f[i].substring(dash + 1)) - Integer.parseInt(f[i].substring(0, dash)) + 1;
      }
      List<String> flags = List.of(f[2].split(","));
      boolean failed = flags.contains("fail") || flags.contains("fail?");
      out.add(new Node(f[0], port, flags.contains("master"), failed, f[3], slots));
    }
    return out;
  }

  /** The node on {@code port}. */
  RedisServer node(int port) {
    for (RedisServer n : nodes) {
      if (n.port() == port) {
        return n;
      }
    }
    throw new IllegalArgumentException("no node on port " + port);
  }

  /** The master serving {@code slot}, as {@code at} sees it. */
  RedisServer masterOfSlot(RedisServer at, int slot) {
    String slots = at.rawCommand("CLUSTER NODES");
    for (String line : slots.split("\r?\n")) {
      String[] f = line.trim().split(" ");
      if (f.length < 9 || !f[2].contains("master")) {
        continue;
      }
      for (int i = 8; i < f.length; i++) {
        if (f[i].startsWith("[")) {
          continue;
        }
        int dash = f[i].indexOf('-');
        int from = Integer.parseInt(dash < 0 ? f[i] : f[i].substring(0, dash));
        int to = dash < 0 ? from : Integer.parseInt(f[i].substring(dash + 1));
        if (slot >= from && slot <= to) {
          String address = f[1].substring(0, f[1].indexOf('@'));
          return node(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
        }
      }
    }
    throw new IllegalStateException("no master serves slot " + slot);
  }

  /** A replica of {@code master} that is not failed, as {@code master} sees it. */
  RedisServer replicaOf(RedisServer master) {
    List<Node> view = view(master);
    String id = view.stream().filter(n -> n.port() == master.port()).findFirst().orElseThrow().id();
    for (Node n : view) {
      if (!n.master() && !n.failed() && n.masterId().equals(id)) {
        return node(n.port());
      }
    }
    throw new IllegalStateException(
        "no live replica of " + master.uri() + "; CLUSTER NODES there:\n"
            + master.rawCommand("CLUSTER NODES"));
  }

  /**
   * Waits until every live node (all but {@code except}) sees {@code port} as a master serving
   * slots and the cluster is ok again: the end of a failover.
   */
  void awaitMaster(int port, List<RedisServer> except, long timeoutSeconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (true) {
      boolean done = true;
      for (RedisServer n : nodes) {
        if (except.contains(n)) {
          continue;
        }
        boolean seen = view(n).stream().anyMatch(v -> v.port() == port && v.master() && v.slots() > 0);
        if (!seen || !n.rawCommand("CLUSTER INFO").contains("cluster_state:ok")) {
          done = false;
          break;
        }
      }
      if (done) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("port " + port + " did not become a master in " + timeoutSeconds + " s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * Starts a new node, joins it to the cluster as a master ({@code redis-cli --cluster add-node}),
   * and moves {@code slots} slots with their keys to it from the master {@code from} ({@code
   * redis-cli --cluster reshard}); returns once the cluster is healthy again with one more master.
   */
  RedisServer addMaster(RedisServer from, int slots) {
    RedisServer added = RedisServer.start(CLUSTER_MODE);
    nodes.add(added);
    masters++;
    String seed = "127.0.0.1:" + nodes.get(0).port();
    cli(List.of("--cluster", "add-node", "127.0.0.1:" + added.port(), seed));
    // Every node must know the new one by its id (not a handshake id), and the new one must see the
    // cluster up, before slots can move to it (else ERR Unknown node, or CLUSTERDOWN).
    String id = idOf(added);
    Fixtures.await("the new node on " + added.port() + " to join", Duration.ofSeconds(30),
        () -> nodes.stream().allMatch(n -> knows(n, id))
            && view(added).size() == nodes.size()
            && added.rawCommand("CLUSTER INFO").contains("cluster_state:ok"));
    cli(List.of("--cluster", "reshard", seed,
        "--cluster-from", idOf(from), "--cluster-to", id,
        "--cluster-slots", Integer.toString(slots), "--cluster-yes"));
    awaitHealthy(60);
    return added;
  }

  /** Whether {@code at} knows the node {@code id} and has finished its handshake with it. */
  private static boolean knows(RedisServer at, String id) {
    for (String line : at.rawCommand("CLUSTER NODES").split("\r?\n")) {
      if (line.startsWith(id + " ")) {
        return !line.contains("handshake") && !line.contains("noaddr");
      }
    }
    return false;
  }

  /** {@code node}'s cluster id. */
  static String idOf(RedisServer node) {
    return node.rawCommand("CLUSTER MYID").trim();
  }

  /** Runs {@code redis-cli} with {@code args}; fails with its output unless it exits 0 within 60 s. */
  private static void cli(List<String> args) {
    String cli =
        RedisServer.findTool("redis-cli", RedisServer.INSTALL_HINT.replace("redis-server is", "redis-cli is"));
    List<String> cmd = new ArrayList<>();
    cmd.add(cli);
    cmd.addAll(args);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * A string cache on this cluster in {@code namespace}; tests that go through topology changes add
   * a short {@code clusterTopologyRefresh}.
   */
  RedisCacheBuilder<String, String> strings(String namespace) {
    return RedisCache.builder(Codecs.string(), Codecs.string())
        .redisUri(uri())
        .cluster(true)
        .namespace(namespace)
        .redisTimeout(Duration.ofSeconds(5));
  }

  /** The {@code flags} of every connection named {@code clientName} on {@code node}. */
  static List<String> clientFlags(RedisServer node, String clientName) {
    List<String> out = new ArrayList<>();
    for (String line : node.rawCommand("CLIENT LIST").split("\n")) {
      if (!(" " + line.trim() + " ").contains(" name=" + clientName + " ")) {
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

  /** A cache's connections on {@code node} with tracking on and no subscription: its flush watches. */
  static int flushWatches(RedisServer node, String clientName) {
    int n = 0;
    for (String flags : clientFlags(node, clientName)) {
      if (flags.contains("t") && !flags.contains("P")) {
        n++;
      }
    }
    return n;
  }

  /** A seed node's URI (the client discovers the others). */
  String uri() {
    return nodes.get(0).uri();
  }

  /** Every node, masters and replicas (their roles change with failovers: see {@link #view}). */
  List<RedisServer> nodes() {
    return List.copyOf(nodes);
  }

  /** The calls of {@code command} summed over the nodes. */
  long commandStat(String command) {
    long sum = 0;
    for (RedisServer n : nodes) {
      sum += n.commandStat(command);
    }
    return sum;
  }

  /** How many keys each node holds ({@code DBSIZE}). */
  List<Long> dbSizes() {
    List<Long> sizes = new ArrayList<>();
    for (RedisServer n : nodes) {
      sizes.add(Long.parseLong(n.command("DBSIZE").substring(1)));
    }
    return sizes;
  }

  @Override
  public void close() {
    nodes.forEach(RedisServer::close);
  }
}
