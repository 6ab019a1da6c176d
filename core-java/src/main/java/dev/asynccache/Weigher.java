package dev.asynccache;

/**
 * Computes the weight of a cache entry, for a cache bounded by {@link
 * AsyncCacheBuilder#maximumWeight(long) maximumWeight} instead of an entry count: for instance
 * the size of the value in bytes.
 *
 * <p>The weight of an entry is computed once, when it is written, and never again: a value that
 * changes its size afterwards keeps its first weight. The cache calls the weigher on the writing
 * thread, before it takes its lock, so it must be fast, must not call the cache, and must be
 * thread-safe.
 *
 * <pre>{@code
 * AsyncCache<String, byte[]> blobs = AsyncCache.builder()
 *     .maximumWeight(256L << 20) // 256 MiB of values
 *     .weigher((String key, byte[] value) -> value.length)
 *     .build();
 * }</pre>
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface Weigher<K, V> {
  /**
   * Returns the weight of an entry.
   *
   * @param key the key, never null
   * @param value the value, never null
   * @return zero or more; an entry of weight zero is never evicted to make room (only by TTL,
   *     {@code delete} or {@code clear})
   */
  int weigh(K key, V value);
}
