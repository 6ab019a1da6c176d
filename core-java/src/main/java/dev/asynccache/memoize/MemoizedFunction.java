package dev.asynccache.memoize;

import dev.asynccache.CacheMetrics;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A function whose results are cached per argument, with single-flight: concurrent calls with an
 * equal argument run the function once. Thread-safe.
 *
 * <p>Exceptions: an unchecked exception of the function reaches the callers as thrown; a checked
 * one is wrapped in {@link dev.asynccache.LoadException}. Failures and {@code null} results are not
 * cached.
 *
 * @param <A> the argument type
 * @param <R> the result type
 */
public interface MemoizedFunction<A extends @Nullable Object, R extends @Nullable Object>
    extends Function<A, R> {

  /**
   * Returns the cached result for {@code a}, computing it on a miss.
   *
   * @param a the argument (may be null)
   * @return the result
   */
  @Override
  R apply(A a);

  /**
   * Calls the function without looking at the cache, and caches the fresh result (the seed's
   * {@code use_cache=False}).
   *
   * @param a the argument
   * @return the fresh result
   */
  R refresh(A a);

  /**
   * Forgets the cached result for {@code a}.
   *
   * @param a the argument
   */
  void invalidate(A a);

  /** Forgets every cached result. */
  void invalidateAll();

  /**
   * Returns the counters of the underlying cache.
   *
   * @return the metrics
   */
  CacheMetrics metrics();
}
