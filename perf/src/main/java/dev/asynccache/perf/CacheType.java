package dev.asynccache.perf;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.asynccache.AsyncCache;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The contenders of the single-key benchmarks (hit, throughput, miss, memory), each a small
 * facade over one cache configured the closest way: a size bound of {@code maxSize} and, for the
 * {@code _TTL} constants, a time to live of {@link #TTL} on every write (async-cache {@code
 * defaultTtl}, Caffeine {@code expireAfterWrite}). {@link #CONCURRENT_HASH_MAP} has neither bound
 * nor expiry: it is the floor, not a rival.
 */
public enum CacheType implements Contender {
  /** async-cache, {@code maxSize(n)}. */
  ASYNC_CACHE(Family.OURS, false) {
    @Override
    public <K, V> BenchCache<K, V> create(long maxSize) {
      return new Ours<>(AsyncCache.builder().maxSize(maxSize).build());
    }
  },
  /** async-cache, {@code maxSize(n).defaultTtl(5 min)}. */
  ASYNC_CACHE_TTL(Family.OURS, true) {
    @Override
    public <K, V> BenchCache<K, V> create(long maxSize) {
      return new Ours<>(AsyncCache.builder().maxSize(maxSize).defaultTtl(TTL).build());
    }
  },
  /** Caffeine, {@code maximumSize(n)}. */
  CAFFEINE(Family.CAFFEINE, false) {
    @Override
    public <K, V> BenchCache<K, V> create(long maxSize) {
      return new OfCaffeine<>(Caffeine.newBuilder().maximumSize(maxSize).<K, V>build());
    }
  },
  /** Caffeine, {@code maximumSize(n).expireAfterWrite(5 min)}. */
  CAFFEINE_TTL(Family.CAFFEINE, true) {
    @Override
    public <K, V> BenchCache<K, V> create(long maxSize) {
      return new OfCaffeine<>(
          Caffeine.newBuilder().maximumSize(maxSize).expireAfterWrite(TTL).<K, V>build());
    }
  },
  /** A bare {@link ConcurrentHashMap}: no bound, no expiry. */
  CONCURRENT_HASH_MAP(Family.CHM, false) {
    @Override
    public <K, V> BenchCache<K, V> create(long maxSize) {
      return new OfMap<>(new ConcurrentHashMap<>());
    }
  };

  /** The time to live of the {@code _TTL} contenders: long enough that nothing expires in a run. */
  public static final Duration TTL = Duration.ofMinutes(5);

  private final Family family;
  private final boolean ttl;

  CacheType(Family family, boolean ttl) {
    this.family = family;
    this.ttl = ttl;
  }

  /** Creates an empty cache bounded to {@code maxSize} entries (ignored by the map). */
  public abstract <K, V> BenchCache<K, V> create(long maxSize);

  @Override
  public Family family() {
    return family;
  }

  /** Whether writes carry a time to live. */
  public boolean hasTtl() {
    return ttl;
  }

  @Override
  public String variant() {
    return ttl ? "TTL 5 min" : "no TTL";
  }

  private record Ours<K, V>(AsyncCache<K, V> cache) implements BenchCache<K, V> {
    @Override
    public @Nullable V getIfPresent(K key) {
      return cache.getIfPresent(key);
    }

    @Override
    public @Nullable V get(K key, Function<? super K, ? extends V> loader) {
      return cache.get(key, () -> loader.apply(key));
    }

    @Override
    public void put(K key, V value) {
      cache.set(key, value);
    }

    @Override
    public void invalidate(K key) {
      cache.delete(key);
    }

    @Override
    public long size() {
      return cache.size();
    }

    @Override
    public void cleanUp() {
      cache.cleanUp();
    }

    @Override
    public Object unwrap() {
      return cache;
    }

    @Override
    public void close() {
      cache.close();
    }
  }

  private record OfCaffeine<K, V>(Cache<K, V> cache) implements BenchCache<K, V> {
    @Override
    public @Nullable V getIfPresent(K key) {
      return cache.getIfPresent(key);
    }

    @Override
    public @Nullable V get(K key, Function<? super K, ? extends V> loader) {
      return cache.get(key, loader);
    }

    @Override
    public void put(K key, V value) {
      cache.put(key, value);
    }

    @Override
    public void invalidate(K key) {
      cache.invalidate(key);
    }

    @Override
    public long size() {
      return cache.estimatedSize();
    }

    @Override
    public void cleanUp() {
      cache.cleanUp();
    }

    @Override
    public Object unwrap() {
      return cache;
    }

    @Override
    public void close() {}
  }

  private record OfMap<K, V>(ConcurrentHashMap<K, V> map) implements BenchCache<K, V> {
    @Override
    public @Nullable V getIfPresent(K key) {
      return map.get(key);
    }

    @Override
    public @Nullable V get(K key, Function<? super K, ? extends V> loader) {
      return map.computeIfAbsent(key, loader);
    }

    @Override
    public void put(K key, V value) {
      map.put(key, value);
    }

    @Override
    public void invalidate(K key) {
      map.remove(key);
    }

    @Override
    public long size() {
      return map.mappingCount();
    }

    @Override
    public void cleanUp() {}

    @Override
    public Object unwrap() {
      return map;
    }

    @Override
    public void close() {}
  }
}
