package dev.asynccache;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Loads many keys in one call, asynchronously: the batching counterpart of {@link AsyncLoader},
 * for data sources with a non-blocking client. No thread of the cache waits while the batch runs.
 *
 * <p>The contract is {@link BatchLoader}'s, applied to the stage: {@code keys} are distinct, never
 * empty, read-only; complete the stage with a map from key to value (a key left out has no value,
 * keys not asked for are ignored); completing it with {@code null} breaks the contract (every
 * caller of the batch fails with {@link BatchLoadException}); failing the stage fails every caller
 * of the batch. The cache calls {@link #load} on one of its own virtual threads, which ends as soon
 * as the method returns. When the batch times out or the cache closes, the stage is cancelled.
 *
 * <p>Use it through {@link AsyncCache#batcher(AsyncBatchLoader)}.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface AsyncBatchLoader<K, V> {

  /**
   * Starts loading the values of {@code keys}.
   *
   * @param keys distinct keys to load, never empty, read-only
   * @param executor runs tasks on virtual threads owned by the cache
   * @return a stage completed with the values found, never {@code null} itself
   * @throws Exception a failure to start; every caller of the batch receives it
   */
  CompletionStage<? extends Map<K, ? extends V>> load(List<K> keys, Executor executor)
      throws Exception;
}
