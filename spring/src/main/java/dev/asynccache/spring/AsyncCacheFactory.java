package dev.asynccache.spring;

import dev.asynccache.AsyncCache;
import java.util.List;
import java.util.Map;

/**
 * Creates the {@link AsyncCache} behind each cache name of an {@link AsyncCacheManager}: the one
 * extension point of the manager. Any implementation of {@link AsyncCache} fits, e.g. a
 * two-level cache over Redis ({@code async-cache-redis}), which makes {@code @Cacheable(sync =
 * true)} single-flight across a fleet:
 *
 * <pre>{@code
 * @Bean
 * AsyncCacheFactory fleetWideCaches(RedisClient client) {
 *   return name -> twoLevelCache(client, name); // any AsyncCache<Object, Object>, one per name
 * }
 * }</pre>
 *
 * <p>In Spring Boot, an {@code AsyncCacheFactory} bean replaces the factory built from the {@code
 * async-cache.*} properties; the manager, its cache names and the customizers stay the same.
 *
 * <p>Implementations must be thread-safe: the manager calls {@link #create} once per name, from
 * whichever thread first asks for the name.
 */
@FunctionalInterface
public interface AsyncCacheFactory {

  /**
   * Creates the cache for {@code name}. The manager owns the result and closes it with itself.
   *
   * @param name the cache name
   * @return a new, open cache, never {@code null}
   * @throws RuntimeException if the cache cannot be built; the manager passes it on to the caller
   *     that asked for the name
   */
  AsyncCache<Object, Object> create(String name);

  /**
   * Returns a factory that builds each cache with {@link AsyncCache#builder()} from {@code
   * defaults}, overridden option by option by {@code perName.get(name)}.
   *
   * @param defaults the settings of every cache
   * @param perName settings of particular caches; an option they leave unset comes from {@code
   *     defaults}
   * @return a thread-safe factory
   * @throws NullPointerException if an argument, a name or a spec is null
   */
  static AsyncCacheFactory fromSpecs(CacheSpec defaults, Map<String, CacheSpec> perName) {
    return new SpecCacheFactory(defaults, perName, List.of());
  }

  /**
   * As {@link #fromSpecs(CacheSpec, Map)}, then {@code customizers} in order on each builder,
   * for what specs do not hold (a time source, a weigher, a persistence backend).
   *
   * @param defaults the settings of every cache
   * @param perName settings of particular caches
   * @param customizers applied after the specs, in order
   * @return a thread-safe factory
   * @throws NullPointerException if an argument or an element is null
   */
  static AsyncCacheFactory fromSpecs(
      CacheSpec defaults,
      Map<String, CacheSpec> perName,
      List<? extends AsyncCacheBuilderCustomizer> customizers) {
    return new SpecCacheFactory(defaults, perName, customizers);
  }
}
