package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The write of a live expiring key that changes value and expiry in place, without the store's
 * lock (issue 10): its races with expiry, eviction and other writes of the key.
 */
class InPlaceTtlWriteTest {
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final long TTL_NANOS = TTL.toNanos();

  /** A manual clock that can stop one chosen thread right after it reads the time. */
  static final class GatedClock implements TimeSource {
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    volatile Thread gated;
    final CountDownLatch reached = new CountDownLatch(1);
    final CountDownLatch resume = new CountDownLatch(1);

    @Override
    public long nanoTime() {
      long now = nanos.get();
      if (Thread.currentThread() == gated) {
        gated = null;
        reached.countDown();
        try {
          if (!resume.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("never resumed");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return now;
    }
  }

  @Test
  void rewritingAKeyMovesItsExpiryInPlace() {
    GatedClock clock = new GatedClock();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().maxSize(10).defaultTtl(TTL).timeSource(clock).build()) {
      cache.set("k", "a");
      clock.nanos.addAndGet(TTL_NANOS - 1);
      cache.set("k", "b"); // one nanosecond before expiry: the expiry moves a whole TTL later
      clock.nanos.addAndGet(TTL_NANOS - 1);
      cache.cleanUp();
      assertEquals("b", cache.getIfPresent("k"));
      assertEquals(0, cache.metrics().expirationCount());
      clock.nanos.addAndGet(1);
      cache.cleanUp();
      assertNull(cache.getIfPresent("k"));
      assertEquals(1, cache.metrics().expirationCount());
      assertEquals(0, cache.size());
    }
  }

  @Test
  void aShorterTtlReplacesTheEntryAndExpiresOnTime() {
    GatedClock clock = new GatedClock();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().maxSize(10).defaultTtl(TTL).timeSource(clock).build()) {
      cache.set("k", "a");
      cache.set("k", "b", Ttl.ofSeconds(1));
      clock.nanos.addAndGet(Duration.ofSeconds(1).toNanos());
      assertNull(cache.getIfPresent("k"));
    }
  }

  /**
   * The writer found the entry live and read its clock; before it writes, the clock passes the old
   * expiry and the expiry pass removes the entry. The write must not land in the removed node and
   * be lost: it finds the node retired and redoes itself under the lock.
   */
  @Test
  void aWriteThatRacesTheExpiryOfItsKeyIsNotLost() throws Exception {
    GatedClock clock = new GatedClock();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().maxSize(10).defaultTtl(TTL).timeSource(clock).build()) {
      cache.set("k", "old");
      clock.nanos.addAndGet(TTL_NANOS - 1);
      Thread writer = Thread.ofVirtual().unstarted(() -> cache.set("k", "new"));
      clock.gated = writer;
      writer.start();
      assertTrue(clock.reached.await(30, TimeUnit.SECONDS));
      clock.nanos.addAndGet(1); // "old" expires now
      cache.cleanUp();
      assertEquals(1, cache.metrics().expirationCount(), "the expiry pass removed the old entry");
      clock.resume.countDown();
      writer.join();
      assertEquals("new", cache.getIfPresent("k"), "the write that returned was lost");
      clock.nanos.addAndGet(TTL_NANOS - 2);
      cache.cleanUp();
      assertEquals("new", cache.getIfPresent("k"), "the redone write has a full TTL");
      assertEquals(1, cache.size());
    }
  }

