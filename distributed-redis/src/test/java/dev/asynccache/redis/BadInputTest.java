package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.bytes;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.persistence.Codecs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Oversized values, undecodable bytes in Redis, bad options. */
@Timeout(60)
class BadInputTest {
  /** One redis-server for the class, stopped after its last test. */
  @AutoClose private static final RedisServer redis = RedisServer.start();

  @Test
  void anOversizedValueIsRefusedBeforeRedis() {
    try (RedisCache<String, String> cache = strings(redis, "big").maxValueBytes(10).build()) {
      ValueTooLargeException e =
          assertThrows(ValueTooLargeException.class, () -> cache.set("k", "12345678901"));
      assertEquals(11, e.size());
      assertEquals(10, e.limit());
      assertTrue(e.getMessage().contains("maxValueBytes 10"), e.getMessage());
      assertEquals(":0", redis.command("EXISTS big:{k}"));
      assertThrows(ValueTooLargeException.class, () -> cache.get("k2", () -> "12345678901"));
      assertEquals(":0", redis.command("EXISTS big:{k2} big:{k2}:lease"));
      cache.set("k", "1234567890"); // exactly the limit
    }
  }

  @Test
  void anUndecodableValueIsAMissCountedAndReplaced() {
    try (RedisCache<String, Integer> cache = integers("garbage")) {
      // A valid header whose payload (3 bytes) is not an Integer.
      assertEquals(
          "+OK",
          redis.binaryCommand(
              bytes("SET"), bytes("garbage:{k}"), StoredValue.encode(bytes("abc"), 0)));
      assertEquals(42, cache.get("k", () -> 42));
      assertEquals(1, cache.tierMetrics().decodeFailures());
      // replaced by a valid stored value: header and 4 bytes
      assertEquals(":" + (StoredValue.HEADER_BYTES + 4), redis.command("STRLEN garbage:{k}"));
    }
  }

  /**
   * A plain {@code SET} by redis-cli (no header: another program, or a value of an older version of
   * this library) is undecodable: a miss, counted, never thrown; the load replaces it. Long enough
   * to hold a header, so the format byte is what rejects it.
   */
  @Test
  void aPlainSetFromRedisCliIsUndecodableAndReplaced() throws Exception {
    try (RedisCache<String, String> cache = strings(redis, "plain").build()) {
      Process cli =
          new ProcessBuilder(
                  RedisServer.findTool("redis-cli", RedisServer.INSTALL_HINT),
                  "-p", Integer.toString(redis.port()),
                  "SET", "plain:{k}", "a plain string value")
              .redirectErrorStream(true)
              .start();
      assertEquals("OK", new String(cli.getInputStream().readAllBytes()).trim());
      assertEquals(0, cli.waitFor());
      assertEquals("loaded", cache.get("k", () -> "loaded"));
      assertEquals(1, cache.tierMetrics().decodeFailures());
      assertEquals(0, cache.tierMetrics().l2Hits());
      byte[] stored = redis.binaryBulk(bytes("GET"), bytes("plain:{k}"));
      assertEquals(StoredValue.Status.OK, StoredValue.check(stored));
      assertEquals("loaded", new String(StoredValue.payload(stored), StandardCharsets.UTF_8));
    }
  }

