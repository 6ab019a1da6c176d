package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static dev.asynccache.redis.Fixtures.impl;
import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code build()} with no Redis listening yet: fail-safe builds, loads through the loader (single
 * flight in the JVM), and joins Redis by itself once a server starts on that port.
 */
@Timeout(120)
class BuildWhileDownTest {

  @Test
  void failSafeBuildsWithoutRedisServesLoadsAndConnectsWhenRedisAppears() throws Exception {
    try (RedisServer redis = RedisServer.start()) {
      redis.kill(); // its port is free now: nothing listens there
      try (RedisCache<String, String> a = strings(redis, "late").build()) {
        assertFalse(impl(a).connected());
        assertEquals("direct", a.get("k", () -> "direct"));
        assertEquals("direct", a.get("k", () -> "must not load again")); // an L1 hit
        assertEquals(Map.of("x", "X"), a.getAll(java.util.List.of("x"), ks -> Map.of("x", "X")));
        a.set("s", "local"); // fail-safe: L1 only
        assertEquals(2, a.tierMetrics().directLoads());
        assertEquals(0, a.tierMetrics().l1Flushes());

        redis.restart(); // same port
        Fixtures.await("the background connection", Duration.ofSeconds(30),
            () -> impl(a).connected());
        // Entries from before the connection heard no invalidation: the connection dropped them.
        Fixtures.await("the L1 flush on connecting", Duration.ofSeconds(10),
            () -> a.tierMetrics().l1Flushes() >= 1);
        assertNull(impl(a).l1().getIfPresent("k"));

        // Now a full member of the fleet: stores through Redis, hears other JVMs' writes.
        assertEquals("stored", a.get("k2", () -> "stored"));
        assertEquals(":1", redis.command("EXISTS late:{k2}"));
        try (RedisCache<String, String> b = strings(redis, "late").build()) {
          assertEquals("stored", b.get("k2", () -> "must not load"));
          b.set("k2", "changed");
          Fixtures.await("a to hear b's write", Duration.ofSeconds(10),
              () -> a.tierMetrics().invalidationsReceived() >= 1);
          assertEquals("changed", a.get("k2", () -> "must not load"));
        }
      }
    }
  }
}
