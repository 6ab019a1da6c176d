package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.strings;
import static dev.asynccache.redis.Fixtures.impl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Redis killed under load: fail-safe callers see no exception; strict callers do; recovery. */
@Timeout(120)
class FailSafeTest {
  /** A redis-server of each test's own: the tests kill it. */
  @AutoClose private final RedisServer redis = RedisServer.start();

  @Test
  void redisKilledUnderLoadZeroExceptionsL1HitsFlowAndTheTierRecovers() throws Exception {
    try (RedisCache<String, String> cache = strings(redis, "outage").build()) {
      int keys = 100;
      for (int k = 0; k < keys; k++) {
        String key = "k" + k;
        cache.get(key, () -> "v-" + key); // warm L1 and Redis
      }
      ConcurrentLinkedQueue<Throwable> thrown = new ConcurrentLinkedQueue<>();
      LongAdder ops = new LongAdder();
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < 50; t++) {
        workers.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      ThreadLocalRandom random = ThreadLocalRandom.current();
                      while (!stop.get()) {
                        String key = "k" + random.nextInt(keys * 2); // half are cold
                        try {
                          if (random.nextInt(10) == 0) {
                            cache.set(key, "set-" + key);
                          } else {
                            cache.get(key, () -> "v-" + key);
                          }
                          ops.increment();
                        } catch (Throwable e) {
                          thrown.add(e);
                        }
                      }
                    }));
      }
      Fixtures.await("some load before the kill", Duration.ofSeconds(10), () -> ops.sum() > 1000);
      redis.kill();
      Fixtures.await("the breaker to open", Duration.ofSeconds(10),
          () -> cache.tierMetrics().breakerState() != BreakerState.CLOSED);
      long hitsAtKill = cache.tierMetrics().l1().hitCount();
      long opsAtKill = ops.sum();
      Fixtures.await("L1 hits and direct loads while Redis is down", Duration.ofSeconds(10),
          () -> cache.tierMetrics().l1().hitCount() > hitsAtKill + 1000
              && cache.tierMetrics().directLoads() > 0);
      // Keep Redis down 10 s in all under load (the outage itself, not a wait for a condition),
      // checking every second that callers progress.
      for (int second = 0; second < 10; second++) {
        long opsBefore = ops.sum();
        Thread.sleep(1000);
        assertTrue(ops.sum() > opsBefore, "callers stalled in second " + second + " of the outage");
      }
      assertTrue(ops.sum() > opsAtKill, "callers progressed during the outage");
      redis.restart();
      Fixtures.await("the notification subscription to come back and flush L1",
          Duration.ofSeconds(20), () -> cache.tierMetrics().l1Flushes() >= 1);
      Fixtures.await("the breaker to close", Duration.ofSeconds(20),
          () -> cache.tierMetrics().breakerState() == BreakerState.CLOSED);
      long l2Before = cache.tierMetrics().l2Hits() + cache.tierMetrics().l2Misses();
      Fixtures.await("reads through Redis again", Duration.ofSeconds(20),
          () -> cache.tierMetrics().l2Hits() + cache.tierMetrics().l2Misses() > l2Before + 10);
      stop.set(true);
      for (Thread w : workers) {
        w.join(10_000);
      }
      assertEquals(List.of(), List.copyOf(thrown), "exceptions thrown at callers");
      // Redis (restarted empty) holds values again: the tier stores through it by itself.
      assertTrue(Long.parseLong(redis.command("DBSIZE").substring(1)) > 0);
      assertTrue(cache.tierMetrics().redisErrors() + cache.tierMetrics().redisTimeouts() > 0);
    }
  }

  @Test
  void strictModeThrowsRedisFailuresAtCallers() {
    try (RedisCache<String, String> cache = strings(redis, "strict").strict(true).build()) {
      assertEquals("v", cache.get("k", () -> "v"));
      redis.kill();
      assertThrows(RedisCacheException.class, () -> cache.get("other", () -> "v"));
      assertThrows(RedisCacheException.class, () -> cache.set("k", "v2"));
      // The lost notification connection flushed L1 (it may have missed invalidations).
      Fixtures.await("the L1 flush", Duration.ofSeconds(10), () -> cache.tierMetrics().l1Flushes() > 0);
      assertNull(impl(cache).l1().getIfPresent("k"));
    }
  }
}
