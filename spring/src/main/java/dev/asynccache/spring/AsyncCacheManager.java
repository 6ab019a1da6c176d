package dev.asynccache.spring;

import dev.asynccache.AsyncCache;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;

/**
 * A Spring {@link CacheManager} whose caches are {@link AsyncCache}s made by an {@link
 * AsyncCacheFactory}, one per name, each wrapped in an {@link AsyncCacheSpringCache}.
 *
 * <p>By default the manager is dynamic: {@link #getCache} creates the cache of any name on first
 * use. After {@link #setCacheNames} it is static: only the listed names (and those {@linkplain
 * #registerCache registered}) exist, and {@code getCache} of another name returns {@code null}.
 * Named caches are created when they are named, so a factory that rejects its settings fails
 * there (at startup in Boot) rather than on first use.
 *
 * <pre>{@code
 * @Bean
 * AsyncCacheManager cacheManager() {
 *   CacheSpec defaults = new CacheSpec(10_000L, Duration.ofMinutes(5), null, null, null, null, null);
 *   return new AsyncCacheManager(AsyncCacheFactory.fromSpecs(defaults, Map.of()));
 * }
 * }</pre>
 *
 * <p>Thread-safe. The manager owns its caches: {@link #close()} (called by Spring when the context
 * closes, as for any {@link AutoCloseable} bean) closes them all.
 */
public class AsyncCacheManager implements CacheManager, AutoCloseable {

  private final AsyncCacheFactory factory;
  private final boolean allowNullValues;
  private final ConcurrentMap<String, AsyncCacheSpringCache> caches = new ConcurrentHashMap<>();
  private volatile boolean dynamic = true;
  private volatile boolean closed;

  /**
   * A dynamic manager over {@code factory} whose caches allow {@code null} values.
   *
   * @param factory creates the cache of each name
   * @throws NullPointerException if {@code factory} is null
   */
  public AsyncCacheManager(AsyncCacheFactory factory) {
    this(factory, true);
  }

  /**
   * A dynamic manager over {@code factory}.
   *
   * @param factory creates the cache of each name
   * @param allowNullValues whether the caches store {@code null} values (see {@link
   *     AsyncCacheSpringCache})
   * @throws NullPointerException if {@code factory} is null
   */
  public AsyncCacheManager(AsyncCacheFactory factory, boolean allowNullValues) {
    this.factory = Objects.requireNonNull(factory, "factory must not be null");
    this.allowNullValues = allowNullValues;
  }

  /**
   * Returns the cache of {@code name}, creating it if the manager is dynamic.
   *
   * @param name the cache name
   * @return the cache, or {@code null} if the manager is static and has no such cache
   * @throws IllegalStateException if the manager is closed and has no cache of this name
   * @throws RuntimeException whatever the factory throws for this name
   */
  @Override
  public @Nullable Cache getCache(String name) {
    AsyncCacheSpringCache cache = caches.get(name);
    if (cache != null || !dynamic) {
      return cache;
    }
    return caches.computeIfAbsent(name, this::create);
  }

  /** Returns the names of the caches created so far (a snapshot). */
  @Override
  public Collection<String> getCacheNames() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(caches.keySet()));
  }

  /**
   * Creates the caches of {@code names} now and makes the manager static: no other name will be
   * created on demand. Caches that exist already are kept.
   *
   * @param names the cache names
   * @throws NullPointerException if {@code names} or a name is null
   * @throws RuntimeException whatever the factory throws for one of the names
   */
  public void setCacheNames(Collection<String> names) {
    Set<String> copy = new LinkedHashSet<>(names);
    copy.forEach(Objects::requireNonNull);
    for (String name : copy) {
      caches.computeIfAbsent(name, this::create);
    }
    dynamic = false;
  }

  /**
   * Adds a cache built elsewhere under {@code name}, e.g. one with settings of its own; the
   * manager closes it with the others.
   *
   * @param name the cache name
   * @param cache the cache
   * @throws NullPointerException if an argument is null
   * @throws IllegalStateException if the manager already has a cache of that name
   */
  public void registerCache(String name, AsyncCache<Object, Object> cache) {
    AsyncCacheSpringCache wrapped = new AsyncCacheSpringCache(name, cache, allowNullValues);
    if (caches.putIfAbsent(name, wrapped) != null) {
      throw new IllegalStateException("cache '" + name + "' already exists in this manager");
    }
  }

  /**
   * Returns whether the manager creates caches on demand.
   *
   * @return {@code false} once {@link #setCacheNames} was called
   */
  public boolean isDynamic() {
    return dynamic;
  }

  /**
   * Returns whether the caches store {@code null} values.
   *
   * @return the setting given at construction
   */
  public boolean isAllowNullValues() {
    return allowNullValues;
  }

  /**
   * Closes every cache; later use of them throws {@link dev.asynccache.CacheClosedException}, and
   * the manager creates no more caches.
   */
  @Override
  public void close() {
    closed = true;
    for (Map.Entry<String, AsyncCacheSpringCache> e : caches.entrySet()) {
      e.getValue().getNativeCache().close();
    }
  }

  private AsyncCacheSpringCache create(String name) {
    if (closed) {
      throw new IllegalStateException("AsyncCacheManager is closed: cannot create cache '" + name + "'");
    }
    AsyncCache<Object, Object> cache = factory.create(name);
    if (cache == null) {
      throw new IllegalStateException(
          "AsyncCacheFactory " + factory + " returned null for cache '" + name + "'");
    }
    return new AsyncCacheSpringCache(name, cache, allowNullValues);
  }

  @Override
  public String toString() {
    return "AsyncCacheManager{" + (dynamic ? "dynamic" : "static") + ", caches=" + caches.keySet() + "}";
  }
}
