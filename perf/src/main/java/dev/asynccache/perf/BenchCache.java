package dev.asynccache.perf;

import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The few operations the benchmarks need, over one contender's cache. Each implementation calls
 * its cache the way a user of that library would, and adds nothing else.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface BenchCache<K, V> {

  /** The cached value of {@code key}, or {@code null}; never loads. */
  @Nullable V getIfPresent(K key);

  /**
   * The value of {@code key}, computed by {@code loader} on a miss. async-cache's {@link
   * dev.asynccache.Loader} takes no key, so its facade captures the key in a lambda, as its users
   * do.
   */
  @Nullable V get(K key, Function<? super K, ? extends V> loader);

  /** Stores {@code value} under {@code key}. */
  void put(K key, V value);

  /** Removes {@code key}. */
  void invalidate(K key);

  /** The number of entries held. */
  long size();

  /** Runs pending maintenance now (buffered reads and writes), if the cache defers any. */
  void cleanUp();

  /** The object whose retained size is the cache's footprint (for JOL). */
  Object unwrap();

  /** Releases the cache's threads, if it has any. */
  void close();
}
