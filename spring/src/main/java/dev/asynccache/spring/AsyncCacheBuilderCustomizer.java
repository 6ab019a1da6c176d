package dev.asynccache.spring;

import dev.asynccache.AsyncCacheBuilder;

/**
 * Adjusts the builder of one named cache after its {@link CacheSpec} was applied: the place for
 * options a spec does not hold (a {@link dev.asynccache.TimeSource}, a weigher, persistence). In
 * Spring Boot every bean of this type is applied, in {@code @Order}.
 *
 * <p>Builder options may be set once: setting one the spec already set throws {@link
 * IllegalStateException} ("maxSize was already set") when the cache is created.
 */
@FunctionalInterface
public interface AsyncCacheBuilderCustomizer {

  /**
   * Customizes the builder of cache {@code name}.
   *
   * @param name the cache name
   * @param builder the builder, with the spec's options set
   */
  void customize(String name, AsyncCacheBuilder builder);
}
