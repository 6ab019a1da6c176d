package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * Computes the value of one key on a cache miss.
 *
 * <p>A loader may block (it usually runs on a virtual thread) and may throw any exception. The
 * cache calls it at most once per miss however many callers wait for the key (single-flight).
 * Returning {@code null} means "no value": the callers get {@code null} and nothing is cached.
 *
 * @param <V> the value type
 */
@FunctionalInterface
public interface Loader<V extends @Nullable Object> {

  /**
   * Loads the value.
   *
   * @return the value, or {@code null} when there is none (nothing is cached then)
   * @throws Exception any failure; every caller waiting for this load receives it and nothing is
   *     cached, so the next {@code get} of the key loads again
   */
  @Nullable V load() throws Exception;
}