  /**
   * Bytes that a raw client (Lettuce, as another program would) stored with a header cut short or
   * of a format this version does not know: each a miss, counted, replaced by the load; a second
   * cache reading the replaced value decodes it.
   */
  @Test
  void aTruncatedHeaderOrAnUnknownVersionIsAnUndecodableMiss() {
    byte[] truncated = {StoredValue.FORMAT_1, 0, 0, 0, 1}; // format byte, half an expiry
    byte[] unknownVersion = StoredValue.encode(bytes("v"), 0);
    unknownVersion[0] = (byte) (StoredValue.FORMAT_1 + 1); // a later format
    byte[] negativeExpiry = StoredValue.encode(bytes("v"), 0);
    negativeExpiry[1] = (byte) 0x80;
    byte[] headerOnly = Arrays.copyOf(StoredValue.encode(bytes("v"), 0), 8);
    RedisClient raw = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<byte[], byte[]> c = raw.connect(ByteArrayCodec.INSTANCE);
        RedisCache<String, String> cache = strings(redis, "bad-header").build();
        RedisCache<String, String> other = strings(redis, "bad-header").build()) {
      c.sync().set(bytes("bad-header:{t}"), truncated);
      c.sync().set(bytes("bad-header:{u}"), unknownVersion);
      c.sync().set(bytes("bad-header:{n}"), negativeExpiry);
      c.sync().set(bytes("bad-header:{h}"), headerOnly);
      c.sync().set(bytes("bad-header:{e}"), new byte[0]);
      for (String k : List.of("t", "u", "n", "h", "e")) {
        assertEquals("loaded-" + k, cache.get(k, () -> "loaded-" + k));
      }
      assertEquals(5, cache.tierMetrics().decodeFailures());
      assertEquals(0, cache.tierMetrics().l2Hits());
      for (String k : List.of("t", "u", "n", "h", "e")) {
        byte[] stored = c.sync().get(bytes("bad-header:{" + k + "}"));
        assertEquals(StoredValue.Status.OK, StoredValue.check(stored), k + " replaced by the load");
      }
      // getAll (MGET) sees the same rule
      c.sync().set(bytes("bad-header:{t}"), truncated);
      assertEquals(
          Map.of("t", "batch-t", "u", "loaded-u"),
          other.getAll(List.of("t", "u"), ks -> Map.of("t", "batch-t", "u", "batch-u")));
      assertEquals(1, other.tierMetrics().decodeFailures());
      assertEquals(1, other.tierMetrics().l2Hits());
    } finally {
      raw.shutdown();
    }
  }

  private static RedisCache<String, Integer> integers(String namespace) {
    return RedisCache.builder(Codecs.string(), Codecs.integers())
        .redisUri(redis.uri())
        .namespace(namespace)
        .build();
  }

  @Test
  void aWrongTypeInRedisIsAbsorbedInFailSafeMode() {
    try (RedisCache<String, String> cache = strings(redis, "wrongtype").build()) {
      assertEquals(":1", redis.command("LPUSH wrongtype:{k} x"));
      assertEquals("v", cache.get("k", () -> "v"));
      assertTrue(cache.tierMetrics().redisErrors() > 0);
    }
  }

  @Test
  void anUnparsableUriFailsAtBuildNamingTheOption() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RedisCache.builder(Codecs.string(), Codecs.string())
                .redisUri("not a uri at all")
                .namespace("n")
                .build());
    assertTrue(e.getMessage().startsWith("redisUri"), e.getMessage());
    IllegalArgumentException noHost =
        assertThrows(
            IllegalArgumentException.class,
            () -> RedisCache.builder(Codecs.string(), Codecs.string())
                .redisUri("redis://")
                .namespace("n")
                .build());
    assertTrue(noHost.getMessage().startsWith("redisUri"), noHost.getMessage());
  }

  @Test
  void optionsAreValidatedAtOnceAndSetOnce() {
    RedisCacheBuilder<String, String> b = RedisCache.builder(Codecs.string(), Codecs.string());
    assertThrows(IllegalArgumentException.class, () -> b.namespace("a{b}"));
    assertThrows(IllegalArgumentException.class, () -> b.namespace(""));
    assertThrows(IllegalArgumentException.class, () -> b.l1MaxSize(0));
    assertThrows(IllegalArgumentException.class, () -> b.maxValueBytes(0));
    assertThrows(IllegalArgumentException.class, () -> b.redisTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.circuitBreaker(0, Duration.ofSeconds(1)));
    assertThrows(
        IllegalArgumentException.class, () -> b.clusterTopologyRefresh(Duration.ofMillis(99)));
    b.clusterTopologyRefresh(Duration.ofMillis(100));
    assertThrows(
        IllegalStateException.class, () -> b.clusterTopologyRefresh(Duration.ofSeconds(1)));
    b.namespace("ok");
    assertThrows(IllegalStateException.class, () -> b.namespace("again"));
    IllegalStateException noUri = assertThrows(IllegalStateException.class, b::build);
    assertEquals("redisUri must be set", noUri.getMessage());
    assertThrows(NullPointerException.class, () -> RedisCache.builder(null, Codecs.string()));
  }

  @Test
  void anUnreachableRedisFailsAtBuildInStrictMode() {
    int port;
    try (RedisServer gone = RedisServer.start()) {
      port = gone.port();
    }
    RedisCacheException e =
        assertThrows(
            RedisCacheException.class,
            () -> RedisCache.builder(Codecs.string(), Codecs.string())
                .redisUri("redis://127.0.0.1:" + port)
                .namespace("n")
                .strict(true)
                .build());
    assertTrue(e.getMessage().contains("cannot connect to Redis at redisUri 127.0.0.1:" + port),
        e.getMessage());
  }
}
