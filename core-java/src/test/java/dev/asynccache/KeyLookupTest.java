package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The hit path looks {@code String} keys up on a path of their own (see {@code EntryStore.find}):
 * equal keys must meet there whatever the instance, and other key classes keep the plain lookup.
 */
class KeyLookupTest {

  /** A key class whose instances all share one hash, so every lookup compares with equals. */
  record Colliding(int id) {
    @Override
    public int hashCode() {
      return 42;
    }
  }

  @Test
  void anEqualStringThatIsAnotherInstanceHits() {
    try (AsyncCache<String, String> cache = AsyncCache.builder().maxSize(100).build()) {
      String stored = new String(new char[] {'k', 'e', 'y'});
      cache.set(stored, "v");
      String asked = new StringBuilder("ke").append('y').toString();
      AtomicInteger loads = new AtomicInteger();

      assertEquals("v", cache.getIfPresent(asked));
      assertEquals("v", cache.get(asked, () -> "loaded-" + loads.incrementAndGet()));
      assertEquals(0, loads.get());
      assertEquals(2, cache.metrics().hitCount());
      assertNull(cache.getIfPresent("kez"));
    }
  }

  @Test
  void otherKeyClassesStillMeetByEquals() {
    try (AsyncCache<Object, String> cache = AsyncCache.builder().maxSize(100).build()) {
      for (int i = 0; i < 10; i++) {
        cache.set(new Colliding(i), "c" + i);
      }
      cache.set(7L, "long");
      cache.set("7", "string");

      for (int i = 0; i < 10; i++) {
        assertEquals("c" + i, cache.getIfPresent(new Colliding(i)));
      }
      assertEquals("long", cache.getIfPresent(Long.valueOf(7)));
      assertEquals("string", cache.getIfPresent("7"));
      assertNull(cache.getIfPresent(7)); // an Integer is not equal to the Long
      assertNull(cache.getIfPresent(new Colliding(10)));
    }
  }
}
