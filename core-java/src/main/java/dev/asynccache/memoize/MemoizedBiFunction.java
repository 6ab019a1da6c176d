package dev.asynccache.memoize;

import dev.asynccache.CacheMetrics;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * A two-argument function whose results are cached per arguments (after skipping the leading ones
 * the {@link Memoizer} was told to skip), with single-flight. Thread-safe. Exceptions as in {@link
 * MemoizedFunction}.
 *
 * @param <A> the first argument type
 * @param <B> the second argument type
 * @param <R> the result type
 */
public interface MemoizedBiFunction<
        A extends @Nullable Object, B extends @Nullable Object, R extends @Nullable Object>
    extends BiFunction<A, B, R> {

  /**
   * Returns the cached result for the arguments, computing it on a miss.
   *
   * @param a the first argument
   * @param b the second argument
   * @return the result
   */
  @Override
  R apply(A a, B b);

  /**
   * Calls the function without looking at the cache, and caches the fresh result.
   *
   * @param a the first argument
   * @param b the second argument
   * @return the fresh result
   */
  R refresh(A a, B b);

  /**
   * Forgets the cached result for the arguments.
   *
   * @param a the first argument
   * @param b the second argument
   */
  void invalidate(A a, B b);

  /** Forgets every cached result. */
  void invalidateAll();

  /**
   * Returns the counters of the underlying cache.
   *
   * @return the metrics
   */
  CacheMetrics metrics();
}
