package dev.asynccache.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each facade really drives its cache: the benchmarks measure what they claim to. */
class CacheTypeTest {

  @ParameterizedTest
  @EnumSource(CacheType.class)
  void facade_putGetLoadInvalidate(CacheType type) {
    BenchCache<Integer, Integer> cache = type.create(100);
    try {
      assertNull(cache.getIfPresent(1));
      cache.put(1, 10);
      assertEquals(10, cache.getIfPresent(1));
      AtomicInteger loads = new AtomicInteger();
      assertEquals(10, cache.get(1, k -> loads.incrementAndGet()), "a hit must not load");
      assertEquals(0, loads.get());
      cache.invalidate(1);
      assertNull(cache.getIfPresent(1));
      assertEquals(1, cache.get(1, k -> loads.incrementAndGet()));
      assertEquals(1, cache.get(1, k -> loads.incrementAndGet()));
      assertEquals(1, loads.get(), "the second get must hit what the first loaded");
    } finally {
      cache.close();
    }
  }

  @ParameterizedTest
  @EnumSource(CacheType.class)
  void facade_boundedTypesEvict(CacheType type) {
    BenchCache<Integer, Integer> cache = type.create(100);
    try {
      for (int i = 0; i < 1_000; i++) {
        cache.put(i, i);
      }
      cache.cleanUp();
      if (type.family() == Family.CHM) {
        assertEquals(1_000, cache.size(), "the map is the unbounded floor");
      } else {
        assertTrue(cache.size() <= 100, type + " holds " + cache.size());
      }
    } finally {
      cache.close();
    }
  }

  @ParameterizedTest
  @EnumSource(CacheType.class)
  void variant_namesTheTtl(CacheType type) {
    assertEquals(type.name().endsWith("_TTL"), type.hasTtl());
    assertEquals(type.hasTtl() ? "TTL 5 min" : "no TTL", type.variant());
  }
}
