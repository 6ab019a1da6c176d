package dev.asynccache.micrometer;

import dev.asynccache.AsyncCache;
import dev.asynccache.CacheMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.cache.CacheMeterBinder;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Publishes an {@link AsyncCache}'s {@linkplain CacheMetrics counters} as Micrometer meters, with
 * the names and tags of Micrometer's {@code CaffeineCacheMetrics}, so a dashboard built for
 * Caffeine reads our caches unchanged. Every meter is tagged {@code cache=<name>} plus the tags
 * given.
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>value ({@link CacheMetrics})</th></tr>
 *   <tr><td>{@code cache.gets}</td><td>counter</td><td>{@code result=hit}</td><td>{@code hitCount}</td></tr>
 *   <tr><td>{@code cache.gets}</td><td>counter</td><td>{@code result=miss}</td><td>{@code missCount}</td></tr>
 *   <tr><td>{@code cache.puts}</td><td>counter</td><td></td><td>{@code loadSuccessCount}: entries
 *       loaded, as Caffeine's binder counts puts (explicit {@code set}s are not counted)</td></tr>
 *   <tr><td>{@code cache.evictions}</td><td>counter</td><td></td><td>{@code evictionCount}</td></tr>
 *   <tr><td>{@code cache.eviction.weight}</td><td>counter</td><td></td><td>{@code evictionCount}
 *       (every entry weighs 1); only for caches bounded by entry count</td></tr>
 *   <tr><td>{@code cache.size}</td><td>gauge</td><td></td><td>{@code size}</td></tr>
 *   <tr><td>{@code cache.load}</td><td>counter</td><td>{@code result=success}</td><td>{@code loadSuccessCount}</td></tr>
 *   <tr><td>{@code cache.load}</td><td>counter</td><td>{@code result=failure}</td><td>{@code loadFailureCount}</td></tr>
 *   <tr><td>{@code cache.load.duration}</td><td>time gauge</td><td></td><td>{@code totalLoadTimeNanos}</td></tr>
 *   <tr><td>{@code cache.load.joined}</td><td>counter</td><td></td><td>{@code joinedLoadCount}:
 *       misses that waited for another caller's load (single-flight)</td></tr>
 *   <tr><td>{@code cache.batch.calls}</td><td>counter</td><td></td><td>{@code batchCallCount}</td></tr>
 *   <tr><td>{@code cache.batch.keys}</td><td>counter</td><td></td><td>{@code batchedKeyCount}</td></tr>
 *   <tr><td>{@code cache.expirations}</td><td>counter</td><td></td><td>{@code expirationCount}</td></tr>
 *   <tr><td>{@code cache.refreshes}</td><td>counter</td><td></td><td>{@code refreshCount}</td></tr>
 *   <tr><td>{@code cache.stale.served}</td><td>counter</td><td></td><td>{@code staleServedCount}</td></tr>
 * </table>
 *
 * <p>Values are read from {@link AsyncCache#metrics()} when the registry asks (no copying on a
 * timer). As every {@link CacheMeterBinder}, the binder holds the cache weakly: a cache no longer
 * used elsewhere is not kept alive by its meters, which then read 0. Thread-safe.
 */
public class AsyncCacheMetrics extends CacheMeterBinder<AsyncCache<?, ?>> {

  /**
   * Prepares the meters of {@code cache}; {@link #bindTo} registers them.
   *
   * @param cache the cache to observe
   * @param cacheName the value of the {@code cache} tag
   * @param tags more tags for every meter
   * @throws NullPointerException if an argument is null
   */
  public AsyncCacheMetrics(AsyncCache<?, ?> cache, String cacheName, Iterable<Tag> tags) {
    super(cache, cacheName, tags);
  }

  /**
   * Registers the meters of {@code cache} in {@code registry}.
   *
   * @param registry where to register
   * @param cache the cache
   * @param cacheName the value of the {@code cache} tag
   * @param tags more tags, as key-value pairs
   * @param <C> the cache type
   * @return {@code cache}, unchanged
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code tags} has an odd number of strings
   */
  public static <C extends AsyncCache<?, ?>> C monitor(
      MeterRegistry registry, C cache, String cacheName, String... tags) {
    new AsyncCacheMetrics(cache, cacheName, Tags.of(tags)).bindTo(registry);
    return cache;
  }

  @Override
  protected @Nullable Long size() {
    AsyncCache<?, ?> cache = getCache();
    return cache == null ? null : cache.size();
  }

  @Override
  protected long hitCount() {
    return read(CacheMetrics::hitCount);
  }

  @Override
  protected @Nullable Long missCount() {
    return read(CacheMetrics::missCount);
  }

  @Override
  protected @Nullable Long evictionCount() {
    return read(CacheMetrics::evictionCount);
  }

  @Override
  protected long putCount() {
    return read(CacheMetrics::loadSuccessCount);
  }

  @Override
  protected void bindImplementationSpecificMetrics(MeterRegistry registry) {
    AsyncCache<?, ?> cache = getCache();
    if (cache == null) {
      return;
    }
    // Caffeine's extras, same names and tags.
    if (cache.metrics().maxSize() != Long.MAX_VALUE) {
      counter(registry, cache, "cache.eviction.weight", CacheMetrics::evictionCount,
          "The sum of weights of evicted entries (every entry weighs 1 in a cache bounded by count)");
    }
    TimeGauge.builder("cache.load.duration", cache, TimeUnit.NANOSECONDS,
            c -> c.metrics().totalLoadTimeNanos())
        .tags(getTagsWithCacheName())
        .description("The time the cache has spent loading new values")
        .register(registry);
    String loads = "The number of loads that finished, by result (a batch of n keys counts n)";
    FunctionCounter.builder("cache.load", cache, c -> c.metrics().loadSuccessCount())
        .tags(getTagsWithCacheName())
        .tag("result", "success")
        .description(loads)
        .register(registry);
    FunctionCounter.builder("cache.load", cache, c -> c.metrics().loadFailureCount())
        .tags(getTagsWithCacheName())
        .tag("result", "failure")
        .description(loads)
        .register(registry);
    // Only async-cache has these.
    counter(registry, cache, "cache.load.joined", CacheMetrics::joinedLoadCount,
        "Misses that waited for a load another caller had started (single-flight)");
    counter(registry, cache, "cache.batch.calls", CacheMetrics::batchCallCount,
        "Calls made to batch loaders");
    counter(registry, cache, "cache.batch.keys", CacheMetrics::batchedKeyCount,
        "Keys passed to batch loaders");
    counter(registry, cache, "cache.expirations", CacheMetrics::expirationCount,
        "Entries removed because their time to live had passed");
    counter(registry, cache, "cache.refreshes", CacheMetrics::refreshCount,
        "Background reloads started ahead of expiry (refreshAfterWrite)");
    counter(registry, cache, "cache.stale.served", CacheMetrics::staleServedCount,
        "Failed loads answered with an expired value (staleIfError)");
  }

  private void counter(
      MeterRegistry registry,
      AsyncCache<?, ?> cache,
      String name,
      ToLongFunction<CacheMetrics> counter,
      String description) {
    FunctionCounter.builder(name, cache, c -> counter.applyAsLong(c.metrics()))
        .tags(getTagsWithCacheName())
        .description(description)
        .register(registry);
  }

  private long read(ToLongFunction<CacheMetrics> counter) {
    AsyncCache<?, ?> cache = getCache();
    return cache == null ? 0 : counter.applyAsLong(cache.metrics());
  }
}
