package dev.asynccache.spring;

import dev.asynccache.AsyncCache;
import dev.asynccache.Ttl;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.support.AbstractValueAdaptingCache;

/**
 * A Spring {@link org.springframework.cache.Cache} over an {@link AsyncCache}: what {@code
 * @Cacheable}, {@code @CachePut} and {@code @CacheEvict} read and write when {@link
 * AsyncCacheManager} is the application's cache manager.
 *
 * <ul>
 *   <li>{@link #get(Object, Callable)} ({@code @Cacheable(sync = true)}) is the cache's
 *       single-flight load: concurrent callers of one absent key run the loader once and all get
 *       its value. A loader's exception reaches every waiter as a {@link ValueRetrievalException}
 *       and nothing is cached.
 *   <li>{@link #retrieve(Object)} and {@link #retrieve(Object, Supplier)} never block, so
 *       {@code @Cacheable} methods returning {@code CompletableFuture} (or Reactor types) are cached
 *       asynchronously; {@code retrieve(key, loader)} is single-flight as well.
 *   <li>{@code null} values follow {@link AbstractValueAdaptingCache}: with {@code
 *       allowNullValues} a {@code null} is stored as a marker and returned as {@code null}; without
 *       it, storing {@code null} throws {@link IllegalArgumentException}.
 *   <li>Entries live for the cache's default time to live (set where the {@link AsyncCache} was
 *       built); {@code put} and loads use it alike.
 * </ul>
 *
 * <p>Thread-safe: every method may be called from any thread. Keys must not be {@code null}
 * ({@link NullPointerException}). Once the underlying cache is closed, every method throws
 * {@link dev.asynccache.CacheClosedException}.
 */
public class AsyncCacheSpringCache extends AbstractValueAdaptingCache {

  private final String name;
  private final AsyncCache<Object, Object> cache;

  /**
   * Wraps {@code cache} under {@code name}.
   *
   * @param name the cache name, as {@code @Cacheable} refers to it
   * @param cache the cache that holds the entries
   * @param allowNullValues whether {@code null} values are cached (as a marker)
   * @throws NullPointerException if {@code name} or {@code cache} is null
   */
  public AsyncCacheSpringCache(String name, AsyncCache<Object, Object> cache, boolean allowNullValues) {
    super(allowNullValues);
    this.name = Objects.requireNonNull(name, "name must not be null");
    this.cache = Objects.requireNonNull(cache, "cache must not be null");
  }

  @Override
  public final String getName() {
    return name;
  }

  /** Returns the {@link AsyncCache} that holds the entries (values as stored: {@code null}s as a marker). */
  @Override
  public final AsyncCache<Object, Object> getNativeCache() {
    return cache;
  }

  @Override
  protected @Nullable Object lookup(Object key) {
    return cache.getIfPresent(key);
  }

  @SuppressWarnings("unchecked")
  @Override
  public <T> @Nullable T get(Object key, Callable<T> valueLoader) {
    Objects.requireNonNull(valueLoader, "valueLoader must not be null");
    return (T) fromStoreValue(cache.get(key, () -> load(key, valueLoader)));
  }

  private Object load(Object key, Callable<?> valueLoader) {
    try {
      return toStoreValue(valueLoader.call());
    } catch (Exception e) {
      throw new ValueRetrievalException(key, valueLoader, e);
    }
  }

  @Override
  public @Nullable CompletableFuture<?> retrieve(Object key) {
    Object stored = cache.getIfPresent(key);
    if (stored == null) {
      return null; // known absent now, without waiting
    }
    return CompletableFuture.completedFuture(isAllowNullValues() ? toValueWrapper(stored) : stored);
  }

  @SuppressWarnings("unchecked")
  @Override
  public <T> CompletableFuture<T> retrieve(Object key, Supplier<CompletableFuture<T>> valueLoader) {
    Objects.requireNonNull(valueLoader, "valueLoader must not be null");
    // null is always the user's null here (Spring's rule for this method): cached as the marker
    // when null values are allowed, else not cached at all (a stage completed with null).
    CompletableFuture<@Nullable Object> stored =
        cache.getAsync(
            key,
            Ttl.cacheDefault(),
            executor -> {
              CompletableFuture<T> started = valueLoader.get();
              if (started == null) {
                throw new IllegalStateException(
                    "the value loader of cache '" + name + "' returned no CompletableFuture");
              }
              return started.thenApply(
                  value -> value == null && !isAllowNullValues() ? null : toStoreValue(value));
            });
    return (CompletableFuture<T>) stored.thenApply(this::fromStoreValue);
  }

  @Override
  public void put(Object key, @Nullable Object value) {
    cache.set(key, toStoreValue(value));
  }

  @Override
  public @Nullable ValueWrapper putIfAbsent(Object key, @Nullable Object value) {
    return toValueWrapper(cache.asMap().putIfAbsent(key, toStoreValue(value)));
  }

  @Override
  public void evict(Object key) {
    cache.delete(key);
  }

  @Override
  public boolean evictIfPresent(Object key) {
    return cache.delete(key);
  }

  @Override
  public void clear() {
    cache.clear();
  }

  @Override
  public boolean invalidate() {
    // The view's iterator skips expired entries; size() would count them.
    boolean hadEntries = cache.asMap().keySet().iterator().hasNext();
    cache.clear();
    return hadEntries;
  }

  @Override
  public String toString() {
    return "AsyncCacheSpringCache{" + name + "}";
  }
}
