package dev.asynccache.server;

import dev.asynccache.redis.testing.RedisServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.server.ServerProcess.Child;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two server processes (the real {@code main}, each in its own JVM, started as an operator would
 * with the environment variable {@code ASYNC_CACHE_REDIS}) share one real {@code redis-server}.
 */
class ForkedSharedRedisTest {
  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

  @Test
  void twoProcesses_shareOneRedis() throws Exception {
    try (RedisServer redis = RedisServer.start()) {
      Child a = Child.start(dir, "a", List.of(), Map.of("ASYNC_CACHE_REDIS", redis.uri()));
      Child b = Child.start(dir, "b", List.of(), Map.of("ASYNC_CACHE_REDIS", redis.uri()));
      try {
        assertTrue(a.output().contains("shared through Redis at " + redis.uri() + " (namespace asynccache-server, "),
            a.output());
        assertEquals(204, send(a.base(), "PUT", "/cache/k", "one").statusCode());
        HttpResponse<String> got = send(b.base(), "GET", "/cache/k", null);
        assertEquals(200, got.statusCode());
        assertEquals("one", got.body());
        assertEquals("one", send(b.base(), "GET", "/cache/k", null).body()); // from B's L1 now

        assertEquals(204, send(a.base(), "PUT", "/cache/k", "two").statusCode());
        SharedRedisTest.awaitTrue("B serves the overwrite", () -> "two".equals(send(b.base(), "GET", "/cache/k", null).body()));
        assertEquals(204, send(b.base(), "DELETE", "/cache/k", null).statusCode());
        SharedRedisTest.awaitTrue("A sees B's delete", () -> send(a.base(), "GET", "/cache/k", null).statusCode() == 404);
        assertTrue(send(a.base(), "GET", "/stats", null).body().contains("\"invalidations_received\":"));
      } finally {
        a.stop();
        b.stop();
      }
      assertEquals(143, a.process().exitValue(), a.output());
      assertTrue(a.output().contains("async-cache server stopped"), a.output());
    }
  }

  /**
   * A Redis that does not answer when the server starts. Fail-safe, as during an outage: the server
   * starts, serves from its own memory, and connects by itself once Redis is there.
   */
  @Test
  void redisDownAtStart() throws Exception {
    int port = RedisServer.freePort(); // nothing listens there yet
    String uri = "redis://127.0.0.1:" + port;
    // The server must start without Redis (fail-safe): start() fails if it exits instead.
    Child p = Child.start(dir, "down", List.of(), Map.of(), "--redis", uri);
    try {
      URI base = p.base();
      Path err = p.stderr();
      assertTrue(Files.readString(err).contains("connecting in the background"), Files.readString(err));
      assertEquals(204, send(base, "PUT", "/cache/k", "local").statusCode());
      assertEquals("local", send(base, "GET", "/cache/k", null).body());
      assertEquals(200, send(base, "GET", "/health", null).statusCode());
      try (RedisServer redis = RedisServer.startOn(port)) {
        int[] attempt = {0};
        SharedRedisTest.awaitTrue("the server connects by itself and writes to Redis", () -> {
          String key = "after" + attempt[0]++;
          send(base, "PUT", "/cache/" + key, "shared");
          // "shared" (6 bytes) behind the stored value's 9-byte header
          return redis.command("GET asynccache-server:{" + key + "}").equals("$15");
        });
      }
    } finally {
      p.stop();
    }
  }

  private HttpResponse<String> send(URI base, String method, String path, String body)
      throws IOException, InterruptedException {
    var publisher = body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body);
    return http.send(
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).method(method, publisher).build(),
        BodyHandlers.ofString());
  }
}
