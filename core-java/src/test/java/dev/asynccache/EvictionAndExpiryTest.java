package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.testing.ManualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class EvictionAndExpiryTest {

  @Test
  void evictsTheLeastRecentlyUsed() {
    try (AsyncCache<Integer, String> cache =
        AsyncCache.builder().maxSize(3).evictionPolicy(EvictionPolicy.LRU).build()) {
      cache.set(1, "a");
      cache.set(2, "b");
      cache.set(3, "c");
      assertEquals("a", cache.getIfPresent(1)); // 1 is now the most recent: 2 is the victim
      cache.set(4, "d");
      assertNull(cache.getIfPresent(2));
      assertEquals(3, cache.size());
      assertEquals(1, cache.metrics().evictionCount());
      assertEquals("a", cache.getIfPresent(1));
      assertEquals("c", cache.getIfPresent(3));
      assertEquals("d", cache.getIfPresent(4));
    }
  }

  /** Many reads (more than the read buffers hold) between writes: the order is still exact. */
  @RepeatedTest(20)
  void singleThreadedVictimIsExactlyTheLeastRecentlyUsed(org.junit.jupiter.api.RepetitionInfo info) {
    Random random = new Random(info.getCurrentRepetition());
    int max = 50;
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().maxSize(max).evictionPolicy(EvictionPolicy.LRU).build()) {
      java.util.LinkedHashMap<Integer, Integer> model = new java.util.LinkedHashMap<>(16, 0.75f, true);
      for (int step = 0; step < 20_000; step++) {
        int key = random.nextInt(120);
        if (random.nextInt(4) == 0) {
          cache.set(key, key);
          model.put(key, key);
          if (model.size() > max) {
            Integer eldest = model.keySet().iterator().next();
            model.remove(eldest);
          }
        } else {
          Integer got = cache.getIfPresent(key);
          Integer expected = model.get(key);
          assertEquals(expected, got, "step " + step + " key " + key);
        }
        assertTrue(cache.size() <= max);
      }
    }
  }

  @Test
  void loadsCountAsWritesAndHitsAsUse() {
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().maxSize(2).evictionPolicy(EvictionPolicy.LRU).build()) {
      cache.get(1, () -> 1);
      cache.get(2, () -> 2);
      cache.get(1, () -> -1); // hit: 1 becomes most recent
      cache.get(3, () -> 3);
      assertNull(cache.getIfPresent(2));
      assertEquals(1, cache.getIfPresent(1));
    }
  }

  /** Concurrent writers: once each write returns, the size is within the bound. */
  @RepeatedTest(5)
  void sizeNeverExceedsMaxSizeAfterAWrite() throws Exception {
    int max = 100;
    try (AsyncCache<Integer, Integer> cache = AsyncCache.builder().maxSize(max).build();
        var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      CountDownLatch start = new CountDownLatch(1);
      AtomicLong worst = new AtomicLong();
      List<Future<?>> tasks = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int seed = t;
        tasks.add(executor.submit(() -> {
          start.await();
          Random random = new Random(seed);
          for (int i = 0; i < 5_000; i++) {
            int k = random.nextInt(10_000);
            if (i % 3 == 0) {
              cache.get(k, () -> k);
            } else {
              cache.set(k, k);
            }
            worst.accumulateAndGet(cache.size(), Math::max);
            cache.getIfPresent(random.nextInt(10_000));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : tasks) {
        f.get();
      }
      assertTrue(worst.get() <= max, "size reached " + worst.get());
      assertEquals(max, cache.size());
    }
  }

  @Test
  void defaultTtlExplicitTtlAndNeverStayDistinct() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().defaultTtl(Duration.ofSeconds(10)).timeSource(clock).build()) {
      cache.set("default", "d");
      cache.set("explicit", "e", Ttl.ofSeconds(30));
      cache.set("never", "n", Ttl.never());
      cache.get("loaded", Ttl.ofSeconds(5), () -> "l");
      clock.advance(Duration.ofSeconds(5));
      assertNull(cache.getIfPresent("loaded"), "expired exactly at its TTL");
      clock.advance(Duration.ofMillis(4_999));
      assertEquals("d", cache.getIfPresent("default"));
      clock.advance(Duration.ofMillis(1));
      assertNull(cache.getIfPresent("default"));
      assertEquals("e", cache.getIfPresent("explicit"));
      clock.advance(Duration.ofSeconds(20));
      assertNull(cache.getIfPresent("explicit"));
      clock.advance(Duration.ofDays(10_000));
      assertEquals("n", cache.getIfPresent("never"));
      assertEquals(3, cache.metrics().expirationCount());
    }
  }

  @Test
  void expiredEntriesAreReloadedNotReturned() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, Integer> cache = AsyncCache.builder().timeSource(clock).build()) {
      assertEquals(1, cache.get("k", Ttl.ofSeconds(1), () -> 1));
      assertEquals(1, cache.get("k", Ttl.ofSeconds(1), () -> 2));
      clock.advance(Duration.ofSeconds(1));
      assertEquals(2, cache.get("k", Ttl.ofSeconds(1), () -> 2));
    }
  }

  @Test
  void zeroTtlReturnsTheValueButKeepsNothing() {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      cache.set("k", "old");
      assertEquals("v", cache.get("j", Ttl.of(Duration.ZERO), () -> "v"));
      cache.set("k", "new", Ttl.of(Duration.ZERO));
      assertNull(cache.getIfPresent("k"));
      assertNull(cache.getIfPresent("j"));
      assertEquals(0, cache.size());
    }
  }

  /** Expired entries nobody reads again do not pile up: writes and cleanUp() remove them. */
  @Test
  void expiredEntriesDoNotPileUp() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().unbounded().defaultTtl(Duration.ofSeconds(1)).timeSource(clock).build()) {
      for (int i = 0; i < 1_000; i++) {
        cache.set(i, i);
      }
      clock.advance(Duration.ofSeconds(2));
      cache.set(-1, -1); // a write removes everything that has expired
      assertEquals(1, cache.size());
      for (int i = 0; i < 1_000; i++) {
        cache.set(i, i);
      }
      clock.advance(Duration.ofSeconds(2));
      cache.cleanUp();
      assertEquals(0, cache.size());
      assertEquals(2_001, cache.metrics().expirationCount());
    }
  }

  /**
   * Reads alone also sweep expired entries, a bounded number per buffer drain (here on the
   * reader's thread, so that the test need not wait for the maintenance thread).
   */
  @Test
  void readsSweepExpiredEntriesOverTime() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().unbounded().timeSource(clock).maintenanceExecutor(Runnable::run).build()) {
      cache.set(0, 0, Ttl.never());
      for (int i = 1; i <= 500; i++) {
        cache.set(i, i, Ttl.ofSeconds(1));
      }
      clock.advance(Duration.ofSeconds(1));
      for (int i = 0; i < 10_000; i++) {
        cache.getIfPresent(0);
      }
      assertEquals(1, cache.size());
    }
  }

  @Test
  void deleteAndClear() {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      cache.set("a", "1");
      cache.set("b", "2");
      assertTrue(cache.delete("a"));
      assertFalse(cache.delete("a"));
      assertNull(cache.getIfPresent("a"));
      cache.clear();
      assertEquals(0, cache.size());
      assertNull(cache.getIfPresent("b"));
      cache.set("c", "3");
      assertEquals("3", cache.getIfPresent("c"));
    }
  }
}
