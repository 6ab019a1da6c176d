package dev.asynccache.memoize;

import org.jspecify.annotations.Nullable;

/**
 * A function of one argument that may throw.
 *
 * @param <A> the argument type
 * @param <R> the result type
 */
@FunctionalInterface
public interface ThrowingFunction<A extends @Nullable Object, R extends @Nullable Object> {
  /**
   * Computes the result.
   *
   * @param a the argument
   * @return the result; {@code null} is returned to the caller but never cached
   * @throws Exception any failure; it is not cached
   */
  R apply(A a) throws Exception;
}
