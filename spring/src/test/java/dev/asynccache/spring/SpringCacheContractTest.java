package dev.asynccache.spring;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.CacheClosedException;
import dev.asynccache.testing.ManualTimeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.cache.Cache;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.support.NullValue;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;

/**
 * Each point of Spring's {@link Cache} contract, through {@code @Cacheable} and friends in a real
 * application context whose CacheManager is an {@link AsyncCacheManager}.
 */
class SpringCacheContractTest {
  private static final int CALLERS = 1_000;

  private AnnotationConfigApplicationContext context;
  private Service service;
  private Probe probe;
  private AsyncCacheManager manager;
  private ManualTimeSource clock;

  @BeforeEach
  void start() {
    context = new AnnotationConfigApplicationContext(Config.class);
    service = context.getBean(Service.class);
    probe = context.getBean(Probe.class);
    manager = context.getBean(AsyncCacheManager.class);
    clock = context.getBean(ManualTimeSource.class);
  }

  @AfterEach
  void stop() {
    context.close();
  }

  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class Config {
    @Bean
    ManualTimeSource clock() {
      return new ManualTimeSource();
    }

    @Bean
    AsyncCacheManager cacheManager(ManualTimeSource clock) {
      CacheSpec defaults = new CacheSpec(1_000L, Duration.ofMinutes(1), null, null, null, null, null);
      CacheSpec shortLived = new CacheSpec(null, Duration.ofSeconds(5), null, null, null, null, null);
      return new AsyncCacheManager(
          AsyncCacheFactory.fromSpecs(
              defaults, Map.of("short", shortLived), List.of((name, b) -> b.timeSource(clock))));
    }

    @Bean
    Probe probe() {
      return new Probe();
    }

    @Bean
    Service service(Probe probe) {
      return new Service(probe);
    }
  }

  /**
   * How often each method body really ran, and latches to hold it open. A bean of its own: the
   * service is a CGLIB proxy, whose own fields are not the target's.
   */
  static final class Probe {
    final AtomicInteger userCalls = new AtomicInteger();
    final CountDownLatch userLoading = new CountDownLatch(1);
    final CountDownLatch releaseUser = new CountDownLatch(1);
    final AtomicInteger plainCalls = new AtomicInteger();
    final AtomicInteger nullCalls = new AtomicInteger();
    final AtomicInteger priceCalls = new AtomicInteger();
    final Map<String, CompletableFuture<Long>> pendingPrices = new ConcurrentHashMap<>();
    final AtomicInteger monoCalls = new AtomicInteger();
    final AtomicInteger failingCalls = new AtomicInteger();
  }

  /** An annotated service. */
  static class Service {
    private final Probe p;

    Service(Probe p) {
      this.p = p;
    }

    @Cacheable(cacheNames = "users", sync = true)
    public String user(long id) throws InterruptedException {
      p.userCalls.incrementAndGet();
      p.userLoading.countDown();
      p.releaseUser.await();
      return "user-" + id;
    }

    @Cacheable("plain")
    public String plain(String key) {
      p.plainCalls.incrementAndGet();
      return "v-" + key;
    }

    @CachePut(cacheNames = "plain", key = "#p0")
    public String update(String key, String value) {
      return value;
    }

    @CacheEvict(cacheNames = "plain", key = "#p0")
    public void remove(String key) {}

    @Cacheable("nullable")
    public String nothing(String key) {
      p.nullCalls.incrementAndGet();
      return null;
    }

    /** The future is completed by the test: the call itself must not wait for it. */
    @Cacheable("prices")
    public CompletableFuture<Long> price(String sku) {
      p.priceCalls.incrementAndGet();
      return p.pendingPrices.computeIfAbsent(sku, k -> new CompletableFuture<>());
    }

    @Cacheable(cacheNames = "prices", sync = true)
    public CompletableFuture<Long> priceSync(String sku) {
      p.priceCalls.incrementAndGet();
      return p.pendingPrices.computeIfAbsent(sku, k -> new CompletableFuture<>());
    }

    @Cacheable("monos")
    public Mono<String> mono(String key) {
      p.monoCalls.incrementAndGet();
      return Mono.fromSupplier(() -> "mono-" + key);
    }

