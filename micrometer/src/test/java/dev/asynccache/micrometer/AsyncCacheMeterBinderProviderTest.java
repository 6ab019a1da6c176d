package dev.asynccache.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.asynccache.spring.AsyncCacheManager;
import dev.asynccache.spring.boot.AsyncCacheAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.cache.autoconfigure.metrics.CacheMetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Configuration;

/** Boot's cache metrics pick our caches up, in a real Boot context with Micrometer's auto-configuration. */
class AsyncCacheMeterBinderProviderTest {

  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class CachingEnabled {}

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withUserConfiguration(CachingEnabled.class)
          .withConfiguration(
              AutoConfigurations.of(
                  MetricsAutoConfiguration.class,
                  SimpleMetricsExportAutoConfiguration.class,
                  CompositeMeterRegistryAutoConfiguration.class,
                  AsyncCacheAutoConfiguration.class,
                  CacheAutoConfiguration.class,
                  AsyncCacheMetricsAutoConfiguration.class,
                  CacheMetricsAutoConfiguration.class));

  @Test
  void bootBindsTheCachesOfOurManagerWithTheStandardMeters() {
    runner.withPropertyValues("async-cache.cache-names=books,authors").run(context -> {
      assertNull(context.getStartupFailure());
      assertInstanceOf(AsyncCacheManager.class, context.getBean(CacheManager.class));
      MeterRegistry registry = context.getBean(MeterRegistry.class);
      Cache books = context.getBean(CacheManager.class).getCache("books");
      books.get("k", () -> "v"); // miss and load
      books.get("k");            // hit
      books.get("absent");       // miss

      assertEquals(1, registry.get("cache.gets")
          .tags("cache", "books", "cache.manager", "cacheManager", "result", "hit")
          .functionCounter().count());
      assertEquals(2, registry.get("cache.gets").tags("cache", "books", "result", "miss")
          .functionCounter().count());
      assertEquals(1, registry.get("cache.puts").tag("cache", "books").functionCounter().count());
      assertEquals(1, registry.get("cache.size").tag("cache", "books").gauge().value());
      assertEquals(1, registry.get("cache.load").tags("cache", "books", "result", "success")
          .functionCounter().count());
      assertEquals(0, registry.get("cache.load.joined").tag("cache", "authors").functionCounter().count());
    });
  }

  @Test
  void theProviderBacksOffForOneOfTheApplication() {
    runner
        .withBean("myProvider", AsyncCacheMeterBinderProvider.class, AsyncCacheMeterBinderProvider::new)
        .withPropertyValues("async-cache.cache-names=books")
        .run(context -> {
          assertEquals(1, context.getBeansOfType(AsyncCacheMeterBinderProvider.class).size());
          MeterRegistry registry = context.getBean(MeterRegistry.class);
          assertEquals(0, registry.get("cache.gets").tags("cache", "books", "result", "hit")
              .functionCounter().count());
        });
  }
}
