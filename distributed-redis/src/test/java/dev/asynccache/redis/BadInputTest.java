package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.persistence.Codecs;
import java.time.Duration;
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
    try (RedisCache<String, Integer> cache =
        RedisCache.builder(Codecs.string(), Codecs.integers())
            .redisUri(redis.uri())
            .namespace("garbage")
            .build()) {
      assertEquals("+OK", redis.command("SET garbage:{k} abc")); // 3 bytes: not an Integer
      assertEquals(42, cache.get("k", () -> 42));
      assertEquals(1, cache.tierMetrics().decodeFailures());
      assertEquals(":4", redis.command("STRLEN garbage:{k}")); // replaced by a valid encoding
    }
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
