package dev.asynccache;

import java.util.Map;
import java.util.Set;

/**
 * What {@link AsyncCache#warmup(Map)} did, key by key. Immutable.
 *
 * @param loaded keys that now have a value in the cache (loaded, or already there)
 * @param missing keys whose loader returned {@code null}: nothing is cached for them
 * @param failed keys whose load failed, with the exception each one threw
 * @param <K> the key type
 */
public record WarmupResult<K>(Set<K> loaded, Set<K> missing, Map<K, Throwable> failed) {

  /**
   * Copies the collections.
   *
   * @throws NullPointerException if a collection is null
   */
  public WarmupResult {
    loaded = Set.copyOf(loaded);
    missing = Set.copyOf(missing);
    failed = Map.copyOf(failed);
  }

  /**
   * Tells whether every key loaded.
   *
   * @return {@code true} when nothing failed and no loader returned {@code null}
   */
  public boolean isComplete() {
    return failed.isEmpty() && missing.isEmpty();
  }
}
