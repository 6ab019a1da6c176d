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
 * <p>Calls are coalesced per batch loader <em>instance</em> (by {@code equals}): keep one instance
 * (a field, a non-capturing lambda) for the calls that should share batches. A lambda that captures
 * a variable is a new instance at every evaluation and would give each call a batch of its own.
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
