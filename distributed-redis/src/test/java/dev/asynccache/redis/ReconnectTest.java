package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.bytes;
import static dev.asynccache.redis.Fixtures.impl;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connection events that can lose invalidations: no L1 entry filled before the event survives it.
 * Each test has its own Redis, since it kills connections or the server.
 */
@Timeout(60)
class ReconnectTest {
  private static final int KEYS = 100;
  /** A redis-server of each test's own, stopped after it. */
  @AutoClose private final RedisServer redis = RedisServer.start();

  /** Fills {@code KEYS} keys into b's L1 (through Redis) and returns how many it holds. */
  private static long fill(RedisCache<String, String> a, RedisCache<String, String> b) {
    for (int i = 0; i < KEYS; i++) {
      String k = "k" + i;
      a.get(k, () -> "old");
      b.get(k, () -> "unused");
    }
    return impl(b).l1().size();
  }

  private static int survivors(RedisCache<String, String> b) {
    int n = 0;
    for (int i = 0; i < KEYS; i++) {
      if (impl(b).l1().getIfPresent("k" + i) != null) {
        n++;
      }
    }
    return n;
  }

  @Test
  void clientKillOfOurConnectionsDropsEveryL1EntryAndAWriteMadeMeanwhileIsSeen() {
    try (RedisCache<String, String> a = strings(redis, "kill").build();
        RedisCache<String, String> b = strings(redis, "kill").build()) {
      assertEquals(KEYS, fill(a, b));
      long flushes = b.tierMetrics().l1Flushes();
      // b's two connections (commands, notifications); a keeps its own and writes meanwhile.
      assertEquals(2, redis.killClientsNamed(impl(b).clientName()));
      a.set("k0", "new"); // may be published while b is not subscribed: lost for b
      Fixtures.await("b to flush on the disconnect and again on the resubscription",
          Duration.ofSeconds(20), () -> b.tierMetrics().l1Flushes() >= flushes + 2);
      assertEquals(0, survivors(b), "L1 entries older than the kill");
      // b's command connection may still be reconnecting (a read then fails over to the loader in
      // fail-safe mode): getIfPresent never loads, so wait until it reads Redis again.
      Fixtures.await("b to read the write made meanwhile", Duration.ofSeconds(20),
          () -> "new".equals(b.getIfPresent("k0")));
      assertEquals("old", b.getIfPresent("k1"));
    }
  }

  @Test
  void aRedisRestartDropsEveryL1EntryAndTheTierWorksAfter() {
    try (RedisCache<String, String> a = strings(redis, "restart").build();
        RedisCache<String, String> b = strings(redis, "restart").build()) {
      assertEquals(KEYS, fill(a, b));
      long flushes = b.tierMetrics().l1Flushes();
      redis.restart(); // empty: every value is gone
      Fixtures.await("b to flush on the disconnect and again on the resubscription",
          Duration.ofSeconds(20), () -> b.tierMetrics().l1Flushes() >= flushes + 2);
      assertEquals(0, survivors(b), "L1 entries older than the restart");
      Fixtures.await("the breaker to close", Duration.ofSeconds(20),
          () -> b.tierMetrics().breakerState() == BreakerState.CLOSED
              && a.tierMetrics().breakerState() == BreakerState.CLOSED);
      assertEquals("reloaded", b.get("k0", () -> "reloaded"));
      // a's command connection may still be reconnecting (a fail-safe write then stays in a's L1):
      // write until Redis has it, then b must see it.
      Fixtures.await("a's write to reach Redis", Duration.ofSeconds(20), () -> {
        a.set("k0", "after");
        byte[] stored = redis.binaryBulk(bytes("GET"), bytes("restart:{k0}"));
        return StoredValue.check(stored) == StoredValue.Status.OK
            && new String(StoredValue.payload(stored), StandardCharsets.UTF_8).equals("after");
      });
      // After the invalidation b reads Redis. If b's own command connection is still coming back,
      // fail-safe mode would call the loader directly and keep its value in L1: a loader that
      // fails instead makes b try again, so only a lost invalidation ("reloaded" kept) times out.
      Fixtures.await("b to receive the invalidation", Duration.ofSeconds(20), () -> {
        try {
          return "after".equals(b.get("k0", () -> {
            throw new IllegalStateException("b could not read Redis yet");
          }));
        } catch (RuntimeException notYet) { // the loader's failure, as thrown or wrapped
          return false;
        }
      });
    }
  }

  @Test
  void flushallAndFlushdbDropEveryL1Entry() {
    try (RedisCache<String, String> a = strings(redis, "flush").build();
        RedisCache<String, String> b = strings(redis, "flush").build()) {
      for (String command : new String[] {"FLUSHALL", "FLUSHDB", "FLUSHALL ASYNC"}) {
        assertEquals(KEYS, fill(a, b), command);
        long flushes = b.tierMetrics().l1Flushes();
        assertEquals("+OK", redis.command(command));
        Fixtures.await("b to flush after " + command, Duration.ofSeconds(20),
            () -> b.tierMetrics().l1Flushes() > flushes);
        assertEquals(0, survivors(b), "L1 entries older than " + command);
        assertEquals("loaded", b.get("k0", () -> "loaded"), command);
        a.delete("k0");
        Fixtures.await("b to drop k0", Duration.ofSeconds(20),
            () -> impl(b).l1().getIfPresent("k0") == null);
      }
    }
  }

  @Test
  void withStaleIfErrorAFlushStillDropsEveryEntryAndKeepsAFillThenInFlightOutOfL1()
      throws Exception {
    try (RedisCache<String, String> a = strings(redis, "flush-sie").build();
        RedisCache<String, String> b =
            strings(redis, "flush-sie").staleIfError(Duration.ofMinutes(1)).build();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int round = 0; round < 20; round++) {
        assertEquals(KEYS, fill(a, b), "round " + round);
        long flushes = b.tierMetrics().l1Flushes();
        CountDownLatch inLoader = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        String late = "late" + round;
        // A fill in flight across the flush: b's loader of a key Redis lacks waits for it.
        Future<String> filling =
            threads.submit(
                () ->
                    b.get(
                        late,
                        () -> {
                          inLoader.countDown();
                          assertTrue(release.await(20, TimeUnit.SECONDS));
                          return "read before the flush";
                        }));
        assertTrue(inLoader.await(20, TimeUnit.SECONDS));
        assertEquals("+OK", redis.command("FLUSHALL"));
        Fixtures.await("b to flush, round " + round, Duration.ofSeconds(20),
            () -> b.tierMetrics().l1Flushes() > flushes);
        release.countDown();
        assertEquals("read before the flush", filling.get(20, TimeUnit.SECONDS));
        assertEquals(0, survivors(b), "L1 entries older than the flush, round " + round);
        assertNull(impl(b).l1().getIfPresent(late), "the fill in flight at the flush, round " + round);
        assertEquals(0, impl(b).l1().size(), "round " + round);
      }
    }
  }
}
