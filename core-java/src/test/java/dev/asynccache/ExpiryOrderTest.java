package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.asynccache.testing.ManualTimeSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Entries written with the cache's default TTL are kept in write order inside their nodes (no
 * heap slot): expired ones are removed from the head, and an entry whose expiry an in-place write
 * moved later is re-sorted, not removed early nor left blocking the ones behind it.
 */
class ExpiryOrderTest {

  @Test
  void theExpiryPassRemovesInExpiryOrderAndResortsRewrittenEntries() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, Integer> cache =
        AsyncCache.builder()
            .defaultTtl(Duration.ofSeconds(10))
            .timeSource(clock)
            .maintenanceExecutor(Runnable::run)
            .build()) {
      cache.set("a", 1); // expires at 10
      clock.advance(Duration.ofSeconds(1));
      cache.set("b", 1); // 11
      clock.advance(Duration.ofSeconds(1));
      cache.set("c", 1); // 12
      clock.advance(Duration.ofSeconds(1));
      cache.set("a", 2); // in place: 13, still first in the list
      cache.set("x", 1, Ttl.ofSeconds(9)); // a per-entry TTL: the heap, 12
      clock.advance(Duration.ofMillis(8_500)); // 11.5
      cache.cleanUp();
      assertEquals(3, cache.size(), "b (11) removed; a (13, moved), c (12) and x (12) kept");
      assertNull(cache.getIfPresent("b"));
      assertEquals(2, cache.getIfPresent("a"));
      clock.advance(Duration.ofSeconds(1)); // 12.5
      cache.cleanUp();
      assertEquals(1, cache.size(), "c and x removed, a kept");
      clock.advance(Duration.ofSeconds(1)); // 13.5
      cache.cleanUp();
      assertEquals(0, cache.size());
      assertEquals(4, cache.metrics().expirationCount());
    }
  }

  @Test
  void theListKeepsExpiryOrderWhateverTheInsertionOrder() {
    ExpiryOrder<String, Integer> order = new ExpiryOrder<>();
    ExpiringNode<String, Integer> a = new ExpiringNode<>("a", 1, 30);
    ExpiringNode<String, Integer> b = new ExpiringNode<>("b", 1, 10);
    ExpiringNode<String, Integer> c = new ExpiringNode<>("c", 1, 20);
    order.add(a);
    order.add(b);
    order.add(c);
    assertSame(b, order.peek());
    order.remove(b);
    assertSame(c, order.peek());
    c.expiresAt = 40;
    c.expiryMoved = true;
    order.reposition(c);
    assertSame(a, order.peek());
    order.remove(a);
    assertSame(c, order.peek());
    order.remove(a); // not linked: ignored
    assertEquals(1, order.size());
    order.remove(c);
    assertNull(order.peek());
    assertEquals(0, order.size());
  }
}
