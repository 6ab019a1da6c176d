package dev.asynccache.perf;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The contenders of the thundering-herd benchmark: how 1,000 callers of one cold key wait for its
 * value. The blocking rows call a synchronous {@code get}; the async rows take a future and join
 * it (Caffeine's {@code AsyncCache} runs the loader on its executor, the common pool).
 */
public enum HerdContender implements Contender {
  /** async-cache {@code get(key, loader)}: the first caller runs the loader, the others wait. */
  ASYNC_CACHE_GET(Family.OURS, "blocking get") {
    @Override
    public Getter create(long maxSize) {
      return of(CacheType.ASYNC_CACHE.create(maxSize));
    }
  },
  /** Caffeine {@code Cache.get(key, fn)}: waiters block inside {@code ConcurrentHashMap.compute}. */
  CAFFEINE_GET(Family.CAFFEINE, "blocking get") {
    @Override
    public Getter create(long maxSize) {
      return of(CacheType.CAFFEINE.create(maxSize));
    }
  },
  /** {@code ConcurrentHashMap.computeIfAbsent}. */
  CONCURRENT_HASH_MAP(Family.CHM, "blocking get") {
    @Override
    public Getter create(long maxSize) {
      return of(CacheType.CONCURRENT_HASH_MAP.create(maxSize));
    }
  },
  /** async-cache {@code getAsync(key, loader).join()}: the loader runs on a cache thread. */
  ASYNC_CACHE_GET_ASYNC(Family.OURS, "async get + join") {
    @Override
    public Getter create(long maxSize) {
      dev.asynccache.AsyncCache<Integer, Integer> cache =
          dev.asynccache.AsyncCache.builder().maxSize(maxSize).build();
      return new Getter() {
        @Override
        public @Nullable Integer get(Integer key, Function<Integer, Integer> loader) {
          return cache.getAsync(key, () -> loader.apply(key)).join();
        }

        @Override
        public void close() {
          cache.close();
        }
      };
    }
  },
  /** Caffeine {@code AsyncCache.get(key, fn).join()}. */
  CAFFEINE_ASYNC(Family.CAFFEINE, "async get + join") {
    @Override
    public Getter create(long maxSize) {
      AsyncCache<Integer, Integer> cache = Caffeine.newBuilder().maximumSize(maxSize).buildAsync();
      return new Getter() {
        @Override
        public @Nullable Integer get(Integer key, Function<Integer, Integer> loader) {
          return cache.get(key, loader).join();
        }

        @Override
        public void close() {}
      };
    }
  };

  private final Family family;
  private final String variant;

  HerdContender(Family family, String variant) {
    this.family = family;
    this.variant = variant;
  }

  /** Creates an empty cache bounded to {@code maxSize} entries. */
  public abstract Getter create(long maxSize);

  @Override
  public Family family() {
    return family;
  }

  @Override
  public String variant() {
    return variant;
  }

  private static Getter of(BenchCache<Integer, Integer> cache) {
    return new Getter() {
      @Override
      public @Nullable Integer get(Integer key, Function<Integer, Integer> loader) {
        return cache.get(key, loader);
      }

      @Override
      public void close() {
        cache.close();
      }
    };
  }

  /** A cache seen as one blocking call: the value of a key, loaded on a miss. */
  public interface Getter {
    /** Returns the value of {@code key}, waiting for it; {@code loader} computes it on a miss. */
    @Nullable Integer get(Integer key, Function<Integer, Integer> loader);

    /** Releases the cache's threads. */
    void close();
  }
}
