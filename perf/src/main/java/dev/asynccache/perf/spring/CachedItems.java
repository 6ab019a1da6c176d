package dev.asynccache.perf.spring;

import org.springframework.cache.annotation.Cacheable;

/** The annotated bean the benchmark calls; its bodies run only on a miss, which must not happen. */
public class CachedItems {

  /** A plain {@code @Cacheable}: Spring looks the key up with {@code Cache.get(key)}. */
  @Cacheable("items")
  public Integer item(Integer key) {
    throw new IllegalStateException("the hit benchmark missed key " + key);
  }

  /** {@code sync = true}: Spring calls {@code Cache.get(key, Callable)}, the single-flight path. */
  @Cacheable(cacheNames = "items", sync = true)
  public Integer itemSync(Integer key) {
    throw new IllegalStateException("the hit benchmark missed key " + key);
  }
}
