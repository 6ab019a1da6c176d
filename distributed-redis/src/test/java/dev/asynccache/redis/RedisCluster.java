package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real 3-master Redis Cluster for one test class: three {@code redis-server} processes in
 * Cluster mode on free loopback ports, joined with {@code redis-cli --cluster create}, ready when
 * every node reports {@code cluster_state:ok}. A missing binary fails with how to install it.
 */
final class RedisCluster implements AutoCloseable {
  private final List<RedisServer> nodes;

  private RedisCluster(List<RedisServer> nodes) {
    this.nodes = nodes;
  }

  static RedisCluster start() {
    String cli =
        RedisServer.findTool("redis-cli", RedisServer.INSTALL_HINT.replace("redis-server is", "redis-cli is"));
    List<RedisServer> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        nodes.add(
            RedisServer.start(
                List.of(
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", "2000")));
      }
      List<String> cmd = new ArrayList<>(List.of(cli, "--cluster", "create"));
      for (RedisServer n : nodes) {
        cmd.add("127.0.0.1:" + n.port());
      }
      cmd.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("redis-cli --cluster create failed: " + out);
      }
      RedisCluster cluster = new RedisCluster(List.copyOf(nodes));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!cluster.ready()) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("the cluster did not reach cluster_state:ok in 30 s");
        }
        Thread.sleep(50);
      }
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      nodes.forEach(RedisServer::close);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
  }

  private boolean ready() {
    for (RedisServer n : nodes) {
      if (!n.rawCommand("CLUSTER INFO").contains("cluster_state:ok")) {
        return false;
      }
    }
    return true;
  }

  /** A seed node's URI (the client discovers the others). */
  String uri() {
    return nodes.get(0).uri();
  }

  List<RedisServer> nodes() {
    return nodes;
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
