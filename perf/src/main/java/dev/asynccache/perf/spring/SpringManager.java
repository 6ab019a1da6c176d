package dev.asynccache.perf.spring;

import com.github.benmanes.caffeine.cache.Caffeine;
import dev.asynccache.spring.AsyncCacheFactory;
import dev.asynccache.spring.AsyncCacheManager;
import dev.asynccache.spring.CacheSpec;
import java.util.Map;
import org.springframework.cache.CacheManager;
import org.springframework.cache.caffeine.CaffeineCacheManager;

/** The contenders: one Spring CacheManager each, both bounded to the same size, no expiry. */
public enum SpringManager {
  /** async-cache's {@link AsyncCacheManager}. */
  ASYNC_CACHE {
    @Override
    CacheManager create(long maxSize) {
      CacheSpec spec = new CacheSpec(maxSize, null, null, null, null, null, null);
      return new AsyncCacheManager(AsyncCacheFactory.fromSpecs(spec, Map.of()));
    }
  },
  /** Spring's {@link CaffeineCacheManager} (spring-context-support), as Boot configures it. */
  CAFFEINE {
    @Override
    CacheManager create(long maxSize) {
      CaffeineCacheManager manager = new CaffeineCacheManager();
      manager.setCaffeine(Caffeine.newBuilder().maximumSize(maxSize));
      return manager;
    }
  };

  /** A new manager whose caches hold at most {@code maxSize} entries. */
  abstract CacheManager create(long maxSize);
}
