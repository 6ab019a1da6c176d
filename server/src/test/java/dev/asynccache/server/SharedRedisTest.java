package dev.asynccache.server;

import dev.asynccache.redis.testing.RedisServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers in this JVM sharing one real {@code redis-server} (its own, on a free loopback
 * port) through {@code --redis}: writes on one are served by the other, invalidations drop the
 * other's in-process copy, a dead Redis degrades to each server's own cache and recovers. Waits
 * are bounded polls of the observable state, never sleeps for a TTL.
 */
class SharedRedisTest {
  /** Liveness bound of every poll (generous: the machine may be loaded). */
  private static final long POLL_SECONDS = 30;

  @TempDir Path dir;

  private RedisServer redis;
  private CacheServer a;
  private CacheServer b;
  private TestClient onA;
  private TestClient onB;

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start();
    a = CacheServer.start(shared(redis.uri()));
    b = CacheServer.start(shared(redis.uri()));
    onA = new TestClient(a);
    onB = new TestClient(b);
  }

  @AfterEach
  void stop() throws Exception {
    if (a != null) {
      a.stop();
    }
    if (b != null) {
      b.stop();
    }
    if (redis != null) {
      redis.close();
    }
  }

  static ServerConfig shared(String uri) {
    return ServerConfig.builder()
        .port(0)
        .redis(new ServerConfig.Redis(uri, false, ServerConfig.Redis.DEFAULT_NAMESPACE))
        .build();
  }

  @Test
  void putOnA_isServedByB() throws Exception {
    assertEquals(204, onA.put("/cache/greeting", "hello").statusCode());
    HttpResponse<byte[]> got = onB.get("/cache/greeting");
    assertEquals(200, got.statusCode());
    assertEquals("hello", TestClient.text(got));
    assertEquals(1, onB.stat("l2_hits"), "B read it from Redis");
    // A read may wait on Redis: with a shared tier no request is served on an event loop.
    assertEquals(0, a.loopCounts().requests() + b.loopCounts().requests());
    assertEquals(404, onB.get("/cache/absent").statusCode());
    // ttl=0 (never) and the server's default TTL reach Redis too: the key is there, in its namespace
    assertEquals(204, onA.put("/cache/t?ttl=100", "x").statusCode());
    long pttl = Long.parseLong(redis.command("PTTL asynccache-server:{t}").substring(1));
    assertTrue(pttl > 0 && pttl <= 100_000, "PTTL " + pttl);
  }

  @Test
  void overwriteAndDeleteOnA_reachBOnceTheInvalidationArrives() throws Exception {
    assertEquals(204, onA.put("/cache/k", "v1").statusCode());
    awaitNotification(1);
    assertEquals("v1", TestClient.text(onB.get("/cache/k"))); // B fills its L1 from Redis
    long l1Hits = onB.stat("l1_hits");
    assertEquals("v1", TestClient.text(onB.get("/cache/k")));
    assertEquals(l1Hits + 1, onB.stat("l1_hits"), "B now answers from its own L1");

    assertEquals(204, onA.put("/cache/k", "v2").statusCode());
    awaitTrue("B serves v2 after the overwrite on A", () -> "v2".equals(body(onB, "/cache/k")));
    assertTrue(onB.stat("invalidations_received") >= 2, "B dropped its copy on A's notification");

    assertEquals("v2", TestClient.text(onB.get("/cache/k"))); // in B's L1 again
    assertEquals(204, onA.delete("/cache/k").statusCode());
    awaitTrue("B answers 404 after the delete on A", () -> status(onB, "/cache/k") == 404);
    assertEquals(404, onA.get("/cache/k").statusCode());
    assertEquals(404, onB.delete("/cache/k").statusCode(), "nothing left to delete anywhere");
  }

  @Test
  void redisKilled_serversKeepAnswering_andRecover() throws Exception {
    assertEquals(204, onA.put("/cache/before", "old").statusCode());
    assertEquals("old", TestClient.text(onB.get("/cache/before")));

    redis.kill();
    // The lost connection drops each L1 (a write may be missed meanwhile): wait for it on A.
    awaitTrue("A notices the lost connection", () -> stat(onA, "l1_flushes") >= 1);

    // Fail-safe: every request is answered, none with a 5xx; A serves what it stores meanwhile.
    assertEquals(204, onA.put("/cache/during", "local").statusCode());
    for (int i = 0; i < 20; i++) {
      HttpResponse<byte[]> got = onA.get("/cache/during");
      assertEquals(200, got.statusCode());
      assertEquals("local", TestClient.text(got));
      int absent = onB.get("/cache/absent" + i).statusCode();
      assertEquals(404, absent);
    }
    assertTrue(onA.stat("l1_hits") >= 20, "L1 hits while Redis is down");
    assertTrue(onA.stat("errors") + onA.stat("timeouts") >= 1, TestClient.text(onA.get("/stats")));
    assertEquals(200, onA.get("/health").statusCode());

    redis.restart();
    // Recovery by itself: a PUT on A is again seen by B (a fresh key per try: nothing cached).
    int[] attempt = {0};
    awaitTrue("A and B share the cache again", () -> {
      String key = "/cache/after" + attempt[0]++;
      return status(onA, key, "new") == 204 && "new".equals(body(onB, key));
    });
    assertEquals(204, onA.put("/cache/again", "1").statusCode());
    assertEquals("1", TestClient.text(onB.get("/cache/again")));
    assertEquals(204, onA.put("/cache/again", "2").statusCode());
    awaitTrue("invalidations flow again", () -> "2".equals(body(onB, "/cache/again")));
    assertFalse(TestClient.text(onA.get("/stats")).contains("\"breaker\":\"open\""));
  }

  @Test
  void statsAndMetrics_showTheTier() throws Exception {
    onA.put("/cache/s", "1");
    awaitNotification(1);
    onB.get("/cache/s");
    onB.get("/cache/s");
    String stats = TestClient.text(onB.get("/stats"));
    for (String field : new String[] {
      "\"redis\":{\"mode\":\"standalone\"", "\"l1_max_size\":", "\"l1_hits\":1", "\"l2_hits\":1", "\"misses\":",
      "\"loads\":", "\"lease_acquisitions\":", "\"lease_waits\":", "\"invalidations_received\":", "\"l1_flushes\":",
      "\"errors\":", "\"timeouts\":", "\"breaker\":\"closed\""}) {
      assertTrue(stats.contains(field), field + " in " + stats);
    }
    assertFalse(stats.contains("\"memory_bytes\":"), "L1 counts entries, it does not weigh them: " + stats);
    String metrics = TestClient.text(onB.get("/metrics"));
    for (String line : new String[] {
      "asynccache_redis_l1_hits_total 1.0", "asynccache_redis_l2_hits_total 1.0", "asynccache_redis_misses_total ",
      "asynccache_redis_loads_total ", "asynccache_redis_lease_acquisitions_total ", "asynccache_redis_lease_waits_total ",
      "asynccache_redis_invalidations_received_total ", "asynccache_redis_l1_flushes_total ",
      "asynccache_redis_errors_total 0.0", "asynccache_redis_timeouts_total 0.0",
      "asynccache_redis_breaker_state{state=\"closed\"} 1.0", "asynccache_redis_breaker_state{state=\"open\"} 0.0"}) {
      assertTrue(metrics.contains(line), line + " in /metrics");
    }
  }

  @Test
  void withoutRedis_statsShowTheEntriesWeight_andNoTier() throws Exception {
    try (CacheServer alone = CacheServer.start(ServerConfig.builder().port(0).build())) {
      TestClient c = new TestClient(alone);
      assertEquals(0, c.stat("memory_bytes"));
      c.put("/cache/w", new byte[1000]);
      long weight = c.stat("memory_bytes");
      // key, value and overhead, or the least weight of an entry (max memory / max size) if more
      long least = alone.maxMemory() / alone.config().maxSize();
      assertEquals(Math.max(least, 1000 + 16 + 128 + 24 + 24), weight);
      assertFalse(TestClient.text(c.get("/stats")).contains("\"redis\""));
      String metrics = TestClient.text(c.get("/metrics"));
      assertTrue(metrics.contains("asynccache_memory_bytes " + (double) weight), metrics);
      assertFalse(metrics.contains("asynccache_redis_"));
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Waits until B has received A's first {@code n} write notifications. A write on A returns once
   * Redis has it; its notification reaches B a moment later and drops B's copy of the key, so a
   * copy B filled in between would be dropped under a test that expects the next read to hit it.
   */
  private void awaitNotification(long n) throws Exception {
    awaitTrue("B received A's notification " + n, () -> stat(onB, "invalidations_received") >= n);
  }

  static void awaitTrue(String what, CheckedCondition condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(POLL_SECONDS);
    while (!condition.test()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + POLL_SECONDS + " s: " + what);
      }
      Thread.sleep(10);
    }
  }

  interface CheckedCondition {
    boolean test() throws Exception;
  }

  private static String body(TestClient c, String path) throws IOException, InterruptedException {
    HttpResponse<byte[]> r = c.get(path);
    return r.statusCode() == 200 ? new String(r.body(), StandardCharsets.UTF_8) : "(" + r.statusCode() + ")";
  }

  private static int status(TestClient c, String path) throws IOException, InterruptedException {
    return c.get(path).statusCode();
  }

  private static int status(TestClient c, String path, String putValue) throws IOException, InterruptedException {
    return c.put(path, putValue).statusCode();
  }

  private static long stat(TestClient c, String field) throws IOException, InterruptedException {
    return c.stat(field);
  }
}
