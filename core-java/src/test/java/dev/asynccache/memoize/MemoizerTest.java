package dev.asynccache.memoize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.LoadException;
import dev.asynccache.testing.ManualTimeSource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class MemoizerTest {

  @Test
  void lruCachesPerArgumentAndEvicts() {
    AtomicInteger calls = new AtomicInteger();
    MemoizedFunction<Integer, String> f = Memoizer.lru().maxSize(2).function(x -> {
      calls.incrementAndGet();
      return "r" + x;
    });
    assertEquals("r1", f.apply(1));
    assertEquals("r1", f.apply(1));
    assertEquals(1, calls.get());
    f.apply(2);
    f.apply(3); // evicts 1
    f.apply(1);
    assertEquals(4, calls.get());
    assertEquals(2, f.metrics().size());
  }

  @Test
  void ttlExpiresWithTheInjectedClock() {
    ManualTimeSource clock = new ManualTimeSource();
    AtomicInteger calls = new AtomicInteger();
    MemoizedFunction<String, Integer> f =
        Memoizer.ttl().timeSource(clock).function(s -> calls.incrementAndGet());
    assertEquals(1, f.apply("a"));
    clock.advance(Duration.ofSeconds(59));
    assertEquals(1, f.apply("a"));
    clock.advance(Duration.ofSeconds(1)); // the default 60 s have passed
    assertEquals(2, f.apply("a"));
  }

  @RepeatedTest(10)
  void concurrentEqualCallsRunOnce() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    MemoizedFunction<String, String> f = Memoizer.lru().function(s -> {
      calls.incrementAndGet();
      release.await();
      return s.toUpperCase();
    });
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        results.add(executor.submit(() -> f.apply("x")));
      }
      dev.asynccache.testing.Concurrency.awaitTrue("callers joined", () -> f.metrics().joinedLoadCount() == 199);
      release.countDown();
      for (Future<String> r : results) {
        assertEquals("X", r.get());
      }
    }
    assertEquals(1, calls.get());
  }

  @Test
  void skipLeadingArgsLeavesThemOutOfTheKey() {
    AtomicInteger calls = new AtomicInteger();
    MemoizedBiFunction<Object, Integer, Integer> f =
        Memoizer.lru().skipLeadingArgs(1).biFunction((ctx, x) -> calls.incrementAndGet() * 0 + x * 2);
    assertEquals(4, f.apply("request-1", 2));
    assertEquals(4, f.apply("request-2", 2));
    assertEquals(1, calls.get());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Memoizer.lru().skipLeadingArgs(3).biFunction((a, b) -> 1));
    assertEquals("skipLeadingArgs(3) is more than the 2 argument(s) of the function", e.getMessage());
  }

  @Test
  void refreshBypassesThenUpdates() {
    AtomicInteger version = new AtomicInteger();
    MemoizedFunction<String, Integer> f = Memoizer.lru().function(s -> version.incrementAndGet());
    assertEquals(1, f.apply("k"));
    assertEquals(2, f.refresh("k"));
    assertEquals(2, f.apply("k"));
    f.invalidate("k");
    assertEquals(3, f.apply("k"));
  }

  @Test
  void failuresAndNullsAreNotCachedAndArraysCompareByContent() {
    AtomicInteger calls = new AtomicInteger();
    MemoizedFunction<int[], String> f = Memoizer.lru().function(a -> {
      int n = calls.incrementAndGet();
      if (n == 1) {
        throw new IOException("first call fails");
      }
      return n == 2 ? null : "ok" + a.length;
    });
    LoadException e = assertThrows(LoadException.class, () -> f.apply(new int[] {1, 2}));
    assertTrue(e.getCause() instanceof IOException);
    assertNull(f.apply(new int[] {1, 2}));
    assertEquals("ok2", f.apply(new int[] {1, 2}));
    assertEquals("ok2", f.apply(new int[] {1, 2}));
    assertEquals(3, calls.get());
    assertThrows(IllegalArgumentException.class, () -> Memoizer.lru().maxSize(0));
    assertThrows(IllegalArgumentException.class, () -> Memoizer.ttl().timeToLive(Duration.ZERO));
  }

  interface Prices {
    @LruCached(maxSize = 10)
    long price(String sku) throws IOException;

    @TtlCached(seconds = 30, skipArgs = 1)
    String label(Object requestContext, String sku);

    String uncached(String sku);
  }

  static final class CountingPrices implements Prices {
    final AtomicInteger priceCalls = new AtomicInteger();
    final AtomicInteger labelCalls = new AtomicInteger();
    final AtomicInteger uncachedCalls = new AtomicInteger();

    @Override
    public long price(String sku) throws IOException {
      if (sku.isEmpty()) {
        throw new IOException("no sku");
      }
      return 100L + priceCalls.incrementAndGet();
    }

    @Override
    public String label(Object requestContext, String sku) {
      labelCalls.incrementAndGet();
      return "label-" + sku;
    }

    @Override
    public String uncached(String sku) {
      uncachedCalls.incrementAndGet();
      return sku;
    }
  }

  @Test
  void proxyMemoizesAnnotatedMethods() throws Exception {
    CountingPrices target = new CountingPrices();
    Prices prices = Memoizer.proxy(Prices.class, target);
    assertEquals(101, prices.price("a"));
    assertEquals(101, prices.price("a"));
    assertEquals(1, target.priceCalls.get());
    assertEquals("label-a", prices.label(new Object(), "a"));
    assertEquals("label-a", prices.label(new Object(), "a"));
    assertEquals(1, target.labelCalls.get());
    prices.uncached("a");
    prices.uncached("a");
    assertEquals(2, target.uncachedCalls.get());
    // A declared checked exception reaches the caller as itself.
    assertThrows(IOException.class, () -> prices.price(""));
    // Force refresh.
    assertEquals(102, (long) Memoizer.refreshing(() -> prices.price("a")));
    assertEquals(102, prices.price("a"));
    assertTrue(prices.toString().startsWith("Memoized["));
    assertSame(prices, prices);
    assertEquals(prices, prices);
  }

  interface Broken {
    @LruCached(maxSize = 0)
    String f(String s);
  }

  @Test
  void badAnnotationIsAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Memoizer.proxy(Broken.class, s -> s));
    assertTrue(e.getMessage().contains("maxSize must be at least 1, was 0"), e.getMessage());
  }
}