    @Cacheable(cacheNames = "failing", sync = true)
    public String failing(String key) throws Exception {
      if (p.failingCalls.incrementAndGet() == 1) {
        throw new java.io.IOException("backend down");
      }
      return "ok-" + key;
    }
  }

  private AsyncCache<Object, Object> nativeCache(String name) {
    return ((AsyncCacheSpringCache) manager.getCache(name)).getNativeCache();
  }

  // ---- get(key, Callable): single-flight ----

  /** 1,000 virtual threads released at once on one cold key of a sync=true method: one call. */
  @Test
  void syncCacheableRunsTheMethodOnceForAThousandConcurrentCallers() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<String>> results = new ArrayList<>();
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < CALLERS; i++) {
        results.add(executor.submit(() -> {
          go.await();
          return service.user(42);
        }));
      }
      go.countDown();
      try {
        assertTrue(probe.userLoading.await(30, TimeUnit.SECONDS));
        // Hold the method open until most callers are waiting on it (they overlap for sure).
        awaitTrue("most callers joined the load",
            () -> nativeCache("users").metrics().joinedLoadCount() >= CALLERS / 2);
      } finally {
        probe.releaseUser.countDown(); // also on failure, so that the executor can close
      }
      for (Future<String> r : results) {
        assertEquals("user-42", r.get(30, TimeUnit.SECONDS));
      }
    }
    assertEquals(1, probe.userCalls.get());
    assertEquals("user-42", service.user(42));
    assertEquals(1, probe.userCalls.get());
  }

  /** A loader failure reaches the caller as the method's exception; nothing is cached. */
  @Test
  void syncCacheableFailureIsNotCached() throws Exception {
    Exception first = assertThrows(Exception.class, () -> service.failing("a"));
    assertInstanceOf(java.io.IOException.class, rootCause(first));
    assertEquals("ok-a", service.failing("a"));
    assertEquals("ok-a", service.failing("a"));
    assertEquals(2, probe.failingCalls.get());
  }

  @Test
  void getWithCallableWrapsTheLoadersExceptionInValueRetrievalException() {
    Cache cache = manager.getCache("direct");
    Cache.ValueRetrievalException e = assertThrows(Cache.ValueRetrievalException.class,
        () -> cache.get("k", () -> { throw new java.io.IOException("no"); }));
    assertInstanceOf(java.io.IOException.class, e.getCause());
    assertNull(cache.get("k"));
    assertEquals("v", cache.get("k", () -> "v"));
    assertEquals("v", cache.get("k", () -> "other"));
  }

  // ---- @Cacheable / @CachePut / @CacheEvict, put, evict ----

  @Test
  void cacheablePutAndEvict() {
    assertEquals("v-a", service.plain("a"));
    assertEquals("v-a", service.plain("a"));
    assertEquals(1, probe.plainCalls.get());
    service.update("a", "new");
    assertEquals("new", service.plain("a"));
    assertEquals(1, probe.plainCalls.get());
    service.remove("a");
    assertEquals("v-a", service.plain("a"));
    assertEquals(2, probe.plainCalls.get());
  }

  @Test
  void directPutEvictClearInvalidate() {
    Cache cache = manager.getCache("direct");
    cache.put("a", 1);
    assertEquals(1, cache.get("a").get());
    assertEquals(1, cache.get("a", Integer.class));
    assertThrows(IllegalStateException.class, () -> cache.get("a", String.class));
    cache.evict("a");
    assertNull(cache.get("a"));
    assertFalse(cache.evictIfPresent("a"));
    cache.put("a", 1);
    assertTrue(cache.evictIfPresent("a"));

    assertNull(cache.putIfAbsent("b", 2));
    Cache.ValueWrapper existing = cache.putIfAbsent("b", 3);
    assertNotNull(existing);
    assertEquals(2, existing.get());
    assertEquals(2, cache.get("b").get());

    cache.clear();
    assertNull(cache.get("b"));
    assertFalse(cache.invalidate());
    cache.put("c", 3);
    assertTrue(cache.invalidate());
    assertNull(cache.get("c"));
  }

  // ---- null values (allowNullValues = true here; false below) ----

  @Test
  void nullResultIsCachedWhenNullValuesAreAllowed() {
    assertNull(service.nothing("x"));
    assertNull(service.nothing("x"));
    assertEquals(1, probe.nullCalls.get());
    Cache cache = manager.getCache("nullable");
    Cache.ValueWrapper wrapper = cache.get("x");
    assertNotNull(wrapper);
    assertNull(wrapper.get());
    assertSame(NullValue.INSTANCE, nativeCache("nullable").getIfPresent("x"));
    cache.put("y", null);
    assertNull(cache.get("y").get());
    assertNull(cache.get("z", () -> null));
    assertNotNull(cache.get("z"));
  }

  @Test
  void nullValuesRejectedWhenNotAllowed() throws Exception {
    try (AsyncCacheManager strict =
        new AsyncCacheManager(AsyncCacheFactory.fromSpecs(CacheSpec.empty(), Map.of()), false)) {
      Cache cache = strict.getCache("strict");
      IllegalArgumentException put = assertThrows(IllegalArgumentException.class, () -> cache.put("k", null));
      assertTrue(put.getMessage().contains("'strict'"), put.getMessage());
      assertThrows(IllegalArgumentException.class, () -> cache.putIfAbsent("k", null));
      Cache.ValueRetrievalException load =
          assertThrows(Cache.ValueRetrievalException.class, () -> cache.get("k", () -> null));
      assertInstanceOf(IllegalArgumentException.class, load.getCause());
      assertNull(cache.get("k"));
      // retrieve: a null result is the user's null, returned and not cached.
      assertNull(cache.retrieve("k", () -> CompletableFuture.completedFuture(null)).get(30, TimeUnit.SECONDS));
      assertNull(cache.retrieve("k"));
      cache.put("k", "v");
      assertEquals("v", cache.retrieve("k").get(30, TimeUnit.SECONDS)); // plain value, no wrapper
    }
  }

  // ---- retrieve: CompletableFuture and Reactor methods, without blocking ----

  @Test
  void completableFutureCacheableDoesNotWaitForTheValueAndCachesIt() throws Exception {
    CompletableFuture<Long> first = service.price("sku");
    assertFalse(first.isDone(), "the call returned before the value existed: nothing blocked");
    assertEquals(1, probe.priceCalls.get());
    probe.pendingPrices.get("sku").complete(99L);
    assertEquals(99L, first.get(30, TimeUnit.SECONDS));
    awaitTrue("the value was put", () -> manager.getCache("prices").get("sku") != null);
    CompletableFuture<Long> second = service.price("sku");
    assertEquals(99L, second.get(30, TimeUnit.SECONDS));
    assertEquals(1, probe.priceCalls.get());
    Object retrieved = manager.getCache("prices").retrieve("sku").get(30, TimeUnit.SECONDS);
    assertEquals(99L, ((Cache.ValueWrapper) retrieved).get());
    assertNull(manager.getCache("prices").retrieve("absent"));
  }

  /** sync=true on a CompletableFuture method goes through retrieve(key, loader): single-flight. */
  @Test
  void syncCompletableFutureCacheableIsSingleFlightAndNonBlocking() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<CompletableFuture<Long>>> calls = new ArrayList<>();
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < CALLERS; i++) {
        calls.add(executor.submit(() -> {
          go.await();
          return service.priceSync("hot");
        }));
      }
      go.countDown();
      List<CompletableFuture<Long>> futures = new ArrayList<>();
      for (Future<CompletableFuture<Long>> c : calls) {
        futures.add(c.get(30, TimeUnit.SECONDS)); // every call returned while the value is pending
      }
      // The value does not exist yet (the test completes it below), so no call could have waited.
      assertTrue(futures.stream().noneMatch(CompletableFuture::isDone));
      probe.pendingPrices.get("hot").complete(7L);
      for (CompletableFuture<Long> f : futures) {
        assertEquals(7L, f.get(30, TimeUnit.SECONDS));
      }
    }
    assertEquals(1, probe.priceCalls.get());
    assertEquals(7L, service.priceSync("hot").get(30, TimeUnit.SECONDS));
    assertEquals(1, probe.priceCalls.get());
  }

  @Test
  void monoCacheableIsCached() {
    assertEquals("mono-a", service.mono("a").block(Duration.ofSeconds(30)));
    awaitTrue("the value was put", () -> manager.getCache("monos").get("a") != null);
    assertEquals("mono-a", service.mono("a").block(Duration.ofSeconds(30)));
    assertEquals(1, probe.monoCalls.get());
  }

  @Test
  void retrieveWithLoaderFailsTheFutureWithTheLoadersException() {
    Cache cache = manager.getCache("direct");
    CompletableFuture<Object> failed =
        cache.retrieve("k", () -> CompletableFuture.failedFuture(new IllegalStateException("boom")));
    Exception e = assertThrows(Exception.class, () -> failed.get(30, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, rootCause(e));
    assertNull(cache.retrieve("k"));
  }

  // ---- TTL from the settings, by the manual clock ----

  @Test
  void entriesExpireAfterTheConfiguredTtl() {
    Cache everyDay = manager.getCache("direct");
    Cache shortLived = manager.getCache("short");
    everyDay.put("k", "v");
    shortLived.put("k", "v");
    clock.advance(Duration.ofSeconds(6));
    assertNull(shortLived.get("k"), "per-name TTL of 5 s");
    assertEquals("v", everyDay.get("k").get());
    clock.advance(Duration.ofSeconds(55));
    assertNull(everyDay.get("k"), "default TTL of 1 min");
    assertNull(everyDay.retrieve("k"));
  }

  @Test
  void ttlAppliesToCacheableResults() {
    service.plain("t");
    clock.advance(Duration.ofSeconds(59));
    service.plain("t");
    assertEquals(1, probe.plainCalls.get());
    clock.advance(Duration.ofSeconds(2));
    service.plain("t");
    assertEquals(2, probe.plainCalls.get());
  }

  // ---- the manager ----

  @Test
  void managerIsDynamicUntilNamesAreSet() {
    try (AsyncCacheManager m = new AsyncCacheManager(AsyncCacheFactory.fromSpecs(CacheSpec.empty(), Map.of()))) {
      assertTrue(m.isDynamic());
      assertNotNull(m.getCache("a"));
      assertSame(m.getCache("a"), m.getCache("a"));
      m.setCacheNames(List.of("b", "c"));
      assertFalse(m.isDynamic());
      assertNull(m.getCache("d"));
      assertEquals(List.of("a", "b", "c"), m.getCacheNames().stream().sorted().toList());
      AsyncCache<Object, Object> custom = AsyncCache.builder().maxSize(3).build();
      m.registerCache("custom", custom);
      assertSame(custom, ((AsyncCacheSpringCache) m.getCache("custom")).getNativeCache());
      IllegalStateException dup = assertThrows(IllegalStateException.class,
          () -> m.registerCache("custom", AsyncCache.builder().build()));
      assertTrue(dup.getMessage().contains("custom"));
      m.close();
      assertThrows(CacheClosedException.class, () -> m.getCache("a").put("k", "v"));
      assertThrows(CacheClosedException.class, () -> custom.set("k", "v"));
    }
    AsyncCacheManager closedDynamic =
        new AsyncCacheManager(AsyncCacheFactory.fromSpecs(CacheSpec.empty(), Map.of()));
    closedDynamic.close();
    IllegalStateException late =
        assertThrows(IllegalStateException.class, () -> closedDynamic.getCache("new"));
    assertTrue(late.getMessage().contains("closed"), late.getMessage());
  }

  @Test
  void perNameSpecOverridesTheDefaultsOptionByOption() {
    CacheSpec defaults = new CacheSpec(100L, Duration.ofMinutes(1), null, null, null, null, null);
    CacheSpec small = new CacheSpec(2L, null, null, null, null, null, null);
    try (AsyncCacheManager m = new AsyncCacheManager(
        AsyncCacheFactory.fromSpecs(defaults, Map.of("small", small)))) {
      assertEquals(2, ((AsyncCacheSpringCache) m.getCache("small")).getNativeCache().metrics().maxSize());
      assertEquals(100, ((AsyncCacheSpringCache) m.getCache("other")).getNativeCache().metrics().maxSize());
    }
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> new CacheSpec(0L, null, null, null, null, null, null));
    assertTrue(bad.getMessage().contains("maxSize"), bad.getMessage());
  }

  @Test
  void theContextClosesTheCaches() {
    AsyncCache<Object, Object> users = nativeCache("plain");
    context.close();
    assertThrows(CacheClosedException.class, () -> users.set("k", "v"));
  }

  private static Throwable rootCause(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }
}
