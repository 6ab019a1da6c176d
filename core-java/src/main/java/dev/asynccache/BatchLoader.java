package dev.asynccache;

import java.util.List;
import java.util.Map;

/**
 * Loads many keys in one call, the way a DataLoader does: the cache collects the keys that callers
 * miss within one batch window and passes them here together.
 *
 * <p>The contract:
 *
 * <ul>
 *   <li>{@code keys} holds distinct keys that are neither cached nor already loading, at most the
 *       cache's {@code maxBatchSize} of them. The list is read-only.
 *   <li>Return a map from key to value. A key absent from the map (or mapped to {@code null}) has no
 *       value: its callers get {@code null} and nothing is cached for it. Keys that were not asked
 *       for are ignored. Returning {@code null} instead of a map is a broken loader: every caller
 *       of the batch fails with a {@link BatchLoadException}.
 *   <li>Throwing fails every caller of this batch with that exception; nothing is cached.
 * </ul>
 *
 * <p>How calls share batches: the keys missed through one {@link Batcher} ({@link
 * AsyncCache#batcher(BatchLoader)}, the recommended form) share its batches. A batch loader passed
 * with each call ({@link AsyncCache#get(Object, BatchLoader)}) coalesces by where it comes from: a
 * lambda or method reference by the expression that created it, so that {@code cache.get(id, ids
 * -> repo.findAll(ids))} or {@code cache.get(id, repo::findAll)} from many concurrent requests
 * makes one batch although each evaluation is a new instance; an instance of a named class by
 * {@code equals}. The batch calls the loader of its first key. As with single-flight (where one
 * caller's loader answers every caller of the key), a batch loader must be able to load any key of
 * the cache, whatever state its lambda captured.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
@FunctionalInterface
public interface BatchLoader<K, V> {

  /**
   * Loads the values of {@code keys}.
   *
   * @param keys distinct keys to load, never empty, read-only
   * @return the values found; keys without a value may be left out
   * @throws Exception any failure; every caller of the batch receives it
   */
  Map<K, V> load(List<K> keys) throws Exception;
}
