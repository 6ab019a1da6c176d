package dev.asynccache.spring.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.spring.AsyncCacheBuilderCustomizer;
import dev.asynccache.spring.AsyncCacheFactory;
import dev.asynccache.spring.AsyncCacheManager;
import dev.asynccache.spring.AsyncCacheSpringCache;
import dev.asynccache.testing.ManualTimeSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.CacheManagerCustomizer;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.concurrent.ConcurrentMapCacheManager;
import org.springframework.cache.support.NoOpCacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The auto-configuration in real Boot contexts (ApplicationContextRunner). */
class AsyncCacheAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(AsyncCacheAutoConfiguration.class, CacheAutoConfiguration.class))
          .withUserConfiguration(CachingEnabled.class);

  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class CachingEnabled {}

  @Test
  void onTheClasspathOurManagerIsTheCacheManager() {
    runner.run(context -> {
      assertNull(context.getStartupFailure());
      CacheManager manager = context.getBean(CacheManager.class);
      AsyncCacheManager ours = assertInstanceOf(AsyncCacheManager.class, manager);
      assertTrue(ours.isDynamic());
      assertTrue(ours.isAllowNullValues());
      AsyncCacheSpringCache cache = (AsyncCacheSpringCache) ours.getCache("any");
      assertEquals(128, cache.getNativeCache().metrics().maxSize(), "the core's default");
    });
  }

  @Test
  void withoutEnableCachingThereIsNoCacheManager() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(AsyncCacheAutoConfiguration.class, CacheAutoConfiguration.class))
        .run(context -> assertTrue(context.getBeansOfType(CacheManager.class).isEmpty()));
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnManager {
    @Bean
    CacheManager myCacheManager() {
      return new ConcurrentMapCacheManager("mine");
    }
  }

  @Test
  void backsOffWhenTheApplicationDefinesACacheManager() {
    runner.withUserConfiguration(OwnManager.class).run(context -> {
      assertEquals(1, context.getBeansOfType(CacheManager.class).size());
      assertInstanceOf(ConcurrentMapCacheManager.class, context.getBean(CacheManager.class));
      assertTrue(context.getBeansOfType(AsyncCacheManager.class).isEmpty());
    });
  }

  @Test
  void backsOffWhenDisabledOrWhenSpringCacheTypeIsSet() {
    runner.withPropertyValues("async-cache.enabled=false").run(context ->
        assertInstanceOf(ConcurrentMapCacheManager.class, context.getBean(CacheManager.class)));
    runner.withPropertyValues("spring.cache.type=none").run(context ->
        assertInstanceOf(NoOpCacheManager.class, context.getBean(CacheManager.class)));
  }

  @Test
  void propertiesAreBoundAndApplied() {
    runner
        .withPropertyValues(
            "async-cache.max-size=500",
            "async-cache.default-ttl=10m",
            "async-cache.batch-window=2ms",
            "async-cache.max-batch-size=50",
            "async-cache.allow-null-values=false",
            "async-cache.cache-names=users,orders",
            "async-cache.caches.users.max-size=20",
            "async-cache.caches.users.default-ttl=30s",
            "async-cache.caches.sessions.max-size=7")
        .run(context -> {
          AsyncCacheProperties p = context.getBean(AsyncCacheProperties.class);
          assertEquals(500L, p.maxSize());
          assertEquals(Duration.ofMinutes(10), p.defaultTtl());
          assertEquals(Duration.ofMillis(2), p.batchWindow());
          assertEquals(50, p.maxBatchSize());
          assertEquals(List.of("users", "orders"), p.cacheNames());
          assertEquals(20L, p.caches().get("users").maxSize());

          AsyncCacheManager m = context.getBean(AsyncCacheManager.class);
          assertFalse(m.isDynamic(), "cache-names makes the manager static");
          assertFalse(m.isAllowNullValues());
          assertEquals(List.of("orders", "sessions", "users"), m.getCacheNames().stream().sorted().toList());
          assertNull(m.getCache("unknown"));
          assertEquals(20, nativeCache(m, "users").metrics().maxSize());
          assertEquals(500, nativeCache(m, "orders").metrics().maxSize());
          assertEquals(7, nativeCache(m, "sessions").metrics().maxSize());
        });
  }

  @Configuration(proxyBeanMethods = false)
  static class Clocked {
    @Bean
    ManualTimeSource clock() {
      return new ManualTimeSource();
    }

    @Bean
    AsyncCacheBuilderCustomizer useTheClock(ManualTimeSource clock) {
      return (name, builder) -> builder.timeSource(clock);
    }
  }

  /** TTLs from the properties, observed by moving the clock a builder customizer installed. */
  @Test
  void ttlFromPropertiesAndBuilderCustomizers() {
    runner
        .withUserConfiguration(Clocked.class)
        .withPropertyValues("async-cache.default-ttl=10m", "async-cache.caches.short.default-ttl=30s")
        .run(context -> {
          ManualTimeSource clock = context.getBean(ManualTimeSource.class);
          CacheManager m = context.getBean(CacheManager.class);
          m.getCache("short").put("k", "v");
          m.getCache("long").put("k", "v");
          clock.advance(Duration.ofSeconds(31));
          assertNull(m.getCache("short").get("k"));
          assertNotNull(m.getCache("long").get("k"));
          clock.advance(Duration.ofMinutes(10));
          assertNull(m.getCache("long").get("k"));
        });
  }

  @Configuration(proxyBeanMethods = false)
  static class Customizers {
    static final List<String> calls = new ArrayList<>();

    @Bean
    CacheManagerCustomizer<AsyncCacheManager> ours() {
      return manager -> {
        calls.add("ours");
        manager.setCacheNames(List.of("customized"));
      };
    }

    @Bean
    CacheManagerCustomizer<ConcurrentMapCacheManager> othersType() {
      return manager -> calls.add("other");
    }
  }

  @Test
  void cacheManagerCustomizersOfTheRightTypeAreApplied() {
    Customizers.calls.clear();
    runner.withUserConfiguration(Customizers.class).run(context -> {
      AsyncCacheManager m = context.getBean(AsyncCacheManager.class);
      assertEquals(List.of("ours"), Customizers.calls);
      assertEquals(List.of("customized"), List.copyOf(m.getCacheNames()));
      assertFalse(m.isDynamic());
    });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnFactory {
    static final AtomicInteger created = new AtomicInteger();

    @Bean
    AsyncCacheFactory twoLevel() {
      return name -> {
        created.incrementAndGet();
        return AsyncCache.builder().maxSize(3).build();
      };
    }
  }

  /** The extension point for other AsyncCache implementations (the Redis two-level cache). */
  @Test
  void anAsyncCacheFactoryBeanMakesEveryCache() {
    OwnFactory.created.set(0);
    runner.withUserConfiguration(OwnFactory.class).withPropertyValues("async-cache.max-size=999")
        .run(context -> {
          AsyncCacheManager m = context.getBean(AsyncCacheManager.class);
          assertEquals(3, nativeCache(m, "a").metrics().maxSize());
          assertSame(m.getCache("a"), m.getCache("a"));
          assertEquals(1, OwnFactory.created.get());
        });
  }

  // ---- bad values fail at startup, naming the property ----

  @Test
  void outOfRangeValuesFailAtStartupNamingTheProperty() {
    assertStartupFailsNaming("async-cache.max-size=0", "async-cache.max-size=0 is invalid: maxSize must be at least 1, was 0");
    assertStartupFailsNaming("async-cache.default-ttl=-5s", "async-cache.default-ttl=PT-5S is invalid");
    assertStartupFailsNaming("async-cache.batch-window=-1ms", "async-cache.batch-window");
    assertStartupFailsNaming("async-cache.max-batch-size=0", "async-cache.max-batch-size");
    assertStartupFailsNaming("async-cache.load-timeout=0s", "async-cache.load-timeout");
    assertStartupFailsNaming("async-cache.caches.users.max-size=-1", "async-cache.caches.users.max-size=-1 is invalid");
    assertStartupFailsNaming("async-cache.caches.users.refresh-after-write=0s", "async-cache.caches.users.refresh-after-write");
  }

  @Test
  void unparsableValuesFailAtStartupNamingTheProperty() {
    assertStartupFailsNaming("async-cache.default-ttl=ten minutes", "async-cache.default-ttl");
    assertStartupFailsNaming("async-cache.max-size=lots", "async-cache.max-size");
    assertStartupFailsNaming("async-cache.caches.users.stale-if-error=soon", "async-cache.caches.users.stale-if-error");
  }

  private void assertStartupFailsNaming(String property, String expected) {
    runner.withPropertyValues(property).run((AssertableApplicationContext context) -> {
      Throwable failure = context.getStartupFailure();
      assertNotNull(failure, property + " should fail the startup");
      String messages = messages(failure);
      assertTrue(messages.contains(expected), "expected '" + expected + "' in:\n" + messages);
    });
  }

  private static String messages(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      all.append(c.getMessage()).append('\n');
    }
    return all.toString();
  }

  /** The configuration processor ran: IDEs complete async-cache.* from this file. */
  @Test
  void configurationMetadataListsTheProperties() throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertNotNull(in, "META-INF/spring-configuration-metadata.json is missing");
      String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      for (String name : List.of("async-cache.enabled", "async-cache.max-size", "async-cache.default-ttl",
          "async-cache.batch-window", "async-cache.max-batch-size", "async-cache.cache-names",
          "async-cache.caches", "async-cache.allow-null-values")) {
        assertTrue(json.contains("\"name\": \"" + name + "\""), name + " missing from the metadata");
      }
      assertTrue(json.contains("\"defaultValue\": \"5ms\""), "the batch window's default is documented");
    }
  }

  private static AsyncCache<Object, Object> nativeCache(AsyncCacheManager m, String name) {
    return ((AsyncCacheSpringCache) m.getCache(name)).getNativeCache();
  }
}
