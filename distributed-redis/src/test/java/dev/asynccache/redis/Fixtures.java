package dev.asynccache.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.asynccache.persistence.Codecs;
import dev.asynccache.redis.testing.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Builders and waits shared by the tests. */
final class Fixtures {
  private Fixtures() {}

  /**
   * A string cache on {@code redis} with a quick breaker. The call timeout is long: on a loaded
   * machine a short one would fire now and then and let the fail-safe path load without a lease,
   * which tests that count loader calls would see (a killed Redis fails calls at once anyway).
   */
  static RedisCacheBuilder<String, String> strings(RedisServer redis, String namespace) {
    return RedisCache.builder(Codecs.string(), Codecs.string())
        .redisUri(redis.uri())
        .namespace(namespace)
        .redisTimeout(Duration.ofSeconds(5))
        .circuitBreaker(3, Duration.ofMillis(200));
  }

  /** UTF-8 bytes, for {@link RedisServer#binaryCommand}. */
  static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  static DefaultRedisCache<String, String> impl(RedisCache<String, String> cache) {
    return (DefaultRedisCache<String, String>) cache;
  }

  /**
   * Reads {@code keys} (Redis holds {@code value} for each) until they all stay in L1: a flush for a
   * topology change may still arrive once the new watch is armed.
   */
  static void refillL1(
      RedisCache<String, String> cache, List<String> keys, String value, Duration max) {
    await("L1 to hold " + keys.size() + " keys read again", max, () -> {
      for (String k : keys) {
        assertEquals(value, cache.get(k, () -> "must not load: Redis has it"), k);
      }
      return keys.stream().allMatch(k -> impl(cache).l1().getIfPresent(k) != null);
    });
  }

  /** Waits until {@code condition} holds, checking every millisecond, failing after {@code max}. */
  static void await(String what, Duration max, BooleanSupplier condition) {
    long deadline = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + max + " waiting for: " + what);
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for: " + what, e);
      }
    }
  }
}
