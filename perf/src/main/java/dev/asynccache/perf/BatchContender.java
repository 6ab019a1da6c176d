package dev.asynccache.perf;

import dev.asynccache.AsyncCache;
import dev.asynccache.BatchLoader;
import org.jspecify.annotations.Nullable;

/**
 * The contenders of the batching benchmark: how N concurrent callers, each wanting one missing
 * key, reach the {@link Backend}. async-cache coalesces them into batch-loader calls; the others
 * make one backend call per key. (Caffeine has no equivalent of the first: its {@code getAll}
 * batches only the keys that one caller passes at once.)
 */
public enum BatchContender implements Contender {
  /**
   * async-cache {@code get(key, batchLoader)} with its defaults: a batch window of 5 ms, at most
   * 100 keys per batch-loader call.
   */
  ASYNC_CACHE_BATCHED(Family.OURS, "batch loader") {
    @Override
    public Caller create(long maxSize, Backend backend) {
      AsyncCache<Integer, Integer> cache = AsyncCache.builder().maxSize(maxSize).build();
      BatchLoader<Integer, Integer> batchLoader = backend::loadMany;
      return new Caller() {
        @Override
        public @Nullable Integer get(Integer key) {
          return cache.get(key, batchLoader);
        }

        @Override
        public void close() {
          cache.close();
        }
      };
    }
  },
  /** async-cache {@code get(key, loader)}: one backend call per key. */
  ASYNC_CACHE_ONE_BY_ONE(Family.OURS, "one by one") {
    @Override
    public Caller create(long maxSize, Backend backend) {
      return oneByOne(CacheType.ASYNC_CACHE.create(maxSize), backend);
    }
  },
  /** Caffeine {@code get(key, fn)}: one backend call per key. */
  CAFFEINE_ONE_BY_ONE(Family.CAFFEINE, "one by one") {
    @Override
    public Caller create(long maxSize, Backend backend) {
      return oneByOne(CacheType.CAFFEINE.create(maxSize), backend);
    }
  },
  /** {@code ConcurrentHashMap.computeIfAbsent}: one backend call per key. */
  CONCURRENT_HASH_MAP_ONE_BY_ONE(Family.CHM, "one by one") {
    @Override
    public Caller create(long maxSize, Backend backend) {
      return oneByOne(CacheType.CONCURRENT_HASH_MAP.create(maxSize), backend);
    }
  };

  private final Family family;
  private final String variant;

  BatchContender(Family family, String variant) {
    this.family = family;
    this.variant = variant;
  }

  /** Creates an empty cache bounded to {@code maxSize} entries that loads from {@code backend}. */
  public abstract Caller create(long maxSize, Backend backend);

  @Override
  public Family family() {
    return family;
  }

  @Override
  public String variant() {
    return variant;
  }

  private static Caller oneByOne(BenchCache<Integer, Integer> cache, Backend backend) {
    return new Caller() {
      @Override
      public @Nullable Integer get(Integer key) {
        return cache.get(key, backend::loadOne);
      }

      @Override
      public void close() {
        cache.close();
      }
    };
  }

  /** One caller's view: the value of a key, loaded from the backend on a miss. */
  public interface Caller {
    /** Returns the value of {@code key}, waiting for it. */
    @Nullable Integer get(Integer key);

    /** Releases the cache's threads. */
    void close();
  }
}
