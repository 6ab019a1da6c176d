package dev.asynccache.redis;

import static dev.asynccache.redis.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.redis.testing.RedisServer;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Caches built on the application's Lettuce {@code ClientResources}: shared, never shut down. */
@Timeout(60)
class SharedClientResourcesTest {
  @AutoClose private static final RedisServer redis = RedisServer.start();

  private static Set<String> ioThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("lettuce-nioEventLoop") || n.startsWith("lettuce-epollEventLoop"))
        .collect(Collectors.toSet());
  }

  @Test
  void cachesOnSharedResourcesAddNoEventLoopsAndWorkTogether() throws Exception {
    ClientResources shared = ClientResources.builder().ioThreadPoolSize(2).build();
    try {
      Set<String> before = ioThreads();
      List<RedisCache<String, String>> caches = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          caches.add(strings(redis, "shared").clientResources(shared).build());
        }
        assertEquals("v", caches.get(0).get("k", () -> "v"));
        for (RedisCache<String, String> c : caches) {
          assertEquals("v", c.get("k", () -> "loaded again"));
        }
        caches.get(1).set("k", "w");
        for (RedisCache<String, String> c : caches) {
          RedisCache<String, String> reader = c;
          Fixtures.await("every cache to see the set", Duration.ofSeconds(20),
              () -> "w".equals(reader.get("k", () -> "unused")));
        }
        Set<String> added = ioThreads();
        added.removeAll(before);
        // Five caches, each with a command, a notification and a flush-watch connection: all on
        // the shared resources' two I/O threads (each cache's own resources would add two).
        assertTrue(added.size() <= 2, "event-loop threads added: " + added);
        caches.remove(0).close();
        assertFalse(shared.eventExecutorGroup().isShuttingDown(), "closing a cache shut them down");
        caches.get(0).set("k", "x"); // the others still read, write and hear invalidations
        RedisCache<String, String> other = caches.get(1);
        Fixtures.await("a remaining cache to see the set", Duration.ofSeconds(20),
            () -> "x".equals(other.get("k", () -> "unused")));
      } finally {
        for (RedisCache<String, String> c : caches) {
          c.close();
        }
      }
      assertFalse(shared.eventExecutorGroup().isShuttingDown());
    } finally {
      shared.shutdown(0, 2, TimeUnit.SECONDS).get();
    }
  }

  @Test
  void withoutSharedResourcesEachCacheHasItsOwnEventLoops() {
    Set<String> before = ioThreads();
    try (RedisCache<String, String> a = strings(redis, "own").build();
        RedisCache<String, String> b = strings(redis, "own").build()) {
      a.get("k", () -> "v");
      b.get("k", () -> "v");
      Set<String> added = ioThreads();
      added.removeAll(before);
      assertTrue(added.size() >= 2, "event-loop threads added: " + added);
    }
  }

  @Test
  void clientResourcesIsSetOnceAndNotNull() {
    RedisCacheBuilder<String, String> builder = strings(redis, "once");
    assertThrows(NullPointerException.class, () -> builder.clientResources(null));
    ClientResources shared = ClientResources.create();
    try {
      builder.clientResources(shared);
      assertThrows(IllegalStateException.class, () -> builder.clientResources(shared));
      assertTrue(builder.toString().contains("clientResources=(shared)"), builder.toString());
    } finally {
      shared.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }
}
