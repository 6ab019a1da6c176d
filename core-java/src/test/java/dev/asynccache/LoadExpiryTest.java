package dev.asynccache;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.testing.ManualTimeSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@link LoadExpiry}: a loader sets the time to live of the entry its own load creates, matched by
 * value identity, shortest choice wins, counted from the call. Time is a clock the test moves:
 * nothing sleeps to wait for a TTL.
 */
class LoadExpiryTest {
  private static final Duration DEFAULT = Duration.ofSeconds(10);
  private static final Duration NS = Duration.ofNanos(1);

  private static AsyncCache<String, String> cache(ManualTimeSource clock) {
    return AsyncCache.builder().maxSize(100).defaultTtl(DEFAULT).timeSource(clock).build();
  }

  /** The entry of {@code key} is {@code value} (that very object) until {@code ttl} has passed. */
  private static void assertLivesExactly(
      AsyncCache<String, String> cache, ManualTimeSource clock, String key, String value, Duration ttl) {
    clock.advance(ttl.minus(NS));
    cache.cleanUp();
    assertSame(value, cache.getIfPresent(key), key + " is live one nanosecond before " + ttl);
    clock.advance(NS);
    assertNull(cache.getIfPresent(key), key + " expired after " + ttl);
    cache.cleanUp();
  }

  private static void awaitLatch(CountDownLatch latch, String what) throws InterruptedException {
    if (!latch.await(30, TimeUnit.SECONDS)) {
      throw new AssertionError("timed out waiting until " + what);
    }
  }

  private static <T> CompletableFuture<T> onVirtualThread(java.util.function.Supplier<T> task) {
    return CompletableFuture.supplyAsync(task, r -> Thread.ofVirtual().start(r));
  }

  // ----- 1. a shorter time to live than the default -----

