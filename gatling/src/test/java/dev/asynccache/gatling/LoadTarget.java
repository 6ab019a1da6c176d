package dev.asynccache.gatling;

import dev.asynccache.redis.testing.RedisServer;
import dev.asynccache.server.CacheServer;
import dev.asynccache.server.ServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The servers a simulation drives: one it starts in this JVM on a free loopback port (or {@code
 * -Dservers} of them sharing one Redis, {@code -Dredis}), or the ones at {@code -Durl} (loopback
 * addresses only). Also reads the servers' {@code /stats}.
 */
final class LoadTarget implements AutoCloseable {
  /** Helidon logs through java.util.logging: keep its start/stop lines out of Gatling's console. */
  private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");

  static {
    HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final List<URI> bases;
  private final List<CacheServer> ownServers;
  private final @Nullable RedisServer ownRedis;
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private LoadTarget(List<URI> bases, List<CacheServer> ownServers, @Nullable RedisServer ownRedis) {
    this.bases = List.copyOf(bases);
    this.ownServers = List.copyOf(ownServers);
    this.ownRedis = ownRedis;
  }

  /** Starts the servers in-process, or checks and uses {@code url}. */
  static LoadTarget open(LoadParameters p) {
    if (p.url().isEmpty()) {
      RedisServer redis = p.redis().equals("start") ? RedisServer.start() : null;
      String redisUri = redis != null ? redis.uri() : p.redis();
      List<CacheServer> servers = new ArrayList<>();
      List<URI> bases = new ArrayList<>();
      try {
        for (int i = 0; i < p.servers(); i++) {
          var config = ServerConfig.builder().port(0).maxSize(Math.max(100_000, p.keys() * 2L));
          if (!redisUri.isEmpty()) {
            config.redis(new ServerConfig.Redis(redisUri, false, ServerConfig.Redis.DEFAULT_NAMESPACE));
          }
          CacheServer server = CacheServer.start(config.build());
          servers.add(server);
          bases.add(server.uri());
        }
      } catch (RuntimeException e) {
        servers.forEach(CacheServer::stop);
        if (redis != null) {
          redis.close();
        }
        throw e;
      }
      return new LoadTarget(bases, servers, redis);
    }
    List<URI> bases = new ArrayList<>();
    for (String url : p.url().get().split(",")) {
      bases.add(checked(url.strip()));
    }
    return new LoadTarget(bases, List.of(), null);
  }

  private static URI checked(String url) {
    URI uri = URI.create(url.replaceAll("/+$", ""));
    if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("-Durl must be http://host:port, was " + url);
    }
    try {
      for (InetAddress a : InetAddress.getAllByName(uri.getHost())) {
        if (!a.isLoopbackAddress()) {
          throw new IllegalArgumentException(
              "-Durl=" + uri + " resolves to " + a.getHostAddress()
                  + ", which is not a loopback address: these scenarios only drive a local server");
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("-Durl host cannot be resolved: " + uri.getHost(), e);
    }
    return uri;
  }

  /** The first server's base URL. */
  String url() {
    return bases.get(0).toString();
  }

  /** Every server's base URL. */
  List<String> urls() {
    return bases.stream().map(URI::toString).toList();
  }

  boolean inProcess() {
    return !ownServers.isEmpty();
  }

  /** What the run drove, for the results file. */
  String description() {
    String servers = bases.size() == 1 ? "one server" : bases.size() + " servers";
    String shared = ownRedis != null || (inProcess() && ownServers.get(0).config().redis().isPresent())
        ? " sharing one Redis" : "";
    return inProcess() ? "in-process " + servers + shared + " (same JVM as Gatling)" : String.join(", ", urls());
  }

  /**
   * The servers' lookup counters summed: {hits, misses}. A server sharing a Redis counts a GET
   * answered from its own memory or from Redis as a hit, and one that Redis lacked as a miss
   * (its {@code redis} object); another uses the top-level counters.
   */
  double[] hitsAndMisses() {
    double hits = 0;
    double misses = 0;
    for (URI base : bases) {
      String stats = body(base, "/stats");
      int tier = stats.indexOf("\"redis\":{");
      if (tier >= 0) {
        String redis = stats.substring(tier);
        hits += stat(redis, "l1_hits") + stat(redis, "l2_hits");
        misses += stat(redis, "misses");
      } else {
        hits += stat(stats, "hits");
        misses += stat(stats, "misses");
      }
    }
    return new double[] {hits, misses};
  }

  /** Stores {@code value} under the keys {@code prefix0} to {@code prefix(n-1)}. */
  void preload(String prefix, int n, byte[] value) {
    for (int i = 0; i < n; i++) {
      int status = send("PUT", "/cache/" + prefix + i, value);
      if (status != 204) {
        throw new IllegalStateException("preloading " + prefix + i + " got HTTP " + status);
      }
    }
  }

  /** Reads a number out of a {@code /stats} body. */
  static double stat(String json, String field) {
    Matcher m = Pattern.compile("\"" + field + "\":([0-9.]+)").matcher(json);
    if (!m.find()) {
      throw new IllegalStateException("no " + field + " in /stats: " + json);
    }
    return Double.parseDouble(m.group(1));
  }

  String statsBody() {
    return body(bases.get(0), "/stats");
  }

  private String body(URI base, String path) {
    try {
      var r = client.send(HttpRequest.newBuilder(base.resolve(path)).GET().build(), BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("GET " + path + " got HTTP " + r.statusCode());
      }
      return r.body();
    } catch (IOException e) {
      throw new IllegalStateException("GET " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private int send(String method, String path, byte @Nullable [] body) {
    try {
      HttpRequest.BodyPublisher publisher =
          body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body);
      return client
          .send(HttpRequest.newBuilder(bases.get(0).resolve(path)).method(method, publisher).build(), BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Stops the in-process servers and Redis, if this target started them. */
  @Override
  public void close() {
    client.close();
    ownServers.forEach(CacheServer::stop);
    if (ownRedis != null) {
      ownRedis.close();
    }
  }
}
