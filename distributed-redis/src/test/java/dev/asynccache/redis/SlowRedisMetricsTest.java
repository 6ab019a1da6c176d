package dev.asynccache.redis;

import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.redis.testing.RedisServer;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A slow Redis (paused with {@code CLIENT PAUSE}, alive but silent): calls time out and count as
 * timeouts, not errors; the breaker opens, callers get values from the loader, and the breaker
 * closes again once Redis answers.
 */
@Timeout(120)
class SlowRedisMetricsTest {
  /** One redis-server for the class, stopped after its last test. */
  @AutoClose private static final RedisServer redis = RedisServer.start();

  @Test
  void aSilentRedisCountsTimeoutsOpensTheBreakerAndRecovers() {
    try (RedisCache<String, String> cache =
        RedisCache.builder(dev.asynccache.persistence.Codecs.string(), dev.asynccache.persistence.Codecs.string())
            .redisUri(redis.uri())
            .namespace("slow")
            .redisTimeout(Duration.ofMillis(100))
            .circuitBreaker(2, Duration.ofMillis(200))
            .build()) {
      assertEquals("v", cache.get("warm", () -> "v"));
      assertEquals(BreakerState.CLOSED, cache.tierMetrics().breakerState());
      long errors = cache.tierMetrics().redisErrors();
      // 5 s, ended by Redis itself (CLIENT UNPAUSE would be paused too); the checks below take
      // well under a second.
      assertEquals("+OK", redis.command("CLIENT PAUSE 5000 ALL"));
      {
        for (int i = 0; i < 2; i++) {
          int n = i;
          assertEquals("loaded-" + n, cache.get("cold-" + n, () -> "loaded-" + n));
        }
        RedisCacheMetrics m = cache.tierMetrics();
        assertTrue(m.redisTimeouts() >= 2, "timeouts " + m.redisTimeouts());
        assertEquals(errors, m.redisErrors(), "a timeout is not counted as an error");
        assertEquals(BreakerState.OPEN, m.breakerState());
        assertEquals(2, m.directLoads());
        // While open, no call is made (none is counted): the loader answers at once.
        long timeouts = m.redisTimeouts();
        assertEquals("x", cache.get("cold-x", () -> "x"));
        assertEquals(timeouts, cache.tierMetrics().redisTimeouts());
      }
      Fixtures.await("the breaker to close after a probe", Duration.ofSeconds(30), () -> {
        cache.get("probe-" + System.nanoTime(), () -> "p");
        return cache.tierMetrics().breakerState() == BreakerState.CLOSED;
      });
      assertEquals("stored", cache.get("after", () -> "stored"));
      assertEquals(":1", redis.command("EXISTS slow:{after}"));
    }
  }
}
