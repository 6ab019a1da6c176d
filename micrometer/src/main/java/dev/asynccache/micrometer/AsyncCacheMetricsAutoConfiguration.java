package dev.asynccache.micrometer;

import dev.asynccache.spring.AsyncCacheSpringCache;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.cache.metrics.CacheMeterBinderProvider;
import org.springframework.context.annotation.Bean;

/**
 * Registers {@link AsyncCacheMeterBinderProvider} for Spring Boot's cache metrics. Ordered before
 * Boot's {@code CacheMetricsAutoConfiguration}, which binds every cache whose type a provider
 * knows.
 */
@AutoConfiguration(
    beforeName = "org.springframework.boot.cache.autoconfigure.metrics.CacheMetricsAutoConfiguration")
@ConditionalOnClass({MeterBinder.class, CacheMeterBinderProvider.class, AsyncCacheSpringCache.class})
public final class AsyncCacheMetricsAutoConfiguration {

  /** Created by Spring Boot. */
  AsyncCacheMetricsAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  AsyncCacheMeterBinderProvider asyncCacheMeterBinderProvider() {
    return new AsyncCacheMeterBinderProvider();
  }
}
