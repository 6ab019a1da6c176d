package dev.asynccache;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * Computes the value of one key asynchronously: for loaders that are themselves asynchronous (a
 * non-blocking client, a coroutine), so that no thread waits while the value is computed.
 *
 * <p>The cache calls {@link #load} on the thread of the caller that missed, once per miss however
 * many callers wait (single-flight); the method should return quickly and complete the stage
 * later. A stage completed with {@code null} caches nothing; a failed stage fails every waiter and
 * caches nothing.
 *
 * @param <V> the value type
 */
@FunctionalInterface
public interface AsyncLoader<V extends @Nullable Object> {

  /**
   * Starts loading the value.
   *
   * @param executor runs tasks on virtual threads owned by the cache (interrupted and awaited when
   *     the cache closes); use it, or any executor of your own, for work that blocks
   * @return a stage completed with the value (or {@code null} for none), never {@code null} itself
   * @throws Exception a failure to start; every waiter receives it
   */
  CompletionStage<? extends @Nullable V> load(Executor executor) throws Exception;
}
