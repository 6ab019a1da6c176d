package dev.asynccache.gatling;

import dev.asynccache.server.CacheServer;
import dev.asynccache.server.ServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The server a simulation drives: one it starts in this JVM on a free loopback port, or the one
 * at {@code -Durl} (loopback addresses only). Also reads the server's {@code /stats}.
 */
final class LoadTarget implements AutoCloseable {
  /** Helidon logs through java.util.logging: keep its start/stop lines out of Gatling's console. */
  private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");

  static {
    HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  private final URI base;
  private final @Nullable CacheServer ownServer;
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private LoadTarget(URI base, @Nullable CacheServer ownServer) {
    this.base = base;
    this.ownServer = ownServer;
  }

  /** Starts a server in-process, or checks and uses {@code url}. */
  static LoadTarget open(LoadParameters p) {
    if (p.url().isEmpty()) {
      CacheServer server =
          CacheServer.start(ServerConfig.builder().port(0).maxSize(Math.max(100_000, p.keys() * 2L)).build());
      return new LoadTarget(server.uri(), server);
    }
    URI uri = URI.create(p.url().get().replaceAll("/+$", ""));
    if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("-Durl must be http://host:port, was " + p.url().get());
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
    return new LoadTarget(uri, null);
  }

  String url() {
    return base.toString();
  }

  boolean inProcess() {
    return ownServer != null;
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
    return body("/stats");
  }

  private String body(String path) {
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
          .send(HttpRequest.newBuilder(base.resolve(path)).method(method, publisher).build(), BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Stops the in-process server, if this target started one. */
  @Override
  public void close() {
    client.close();
    if (ownServer != null) {
      ownServer.stop();
    }
  }
}
