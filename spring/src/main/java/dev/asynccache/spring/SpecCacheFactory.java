package dev.asynccache.spring;

import dev.asynccache.AsyncCache;
import dev.asynccache.AsyncCacheBuilder;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** {@link AsyncCacheFactory#fromSpecs}: defaults, per-name overrides, then the customizers. */
final class SpecCacheFactory implements AsyncCacheFactory {
  private final CacheSpec defaults;
  private final Map<String, CacheSpec> perName;
  private final List<AsyncCacheBuilderCustomizer> customizers;

  SpecCacheFactory(
      CacheSpec defaults,
      Map<String, CacheSpec> perName,
      List<? extends AsyncCacheBuilderCustomizer> customizers) {
    this.defaults = Objects.requireNonNull(defaults, "defaults must not be null");
    this.perName = Map.copyOf(perName);
    this.customizers = List.copyOf(customizers);
  }

  @Override
  public AsyncCache<Object, Object> create(String name) {
    CacheSpec spec = defaults.overriddenBy(perName.getOrDefault(name, CacheSpec.empty()));
    AsyncCacheBuilder builder = spec.applyTo(AsyncCache.builder());
    for (AsyncCacheBuilderCustomizer customizer : customizers) {
      customizer.customize(name, builder);
    }
    return builder.build();
  }

  @Override
  public String toString() {
    return "AsyncCacheFactory.fromSpecs(" + defaults + ", " + perName + ")";
  }
}
