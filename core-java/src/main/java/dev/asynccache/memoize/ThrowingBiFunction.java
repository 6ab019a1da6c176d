package dev.asynccache.memoize;

import org.jspecify.annotations.Nullable;

/**
 * A function of two arguments that may throw.
 *
 * @param <A> the first argument type
 * @param <B> the second argument type
 * @param <R> the result type
 */
@FunctionalInterface
public interface ThrowingBiFunction<
    A extends @Nullable Object, B extends @Nullable Object, R extends @Nullable Object> {
  /**
   * Computes the result.
   *
   * @param a the first argument
   * @param b the second argument
   * @return the result; {@code null} is returned to the caller but never cached
   * @throws Exception any failure; it is not cached
   */
  R apply(A a, B b) throws Exception;
}