  /** As above, with the removal done by a reader that finds the entry expired. */
  @Test
  void aWriteThatRacesAReaderRemovingTheExpiredEntryIsNotLost() throws Exception {
    GatedClock clock = new GatedClock();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().maxSize(10).defaultTtl(TTL).timeSource(clock).build()) {
      cache.set("k", "old");
      clock.nanos.addAndGet(TTL_NANOS - 1);
      Thread writer = Thread.ofVirtual().unstarted(() -> cache.set("k", "new"));
      clock.gated = writer;
      writer.start();
      assertTrue(clock.reached.await(30, TimeUnit.SECONDS));
      clock.nanos.addAndGet(1);
      assertNull(cache.getIfPresent("k"), "the old entry expired");
      clock.resume.countDown();
      writer.join();
      assertEquals("new", cache.getIfPresent("k"));
    }
  }

  /**
   * Writers rewrite keys at their expiry while another thread runs the expiry pass, on real
   * threads: every write that returned is read back afterwards (none lands in a node on its way
   * out), and the expired ones are counted exactly once.
   */
  @Test
  void writesAtTheExpiryBoundaryRacingTheExpiryPassAreNeverLost() throws Exception {
    int rounds = 2_000;
    int keys = 8;
    AtomicInteger lost = new AtomicInteger();
    AtomicLong nanos = new AtomicLong(1_000_000_000L);
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().maxSize(100).defaultTtl(TTL).timeSource(nanos::get).build()) {
      for (int round = 0; round < rounds; round++) {
        for (int k = 0; k < keys; k++) {
          cache.set(k, -1);
        }
        nanos.addAndGet(TTL_NANOS - 1);
        CyclicBarrier start = new CyclicBarrier(3);
        int value = round;
        Thread w1 = Thread.ofPlatform().start(() -> {
          await(start);
          for (int k = 0; k < keys; k += 2) {
            cache.set(k, value);
          }
        });
        Thread w2 = Thread.ofPlatform().start(() -> {
          await(start);
          for (int k = 1; k < keys; k += 2) {
            cache.set(k, value);
          }
        });
        await(start);
        nanos.addAndGet(1); // the first writes of the round are expiring now
        cache.cleanUp();
        w1.join();
        w2.join();
        for (int k = 0; k < keys; k++) {
          Integer got = cache.getIfPresent(k);
          if (got == null || got != value) {
            lost.incrementAndGet();
          }
        }
        nanos.addAndGet(TTL_NANOS); // everything expires before the next round
        cache.cleanUp();
        assertEquals(0, cache.size());
      }
      assertEquals(0, lost.get(), "writes that returned and were not read back");
      long expired = cache.metrics().expirationCount();
      // Per key and round: the second write always expires at the end; the first one too when
      // the expiry pass took it before the write (which then inserted anew), else it was extended.
      assertTrue(expired >= (long) rounds * keys && expired <= 2L * rounds * keys, "expired " + expired);
      assertEquals(0, cache.metrics().evictionCount());
    }
  }

  /**
   * An in-place rewrite (default TTL, 10 s) races a rewrite that must replace the node under the
   * lock (a shorter TTL, 1 s) of the same key: whichever value survives carries its own expiry,
   * never the other write's.
   */
  @Test
  void anInPlaceRewriteRacingAReplacementOfTheSameKeyNeverMixesValueAndExpiry() throws Exception {
    AtomicLong nanos = new AtomicLong(1_000_000_000L);
    int mixed = 0;
    int longWon = 0;
    int shortWon = 0;
    try (AsyncCache<Integer, String> cache =
        AsyncCache.builder().maxSize(100).defaultTtl(TTL).timeSource(nanos::get).build()) {
      for (int round = 0; round < 2_000; round++) {
        cache.set(round, "first");
        CyclicBarrier start = new CyclicBarrier(2);
        int key = round;
        Thread inPlace = Thread.ofPlatform().start(() -> {
          await(start);
          cache.set(key, "long");
        });
        await(start);
        cache.set(key, "short", Ttl.ofSeconds(1));
        inPlace.join();
        String value = cache.getIfPresent(key);
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        String later = cache.getIfPresent(key);
        if ("long".equals(value)) {
          longWon++;
          mixed += "long".equals(later) ? 0 : 1;
        } else if ("short".equals(value)) {
          shortWon++;
          mixed += later == null ? 0 : 1;
        } else {
          mixed++;
        }
        nanos.addAndGet(TTL_NANOS);
        cache.cleanUp();
      }
    }
    assertEquals(0, mixed, "rounds whose surviving value had the other write's expiry"
        + " (long won " + longWon + ", short won " + shortWon + ")");
  }

  /**
   * Two threads rewrite present keys in place and insert absent ones (default TTL), with
   * eviction running: the size never exceeds the bound once a write returns, and the counters
   * agree at the end.
   */
  @Test
  void theSizeBoundHoldsUnderConcurrentInPlaceRewritesAndInserts() throws Exception {
    int max = 64;
    AtomicLong nanos = new AtomicLong(1_000_000_000L);
    AtomicInteger overflows = new AtomicInteger();
    AtomicInteger writes = new AtomicInteger();
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().maxSize(max).defaultTtl(TTL).timeSource(nanos::get).build()) {
      CyclicBarrier start = new CyclicBarrier(2);
      Runnable writer = () -> {
        await(start);
        java.util.Random random = new java.util.Random(Thread.currentThread().threadId());
        for (int i = 0; i < 50_000; i++) {
          int key = random.nextInt(4) == 0 ? random.nextInt(10_000) : random.nextInt(max / 2);
          cache.set(key, i);
          writes.incrementAndGet();
          if (cache.size() > max) {
            overflows.incrementAndGet();
          }
        }
      };
      Thread a = Thread.ofPlatform().start(writer);
      Thread b = Thread.ofPlatform().start(writer);
      a.join();
      b.join();
      assertEquals(100_000, writes.get());
      assertEquals(0, overflows.get(), "writes after which the cache held more than " + max);
      CacheMetrics m = cache.metrics();
      assertTrue(m.size() <= max && m.size() > max / 2, "size " + m.size());
      assertEquals(m.size(), m.weightedSize());
      assertTrue(m.evictionCount() > 0, "inserts of absent keys evicted");
    }
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