  @Test
  void aLoaderChoosingAShorterTtlThanTheDefaultMakesItsEntryExpireThen() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String token = new String("token");
      AtomicInteger loads = new AtomicInteger();
      AtomicBoolean took = new AtomicBoolean();
      String got =
          cache.get(
              "user",
              Ttl.cacheDefault(),
              () -> {
                loads.incrementAndGet();
                took.set(LoadExpiry.expireAfter(cache, "user", token, Ttl.ofSeconds(3)));
                return token;
              });
      assertSame(token, got);
      assertTrue(took.get(), "the load in flight took the choice");
      assertEquals(1, loads.get());
      clock.advance(Duration.ofSeconds(3).minus(NS));
      cache.cleanUp();
      assertSame(token, cache.getIfPresent("user"), "present before its chosen TTL");
      assertEquals(1, cache.size());
      clock.advance(NS);
      cache.cleanUp();
      assertEquals(0, cache.size(), "the expiry pass removed it at its chosen TTL, not the default");
      assertEquals(1, cache.metrics().expirationCount());
      assertNull(cache.getIfPresent("user"));
      assertEquals("again", cache.get("user", () -> "again"));
      assertEquals(2, cache.metrics().loadSuccessCount());
    }
  }

  // ----- 2. longer, never, cache default -----

  @Test
  void aLoaderCanChooseALongerTtlThanTheDefault() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String v = new String("v");
      cache.get("k", () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "k", v, Ttl.ofSeconds(60)));
        return v;
      });
      clock.advance(DEFAULT); // the default would have expired it now
      cache.cleanUp();
      assertSame(v, cache.getIfPresent("k"));
      assertLivesExactly(cache, clock, "k", v, Duration.ofSeconds(50));
    }
  }

  @Test
  void neverOverridesTheCacheDefaultAndTheCallsTtl() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String a = new String("a");
      String b = new String("b");
      cache.get("a", () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "a", a, Ttl.never()));
        return a;
      });
      cache.get("b", Ttl.ofSeconds(1), () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "b", b, Ttl.never()));
        return b;
      });
      clock.advance(Duration.ofDays(10_000));
      cache.cleanUp();
      assertSame(a, cache.getIfPresent("a"));
      assertSame(b, cache.getIfPresent("b"));
      assertEquals(0, cache.metrics().expirationCount());
    }
  }

  @Test
  void aDurationOverridesACallThatAskedForNever() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String v = new String("v");
      cache.get("k", Ttl.never(), () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "k", v, Ttl.ofSeconds(2)));
        return v;
      });
      assertLivesExactly(cache, clock, "k", v, Duration.ofSeconds(2));
    }
  }

  @Test
  void cacheDefaultMeansTheCachesDefaultNotTheCallsTtl() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String v = new String("v");
      cache.get("k", Ttl.ofSeconds(100), () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "k", v, Ttl.cacheDefault()));
        return v;
      });
      assertLivesExactly(cache, clock, "k", v, DEFAULT);
    }
    // Without a default TTL, the cache default is "never".
    try (AsyncCache<String, String> noDefault =
        AsyncCache.builder().maxSize(100).timeSource(clock).build()) {
      String v = new String("v");
      noDefault.get("k", Ttl.ofSeconds(1), () -> {
        assertTrue(LoadExpiry.expireAfter(noDefault, "k", v, Ttl.cacheDefault()));
        return v;
      });
      clock.advance(Duration.ofDays(1));
      noDefault.cleanUp();
      assertSame(v, noDefault.getIfPresent("k"));
    }
  }

  // ----- 3. the time to live counts from the call -----

  @Test
  void theChosenTtlCountsFromTheCallNotFromTheCaching() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String v = new String("v");
      cache.get("k", () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "k", v, Ttl.ofSeconds(5)));
        clock.advance(Duration.ofSeconds(2)); // the loader goes on working
        return v;
      });
      assertLivesExactly(cache, clock, "k", v, Duration.ofSeconds(3));
    }
  }

  @Test
  void aChoiceWhoseTimeRanOutBeforeTheLoadCompletedIsReturnedButNotKept() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String late = new String("late");
      String exact = new String("exact");
      String zero = new String("zero");
      assertSame(late, cache.get("late", () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "late", late, Ttl.ofSeconds(1)));
        clock.advance(Duration.ofSeconds(2));
        return late;
      }));
      assertSame(exact, cache.get("exact", () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "exact", exact, Ttl.ofSeconds(1)));
        clock.advance(Duration.ofSeconds(1)); // exactly used up
        return exact;
      }));
      assertSame(zero, cache.getAsync("zero", () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "zero", zero, Ttl.of(Duration.ZERO)));
        return zero;
      }).get(30, TimeUnit.SECONDS));
      assertNull(cache.getIfPresent("late"));
      assertNull(cache.getIfPresent("exact"));
      assertNull(cache.getIfPresent("zero"));
      assertEquals(0, cache.size(), "not kept");
      assertEquals(3, cache.metrics().loadSuccessCount(), "returned to the callers: a success");
      // One nanosecond left is kept, for one nanosecond.
      String last = new String("last");
      cache.get("last", () -> {
        assertTrue(LoadExpiry.expireAfter(cache, "last", last, Ttl.ofSeconds(1)));
        clock.advance(Duration.ofSeconds(1).minus(NS));
        return last;
      });
      assertSame(last, cache.getIfPresent("last"));
      clock.advance(NS);
      assertNull(cache.getIfPresent("last"));
    }
  }

  // ----- 4. identity, several choices -----

  @Test
  void aChoiceForAnEqualButNotIdenticalValueHasNoEffect() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String v = new String("v");
      AtomicBoolean took = new AtomicBoolean();
      cache.get("k", () -> {
        took.set(LoadExpiry.expireAfter(cache, "k", new String("v"), Ttl.ofSeconds(1)));
        return v;
      });
      assertTrue(took.get(), "the load was in flight (the value only decides whether it applies)");
      clock.advance(Duration.ofSeconds(1));
      cache.cleanUp();
      assertSame(v, cache.getIfPresent("k"), "the choice was for another object");
      assertLivesExactly(cache, clock, "k", v, DEFAULT.minus(Duration.ofSeconds(1)));
    }
  }

  @Test
  void ofSeveralChoicesForTheSameValueTheShortestApplies() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String a = new String("a");
      String b = new String("b");
      String c = new String("c");
      cache.get("a", () -> { // shorter last
        LoadExpiry.expireAfter(cache, "a", a, Ttl.ofSeconds(30));
        LoadExpiry.expireAfter(cache, "a", a, Ttl.ofSeconds(4));
        return a;
      });
      cache.get("b", () -> { // shorter first, then never and longer ones
        LoadExpiry.expireAfter(cache, "b", b, Ttl.ofSeconds(4));
        LoadExpiry.expireAfter(cache, "b", b, Ttl.never());
        LoadExpiry.expireAfter(cache, "b", b, Ttl.ofSeconds(30));
        LoadExpiry.expireAfter(cache, "b", new String("b"), Ttl.of(Duration.ZERO)); // not b
        return b;
      });
      cache.get("c", () -> { // never, then a duration: the duration is shorter
        LoadExpiry.expireAfter(cache, "c", c, Ttl.never());
        LoadExpiry.expireAfter(cache, "c", c, Ttl.ofSeconds(20));
        return c;
      });
      clock.advance(Duration.ofSeconds(4).minus(NS));
      assertSame(a, cache.getIfPresent("a"));
      assertSame(b, cache.getIfPresent("b"));
      clock.advance(NS);
      assertNull(cache.getIfPresent("a"));
      assertNull(cache.getIfPresent("b"));
      clock.advance(Duration.ofSeconds(16).minus(NS));
      assertSame(c, cache.getIfPresent("c"));
      clock.advance(NS);
      assertNull(cache.getIfPresent("c"));
    }
  }

  /** Shortest is compared by the time left at completion, each choice counted from its own call. */
  @Test
  void theShortestIsTheOneWhoseTimeRunsOutFirst() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String v = new String("v");
      cache.get("k", () -> {
        LoadExpiry.expireAfter(cache, "k", v, Ttl.ofSeconds(10)); // ends at +10 s
        clock.advance(Duration.ofSeconds(5));
        LoadExpiry.expireAfter(cache, "k", v, Ttl.ofSeconds(8)); // longer, but ends at +13 s
        return v;
      });
      assertLivesExactly(cache, clock, "k", v, Duration.ofSeconds(5));
    }
  }

  // ----- 5. asynchronous and batch loaders -----

  @Test
  void anAsyncLoaderChoosesOnAnotherThreadBeforeCompletingItsStage() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String v = new String("v");
      String w = new String("w");
      AtomicInteger loads = new AtomicInteger();
      AtomicBoolean tookOnPlainThread = new AtomicBoolean();
      AtomicBoolean tookOnCacheThread = new AtomicBoolean();
      CountDownLatch joined = new CountDownLatch(1);
      CompletableFuture<@Nullable String> first =
          cache.getAsync("k", Ttl.cacheDefault(), executor -> {
            loads.incrementAndGet();
            CompletableFuture<String> stage = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> { // not a cache thread
              try {
                awaitLatch(joined, "a second caller joined");
                tookOnPlainThread.set(LoadExpiry.expireAfter(cache, "k", v, Ttl.ofSeconds(2)));
                stage.complete(v);
              } catch (Throwable t) {
                stage.completeExceptionally(t);
              }
            });
            return stage;
          });
      CompletableFuture<@Nullable String> second =
          cache.getAsync("k", Ttl.cacheDefault(), executor -> {
            loads.incrementAndGet();
            return CompletableFuture.completedFuture("second loader");
          });
      joined.countDown();
      assertSame(v, first.get(30, TimeUnit.SECONDS));
      assertSame(v, second.get(30, TimeUnit.SECONDS), "single-flight: the joiner gets the value");
      assertEquals(1, loads.get());
      assertTrue(tookOnPlainThread.get());
      // On the executor the cache hands the loader, too.
      CompletableFuture<@Nullable String> third =
          cache.getAsync("j", Ttl.ofSeconds(100), executor -> CompletableFuture.supplyAsync(() -> {
            tookOnCacheThread.set(LoadExpiry.expireAfter(cache, "j", w, Ttl.ofSeconds(3)));
            return w;
          }, executor));
      assertSame(w, third.get(30, TimeUnit.SECONDS));
      assertTrue(tookOnCacheThread.get());
      assertLivesExactly(cache, clock, "k", v, Duration.ofSeconds(2));
      assertLivesExactly(cache, clock, "j", w, Duration.ofSeconds(1)); // 3 s from its call
    }
  }

  @Test
  void aBatchLoaderChoosesADifferentTtlPerKey() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      AtomicInteger calls = new AtomicInteger();
      AtomicReference<List<String>> asked = new AtomicReference<>();
      Map<String, String> loaded = new HashMap<>();
      for (String k : List.of("one", "five", "never", "plain", "wrong")) {
        loaded.put(k, new String(k));
      }
      Map<String, String> got =
          cache.getAll(List.of("one", "five", "never", "plain", "wrong"), keys -> {
            calls.incrementAndGet();
            asked.set(keys);
            LoadExpiry.expireAfter(cache, "one", loaded.get("one"), Ttl.ofSeconds(1));
            LoadExpiry.expireAfter(cache, "five", loaded.get("five"), Ttl.ofSeconds(5));
            LoadExpiry.expireAfter(cache, "never", loaded.get("never"), Ttl.never());
            // "plain" chooses nothing; "wrong" chooses for another object
            LoadExpiry.expireAfter(cache, "wrong", new String("wrong"), Ttl.ofSeconds(1));
            return loaded;
          });
      assertEquals(1, calls.get());
      assertEquals(5, asked.get().size());
      assertEquals(5, got.size());
      for (String k : loaded.keySet()) {
        assertSame(loaded.get(k), got.get(k));
      }
      clock.advance(Duration.ofSeconds(1).minus(NS));
      assertSame(loaded.get("one"), cache.getIfPresent("one"));
      clock.advance(NS);
      assertNull(cache.getIfPresent("one"));
      assertSame(loaded.get("wrong"), cache.getIfPresent("wrong"));
      clock.advance(Duration.ofSeconds(4).minus(NS));
      assertSame(loaded.get("five"), cache.getIfPresent("five"));
      clock.advance(NS);
      assertNull(cache.getIfPresent("five"));
      clock.advance(Duration.ofSeconds(5).minus(NS)); // 10 s - 1 ns since the load
      assertSame(loaded.get("plain"), cache.getIfPresent("plain"));
      assertSame(loaded.get("wrong"), cache.getIfPresent("wrong"));
      clock.advance(NS);
      assertNull(cache.getIfPresent("plain"));
      assertNull(cache.getIfPresent("wrong"));
      clock.advance(Duration.ofDays(1));
      cache.cleanUp();
      assertSame(loaded.get("never"), cache.getIfPresent("never"));
      assertEquals(1, cache.size());
    }
  }

  // ----- 6. outside a load, foreign caches, nulls -----

  @Test
  void aCallOutsideAnyLoadReturnsFalseAndHasNoEffect() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String v = new String("v");
      assertFalse(LoadExpiry.expireAfter(cache, "k", v, Ttl.ofSeconds(1)), "no load of k");
      // A later load of k that returns that very object and chooses nothing: the default applies.
      assertSame(v, cache.get("k", () -> v));
      assertFalse(LoadExpiry.expireAfter(cache, "k", v, Ttl.of(Duration.ZERO)), "its load is over");
      cache.set("s", v);
      assertFalse(LoadExpiry.expireAfter(cache, "s", v, Ttl.of(Duration.ZERO)), "a write is no load");
      // From the loader of another key.
      AtomicBoolean otherKey = new AtomicBoolean(true);
      String x = new String("x");
      cache.get("x", () -> {
        otherKey.set(LoadExpiry.expireAfter(cache, "y", x, Ttl.of(Duration.ZERO)));
        return x;
      });
      assertFalse(otherKey.get(), "no load of y");
      clock.advance(Duration.ofSeconds(5));
      cache.cleanUp();
      assertSame(v, cache.getIfPresent("k"));
      assertSame(v, cache.getIfPresent("s"));
      assertSame(x, cache.getIfPresent("x"));
      assertEquals(3, cache.size());
      assertLivesExactly(cache, clock, "k", v, Duration.ofSeconds(5));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void aCacheNotBuiltByTheBuilderIsRefused() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> real = cache(clock)) {
      // A wrapper (a decorating or remote cache) forwarding everything to a real one.
      AsyncCache<String, String> wrapper =
          (AsyncCache<String, String>) Proxy.newProxyInstance(
              AsyncCache.class.getClassLoader(),
              new Class<?>[] {AsyncCache.class},
              (proxy, method, args) -> {
                try {
                  return method.invoke(real, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
              });
      AtomicReference<@Nullable Throwable> thrown = new AtomicReference<>();
      String v = new String("v");
      assertSame(v, wrapper.get("k", () -> {
        try {
          LoadExpiry.expireAfter(wrapper, "k", v, Ttl.ofSeconds(1));
        } catch (Throwable t) {
          thrown.set(t);
        }
        return v;
      }));
      assertTrue(thrown.get() instanceof IllegalArgumentException, "thrown: " + thrown.get());
      clock.advance(Duration.ofSeconds(1));
      assertSame(v, real.getIfPresent("k"), "the refused choice had no effect");
      AsyncCache<String, String> foreign =
          (AsyncCache<String, String>) Proxy.newProxyInstance(
              AsyncCache.class.getClassLoader(),
              new Class<?>[] {AsyncCache.class},
              (proxy, method, args) -> {
                throw new UnsupportedOperationException(method.getName());
              });
      assertThrows(
          IllegalArgumentException.class,
          () -> LoadExpiry.expireAfter(foreign, "k", "v", Ttl.ofSeconds(1)));
    }
  }

  @Test
  void nullArgumentsAreRefused() {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      assertThrows(NullPointerException.class, () -> LoadExpiry.expireAfter(null, "k", "v", Ttl.never()));
      assertThrows(NullPointerException.class, () -> LoadExpiry.expireAfter(cache, null, "v", Ttl.never()));
      assertThrows(NullPointerException.class, () -> LoadExpiry.expireAfter(cache, "k", null, Ttl.never()));
      assertThrows(NullPointerException.class, () -> LoadExpiry.expireAfter(cache, "k", "v", null));
      // Also while the key is loading, and the refused call does not spoil the load.
      AtomicInteger refused = new AtomicInteger();
      String v = new String("v");
      cache.get("k", () -> {
        for (Runnable call :
            List.<Runnable>of(
                () -> LoadExpiry.expireAfter(cache, "k", null, Ttl.of(Duration.ZERO)),
                () -> LoadExpiry.expireAfter(cache, "k", v, null),
                () -> LoadExpiry.expireAfter(cache, null, v, Ttl.of(Duration.ZERO)))) {
          try {
            call.run();
          } catch (NullPointerException expected) {
            refused.incrementAndGet();
          }
        }
        return v;
      });
      assertEquals(3, refused.get());
      assertLivesExactly(cache, clock, "k", v, DEFAULT);
    }
  }

  // ----- 7. a loader overtaken by a write never sets the expiry of the load that replaced it -----

  private static final Duration LONG = Duration.ofHours(1);
  private static final Duration SHORT = Duration.ofSeconds(2);

  /**
   * Loader A of k chooses a long TTL and blocks; a write overtakes it; load B of k starts, chooses
   * a short TTL; A resumes, chooses again (a long TTL or zero) and returns. Whatever the order of
   * A's second choice and B, B's entry has B's TTL and A's value is never cached. A and B return
   * equal but distinct strings. Fresh caches, 3 interleavings x 3 writes, 216 rounds.
   */
  @Test
  void anOvertakenLoaderNeverSetsTheExpiryOfTheLoadThatReplacedIt() throws Exception {
    for (int round = 0; round < 216; round++) {
      int order = round % 3; // 0: A resumes while B is in flight; 1: after B; 2: racing B
      int write = (round / 3) % 3; // 0: delete; 1: set then delete; 2: set with a zero TTL
      Ttl aSecond = round % 2 == 0 ? Ttl.of(LONG) : Ttl.of(Duration.ZERO);
      String where = "round " + round + " (order " + order + ", write " + write + ", A's second " + aSecond + ")";
      ManualTimeSource clock = new ManualTimeSource();
      try (AsyncCache<String, String> cache =
          AsyncCache.builder().maxSize(10).defaultTtl(DEFAULT).timeSource(clock).build()) {
        String valueA = new String("v");
        String valueB = new String("v");
        AtomicInteger loadsA = new AtomicInteger();
        AtomicInteger loadsB = new AtomicInteger();
        AtomicBoolean aFirstTook = new AtomicBoolean();
        AtomicReference<@Nullable Boolean> aSecondTook = new AtomicReference<>();
        CountDownLatch aChose = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        CountDownLatch bChose = new CountDownLatch(1);
        CountDownLatch releaseB = new CountDownLatch(order == 0 ? 1 : 0);
        CompletableFuture<@Nullable String> a = onVirtualThread(() -> cache.get("k", () -> {
          loadsA.incrementAndGet();
          aFirstTook.set(LoadExpiry.expireAfter(cache, "k", valueA, Ttl.of(LONG)));
          aChose.countDown();
          awaitLatch(releaseA, "A released");
          aSecondTook.set(LoadExpiry.expireAfter(cache, "k", valueA, aSecond));
          return valueA;
        }));
        awaitLatch(aChose, "A chose");
        assertTrue(aFirstTook.get(), where);
        switch (write) {
          case 0 -> cache.delete("k");
          case 1 -> {
            cache.set("k", "written");
            cache.delete("k");
          }
          default -> cache.set("k", "written", Ttl.of(Duration.ZERO));
        }
        assertNull(cache.getIfPresent("k"), where);
        CompletableFuture<@Nullable String> b = onVirtualThread(() -> cache.get("k", () -> {
          loadsB.incrementAndGet();
          assertTrue(LoadExpiry.expireAfter(cache, "k", valueB, Ttl.of(SHORT)), "B's load took it");
          bChose.countDown();
          awaitLatch(releaseB, "B released");
          return valueB;
        }));
        awaitLatch(bChose, "B chose");
        switch (order) {
          case 0 -> {
            releaseA.countDown();
            assertSame(valueA, a.get(30, TimeUnit.SECONDS), where + ": A's callers get A's value");
            assertNull(cache.getIfPresent("k"), where + ": A's value is not cached");
            assertFalse(b.isDone(), where);
            releaseB.countDown();
            assertSame(valueB, b.get(30, TimeUnit.SECONDS), where);
          }
          case 1 -> {
            assertSame(valueB, b.get(30, TimeUnit.SECONDS), where);
            assertSame(valueB, cache.getIfPresent("k"), where);
            releaseA.countDown();
            assertSame(valueA, a.get(30, TimeUnit.SECONDS), where);
            assertEquals(Boolean.FALSE, aSecondTook.get(), where + ": no load in flight any more");
          }
          default -> {
            releaseA.countDown();
            assertSame(valueA, a.get(30, TimeUnit.SECONDS), where);
            assertSame(valueB, b.get(30, TimeUnit.SECONDS), where);
          }
        }
        assertEquals(1, loadsA.get(), where);
        assertEquals(1, loadsB.get(), where + ": B was not joined to the overtaken load");
        assertEquals(2, cache.metrics().loadSuccessCount(), where);
        assertSame(valueB, cache.getIfPresent("k"), where + ": B's value, never A's");
        assertEquals(1, cache.size(), where);
        clock.advance(SHORT.minus(NS));
        assertSame(valueB, cache.getIfPresent("k"), where + ": B's entry lives B's TTL");
        clock.advance(NS);
        assertNull(cache.getIfPresent("k"), where + ": B's entry expires at B's TTL, not A's");
        cache.cleanUp();
        assertEquals(0, cache.size(), where);
      }
    }
  }

  /**
   * As above, but A and B complete with the very same object (a canonical value: an interned
   * string, an enum constant, a shared "not found" marker). The Javadoc says that a loader a write
   * overtook can never set the expiry of the load that replaced it; but the overtaken loader's
   * late call finds B's load in the in-flight map and, the value being identical, B takes it.
   */
  @Test
  void anOvertakenLoaderReturningTheSameObjectAsItsReplacementDoesNotSetItsExpiry() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache = cache(clock)) {
      String shared = "NOT_FOUND"; // one object for both loaders
      CountDownLatch aChose = new CountDownLatch(1);
      CountDownLatch releaseA = new CountDownLatch(1);
      CountDownLatch bChose = new CountDownLatch(1);
      CountDownLatch releaseB = new CountDownLatch(1);
      CompletableFuture<@Nullable String> a = onVirtualThread(() -> cache.get("k", () -> {
        LoadExpiry.expireAfter(cache, "k", shared, Ttl.of(LONG));
        aChose.countDown();
        awaitLatch(releaseA, "A released");
        LoadExpiry.expireAfter(cache, "k", shared, Ttl.of(Duration.ZERO)); // late: B is in flight
        return shared;
      }));
      awaitLatch(aChose, "A chose");
      cache.delete("k");
      CompletableFuture<@Nullable String> b = onVirtualThread(() -> cache.get("k", () -> {
        LoadExpiry.expireAfter(cache, "k", shared, Ttl.of(LONG));
        bChose.countDown();
        awaitLatch(releaseB, "B released");
        return shared;
      }));
      awaitLatch(bChose, "B chose");
      releaseA.countDown();
      assertSame(shared, a.get(30, TimeUnit.SECONDS));
      releaseB.countDown();
      assertSame(shared, b.get(30, TimeUnit.SECONDS));
      assertSame(shared, cache.getIfPresent("k"), "B's entry is kept with B's TTL, not A's zero");
      assertLivesExactly(cache, clock, "k", shared, LONG);
    }
  }

  // ----- 8. refresh -----

  @Test
  void aBackgroundRefreshThatChoosesATtlGivesItToTheRefreshedEntry() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .maxSize(100)
            .defaultTtl(Duration.ofMinutes(10))
            .refreshAfterWrite(Duration.ofMinutes(1))
            .timeSource(clock)
            .build()) {
      String v1 = new String("v1");
      String v2 = new String("v2");
      assertSame(v1, cache.get("k", () -> v1));
      clock.advance(Duration.ofSeconds(61));
      AtomicInteger reloads = new AtomicInteger();
      AtomicBoolean took = new AtomicBoolean();
      assertSame(v1, cache.get("k", () -> {
        reloads.incrementAndGet();
        took.set(LoadExpiry.expireAfter(cache, "k", v2, Ttl.ofSeconds(5)));
        return v2;
      }), "a due read is served at once");
      awaitTrue("the refresh replaced the entry", () -> cache.getIfPresent("k") == v2);
      awaitTrue("the refresh is counted", () -> cache.metrics().loadSuccessCount() == 2);
      assertEquals(1, reloads.get());
      assertEquals(1, cache.metrics().refreshCount());
      assertTrue(took.get(), "the refresh was the load in flight");
      assertLivesExactly(cache, clock, "k", v2, Duration.ofSeconds(5));
    }
  }

  @Test
  void aBackgroundRefreshWhoseChosenTimeRanOutLeavesNothingCached() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .maxSize(100)
            .defaultTtl(Duration.ofMinutes(10))
            .refreshAfterWrite(Duration.ofMinutes(1))
            .timeSource(clock)
            .build()) {
      String v1 = new String("v1");
      String v2 = new String("v2");
      cache.get("k", () -> v1);
      clock.advance(Duration.ofSeconds(61));
      assertSame(v1, cache.get("k", () -> {
        LoadExpiry.expireAfter(cache, "k", v2, Ttl.of(Duration.ZERO));
        return v2;
      }));
      awaitTrue("the refresh ended", () -> cache.metrics().loadSuccessCount() == 2);
      // Neither the fresh value (already expired) nor the value it was to replace.
      assertNull(cache.getIfPresent("k"));
      assertEquals(0, cache.size());
    }
  }
}
