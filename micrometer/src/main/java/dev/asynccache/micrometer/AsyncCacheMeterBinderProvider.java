package dev.asynccache.micrometer;

import dev.asynccache.spring.AsyncCacheSpringCache;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.cache.metrics.CacheMeterBinderProvider;

/**
 * Lets Spring Boot's cache metrics bind the caches of an {@link
 * dev.asynccache.spring.AsyncCacheManager}: each {@link AsyncCacheSpringCache} gets an {@link
 * AsyncCacheMetrics}. Registered by {@link AsyncCacheMetricsAutoConfiguration}. As for Boot's own
 * providers, Boot binds the caches that exist when the context starts (the names in {@code
 * async-cache.cache-names} and {@code async-cache.caches}); a cache created later on demand can be
 * bound with Boot's {@code CacheMetricsRegistrar}. Stateless and thread-safe.
 */
public class AsyncCacheMeterBinderProvider implements CacheMeterBinderProvider<AsyncCacheSpringCache> {

  /**
   * Returns the binder of {@code cache}.
   *
   * @param cache the Spring cache
   * @param tags tags for every meter (Boot passes {@code cache.manager})
   * @return a new {@link AsyncCacheMetrics} for the underlying cache, tagged with the cache's name
   */
  @Override
  public MeterBinder getMeterBinder(AsyncCacheSpringCache cache, Iterable<Tag> tags) {
    return new AsyncCacheMetrics(cache.getNativeCache(), cache.getName(), tags);
  }
}
