package dev.asynccache;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One batch loader bound to one cache, the DataLoader shape: create it once (a field, a bean) with
 * {@link AsyncCache#batcher(BatchLoader)} or {@link AsyncCache#batcher(AsyncBatchLoader)}, then
 * call {@link #get} from as many concurrent requests as you like: the keys they miss within one
 * batch window reach the batch loader together, in calls of at most {@code maxBatchSize} keys.
 *
 * <p>Every {@code Batcher} of a cache shares that cache's entries, single-flight and metrics; two
 * batchers never share a batch. Thread-safe.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface Batcher<K, V> {

  /**
   * Returns the value of {@code key}, from the cache or through the next batch.
   *
   * @param key the key
   * @return the value, or {@code null} if the batch loader returned none for the key
   * @throws NullPointerException if {@code key} is null
   * @throws LoadException if the batch loader threw a checked exception
   * @throws BatchLoadException if the batch loader broke its contract
   * @throws LoadTimeoutException if the batch ran longer than {@code loadTimeout}
   * @throws WaitInterruptedException if the caller was interrupted while waiting
   * @throws CacheClosedException if the cache is or gets closed
   */
  @Nullable V get(K key);

  /**
   * As {@link #get}, returning a future; cancelling it stops only this caller's wait.
   *
   * @param key the key
   * @return a future of the value
   * @throws NullPointerException if {@code key} is null
   * @throws CacheClosedException if the cache is closed
   */
  CompletableFuture<@Nullable V> getAsync(K key);

  /**
   * Returns the values of {@code keys}: cached ones at once, the others through batches
   * dispatched without waiting for the window.
   *
   * @param keys the keys; duplicates are ignored
   * @return the keys that have a value, with their values
   * @throws NullPointerException if {@code keys} or one of them is null
   * @throws LoadException if the batch loader threw a checked exception
   * @throws BatchLoadException if the batch loader broke its contract
   * @throws WaitInterruptedException if the caller was interrupted while waiting
   * @throws CacheClosedException if the cache is or gets closed
   */
  Map<K, V> getAll(Collection<? extends K> keys);

  /**
   * As {@link #getAll}, returning a future.
   *
   * @param keys the keys
   * @return a future of the keys that have a value, with their values
   * @throws NullPointerException if {@code keys} or one of them is null
   * @throws CacheClosedException if the cache is closed
   */
  CompletableFuture<Map<K, V>> getAllAsync(Collection<? extends K> keys);
}
