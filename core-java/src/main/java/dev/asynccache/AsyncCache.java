package dev.asynccache;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * A bounded, thread-safe cache with single-flight loading, per-entry time to live, DataLoader-style
 * batching and optional persistence. Build one with {@link #builder()}.
 *
 * <h2>Semantics</h2>
 *
 * <ul>
 *   <li><b>Single-flight.</b> Concurrent {@code get}s of an absent or expired key run the loader
 *       once; every caller gets that value or that exception. A failed load caches nothing, so the
 *       next {@code get} loads again. A loader that returns {@code null} caches nothing and its
 *       callers get {@code null}.
 *   <li><b>Where loaders run.</b> A synchronous {@code get} runs the loader on the calling thread
 *       (no thread hop) unless a {@code loadTimeout} is set; {@code getAsync}, timed loads and
 *       batches run on virtual threads the cache owns, with the caller's thread context if the
 *       builder was given a {@link TaskDecorator}. Interrupting a caller never fails a load
 *       that other callers share: if the interrupted caller was running the loader, the load is
 *       started again on a cache thread for the callers still waiting.
 *   <li><b>Nested loads.</b> A loader may call the cache for other keys. A loader that needs its
 *       own key, directly or through other loads, gets a {@link RecursiveLoadException} at once.
 *   <li><b>Writes win over loads.</b> A {@code set}, {@code delete} or {@code clear} made while a
 *       key is loading keeps the load's result out of the cache (its waiters still receive it).
 *   <li><b>Size.</b> {@link #size()} never exceeds {@code maxSize} (the victim is evicted before
 *       a new entry goes in); the entry evicted is the least recently used (reads count as use;
 *       they are recorded through lossy striped buffers: exact when one thread uses the cache;
 *       when several threads read, the buffers are drained on a cache thread and the order is
 *       approximate).
 *   <li><b>Expiry.</b> An expired entry is never returned. Expired entries are removed when read,
 *       during writes and periodically during reads; {@link #cleanUp()} removes them all now.
 * </ul>
 *
 * <p>Keys must implement {@code equals}/{@code hashCode} consistently and must not change while in
 * the cache. Keys and values are never {@code null}; passing one throws {@link
 * NullPointerException}. Every method is thread-safe. Blocking methods are meant for virtual
 * threads and never block while holding a monitor. After {@link #close()} every method but {@code
 * close}, {@code size} and {@code metrics} throws {@link CacheClosedException}.
 *
 * <p>Exceptions from a load reach a synchronous caller as thrown when unchecked, wrapped in a
 * {@link LoadException} when checked; futures from {@code getAsync} fail with the loader's own
 * exception.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface AsyncCache<K, V> extends AutoCloseable {

  /**
   * Returns a new builder with the defaults: {@code maxSize} 128, no default TTL, a batch window
   * of 5 ms, {@code maxBatchSize} 100, no load timeout, the system clock, no persistence.
   *
   * @return a new builder
   */
  static AsyncCacheBuilder builder() {
    return new AsyncCacheBuilder();
  }

  /**
   * Returns the value of {@code key}, loading it with {@code loader} on a miss. Entries loaded
   * here live for the cache's default TTL.
   *
   * @param key the key
   * @param loader computes the value on a miss; called at most once for concurrent callers
   * @return the value, or {@code null} if the loader returned {@code null}
   * @throws NullPointerException if {@code key} or {@code loader} is null
   * @throws LoadException if the loader threw a checked exception
   * @throws LoadTimeoutException if the load ran longer than {@code loadTimeout}
   * @throws RecursiveLoadException if this call is made by the loader of {@code key} itself
   * @throws WaitInterruptedException if the caller was interrupted while waiting
   * @throws CacheClosedException if the cache is or gets closed
   */
  @Nullable V get(K key, Loader<? extends V> loader);

  /**
   * Returns the value of {@code key}, loading it with {@code loader} on a miss; a loaded value
   * lives for {@code ttl}.
   *
   * @param key the key
   * @param ttl the time to live of a loaded value
   * @param loader computes the value on a miss
   * @return the value, or {@code null} if the loader returned {@code null}
   * @throws NullPointerException if an argument is null
   * @throws LoadException if the loader threw a checked exception
   * @throws LoadTimeoutException if the load ran longer than {@code loadTimeout}
   * @throws RecursiveLoadException if this call is made by the loader of {@code key} itself
   * @throws WaitInterruptedException if the caller was interrupted while waiting
   * @throws CacheClosedException if the cache is or gets closed
   * @see #get(Object, Loader)
   */
  @Nullable V get(K key, Ttl ttl, Loader<? extends V> loader);

  /**
   * Returns a future of the value of {@code key}; on a miss the loader runs on a virtual thread of
   * the cache. Cancelling the returned future stops only this caller's wait, never the load.
   *
   * @param key the key
   * @param loader computes the value on a miss
   * @return a future completed with the value (or {@code null}), or failed with the loader's
   *     exception
   * @throws NullPointerException if an argument is null
   * @throws CacheClosedException if the cache is closed
   */
  CompletableFuture<@Nullable V> getAsync(K key, Loader<? extends V> loader);

  /**
   * As {@link #getAsync(Object, Loader)}, with a time to live for a loaded value.
   *
   * @param key the key
   * @param ttl the time to live of a loaded value
   * @param loader computes the value on a miss
   * @return a future of the value
   * @throws NullPointerException if an argument is null
   * @throws CacheClosedException if the cache is closed
   */
  CompletableFuture<@Nullable V> getAsync(K key, Ttl ttl, Loader<? extends V> loader);

  /**
   * Returns a future of the value of {@code key}; on a miss {@code loader} is started on the
   * calling thread and its stage is awaited without blocking any thread. Cancelling the returned
   * future stops only this caller's wait, never the load.
   *
   * @param key the key
   * @param ttl the time to live of a loaded value
   * @param loader starts the asynchronous computation of the value on a miss
   * @return a future completed with the value (or {@code null}), or failed with the loader's
   *     exception ({@link LoadTimeoutException} past {@code loadTimeout})
   * @throws NullPointerException if an argument is null
   * @throws CacheClosedException if the cache is closed
   */
  CompletableFuture<@Nullable V> getAsync(K key, Ttl ttl, AsyncLoader<? extends V> loader);

  /**
   * Returns the value of {@code key}; a miss joins the batch of {@code batchLoader} that is
   * collecting keys (one batch window, at most {@code maxBatchSize} keys), and waits for it.
   *
   * @param key the key
   * @param batchLoader loads the batch; see {@link BatchLoader} for the contract
   * @return the value, or {@code null} if the batch loader returned none for the key
   * @throws NullPointerException if an argument is null
   * @throws LoadException if the batch loader threw a checked exception
   * @throws BatchLoadException if the batch loader broke its contract
   * @throws LoadTimeoutException if the batch ran longer than {@code loadTimeout}
   * @throws WaitInterruptedException if the caller was interrupted while waiting
   * @throws CacheClosedException if the cache is or gets closed
   */
  @Nullable V get(K key, BatchLoader<K, ? extends V> batchLoader);

  /**
   * As {@link #get(Object, BatchLoader)}, returning a future. Cancelling it stops only this
   * caller's wait.
   *
   * @param key the key
   * @param batchLoader loads the batch
   * @return a future of the value
   * @throws NullPointerException if an argument is null
   * @throws CacheClosedException if the cache is closed
   */
  CompletableFuture<@Nullable V> getAsync(K key, BatchLoader<K, ? extends V> batchLoader);

  /**
   * Returns the values of {@code keys}: cached ones at once, the others through {@code
   * batchLoader}. Missing keys join the batch being collected, which is then dispatched without
   * waiting for the rest of the window (split into calls of at most {@code maxBatchSize} keys).
   *
   * @param keys the keys; duplicates are ignored
   * @param batchLoader loads the missing keys
   * @return a map of the keys that have a value to their values (keys without one are absent)
   * @throws NullPointerException if {@code keys}, one of them or {@code batchLoader} is null
   * @throws LoadException if the batch loader threw a checked exception
   * @throws BatchLoadException if the batch loader broke its contract
   * @throws WaitInterruptedException if the caller was interrupted while waiting
   * @throws CacheClosedException if the cache is or gets closed
   */
  Map<K, V> getAll(Collection<? extends K> keys, BatchLoader<K, ? extends V> batchLoader);

  /**
   * As {@link #getAll(Collection, BatchLoader)}, returning a future.
   *
   * @param keys the keys
   * @param batchLoader loads the missing keys
   * @return a future of the map of found values
   * @throws NullPointerException if {@code keys}, one of them or {@code batchLoader} is null
   * @throws CacheClosedException if the cache is closed
   */
  CompletableFuture<Map<K, V>> getAllAsync(
      Collection<? extends K> keys, BatchLoader<K, ? extends V> batchLoader);

  /**
   * Returns a {@link Batcher} of this cache over {@code batchLoader}: the DataLoader shape, and the
   * way to batch that cannot go wrong. Create it once (a field, a bean) and call its {@code get}
   * from every request; the keys missed within one batch window reach {@code batchLoader} together.
   * The batch loader runs on a virtual thread of the cache.
   *
   * <pre>{@code
   * Batcher<Long, User> users = cache.batcher(ids -> repository.findAll(ids)); // once
   * User u = users.get(42L);                                                   // per request
   * }</pre>
   *
   * @param batchLoader loads a batch; see {@link BatchLoader} for the contract
   * @return a thread-safe batcher; batchers never share batches with each other
   * @throws NullPointerException if {@code batchLoader} is null
   */
  Batcher<K, V> batcher(BatchLoader<K, ? extends V> batchLoader);

  /**
   * As {@link #batcher(BatchLoader)}, for a batch loader that returns a {@link
   * java.util.concurrent.CompletionStage}: no thread of the cache waits while a batch runs.
   *
   * @param batchLoader starts loading a batch; see {@link AsyncBatchLoader} for the contract
   * @return a thread-safe batcher
   * @throws NullPointerException if {@code batchLoader} is null
   */
  Batcher<K, V> batcher(AsyncBatchLoader<K, ? extends V> batchLoader);

  /**
   * Returns the cached value of {@code key} without loading.
   *
   * @param key the key
   * @return the value, or {@code null} when absent or expired
   * @throws NullPointerException if {@code key} is null
   * @throws CacheClosedException if the cache is closed
   */
  @Nullable V getIfPresent(K key);

  /**
   * Returns a {@link ConcurrentMap} view of this cache: its reads and writes are the cache's, and
   * every {@link ConcurrentMap} operation keeps the map contract (Guava's testlib suite for {@code
   * ConcurrentMap} runs against it).
   *
   * <ul>
   *   <li>Writes ({@code put}, {@code putIfAbsent}, {@code replace}, {@code remove}, {@code
   *       compute}, {@code merge}, an entry's {@code setValue}) use the cache's default time to live
   *       and are atomic and linearizable with every other write of the cache; like {@link #set},
   *       they overtake a load of the key in flight ("writes win").
   *   <li>{@code get} is {@link #getIfPresent} (it counts in the metrics); {@code containsKey},
   *       {@code containsValue} and iteration do not count.
   *   <li>{@code computeIfAbsent} is the cache's single-flight {@code get}: concurrent calls for one
   *       absent key run the function once, and a function that asks for its own key fails with
   *       {@link RecursiveLoadException}.
   *   <li>Iterators and the key, value and entry sets are weakly consistent (as {@link
   *       java.util.concurrent.ConcurrentHashMap}'s), skip expired entries, and support {@code
   *       remove}; {@code size} may count expired entries not removed yet, as {@link #size} does.
   *   <li>Nulls are refused: a null key or value throws {@link NullPointerException}.
   *   <li>An entry may be evicted at any time, as in the cache.
   * </ul>
   *
   * @return the view (the same instance on every call), thread-safe
   * @throws CacheClosedException from the view's operations once the cache is closed
   */
  ConcurrentMap<K, V> asMap();

  /**
   * Stores {@code value} under {@code key} with the cache's default TTL, replacing any value and
   * overriding any load of the key in flight.
   *
   * @param key the key
   * @param value the value
   * @throws NullPointerException if {@code key} or {@code value} is null
   * @throws CacheClosedException if the cache is closed
   * @throws dev.asynccache.persistence.PersistenceException if a write-through backend failed (the
   *     cache is then unchanged)
   */
  void set(K key, V value);

  /**
   * Stores {@code value} under {@code key} for {@code ttl} ({@link Ttl#never()}: no expiry).
   *
   * @param key the key
   * @param value the value
   * @param ttl how long the entry lives
   * @throws NullPointerException if an argument is null
   * @throws CacheClosedException if the cache is closed
   * @throws dev.asynccache.persistence.PersistenceException if a write-through backend failed
   */
  void set(K key, V value, Ttl ttl);

  /**
   * Removes {@code key}, and keeps a load of it in flight from being cached.
   *
   * @param key the key
   * @return {@code true} if a live entry was removed
   * @throws NullPointerException if {@code key} is null
   * @throws CacheClosedException if the cache is closed
   */
  boolean delete(K key);

  /**
   * Removes every entry, and keeps the loads in flight from being cached.
   *
   * @throws CacheClosedException if the cache is closed
   */
  void clear();

  /**
   * Loads the given keys concurrently, each on a virtual thread, and returns when all have
   * finished. A key that is cached or loading is not loaded again. One failure does not stop the
   * others. If the calling thread is interrupted, the loads still running are interrupted and
   * awaited, and {@link WaitInterruptedException} is thrown. The loads run with the context of
   * this call if the builder was given a {@link TaskDecorator}.
   *
   * @param loaders a loader per key
   * @return which keys loaded, which had no value and which failed with what
   * @throws NullPointerException if the map, a key or a loader is null
   * @throws WaitInterruptedException if the caller was interrupted
   * @throws RuntimeException whatever the cache's {@link TaskDecorator} throws (the loads already
   *     started are interrupted and awaited)
   * @throws CacheClosedException if the cache is closed
   */
  WarmupResult<K> warmup(Map<? extends K, ? extends Loader<? extends V>> loaders);

  /**
   * Removes the expired entries now and applies pending recency updates.
   *
   * @throws CacheClosedException if the cache is closed
   */
  void cleanUp();

  /**
   * Returns a snapshot of the counters.
   *
   * @return the metrics
   */
  CacheMetrics metrics();

  /**
   * Returns the number of entries held, expired ones not yet removed included.
   *
   * @return the number of entries
   */
  long size();

  /**
   * Writes every live entry to the persistence backend, replacing its previous snapshot.
   *
   * @return the number of entries written
   * @throws IllegalStateException if the cache has no persistence backend
   * @throws dev.asynccache.persistence.PersistenceException if the backend failed (the previous
   *     snapshot is kept)
   * @throws CacheClosedException if the cache is closed
   */
  long saveToBackend();

  /**
   * Restores the backend's entries into the cache: expired ones are skipped, the most recently
   * used first, at most {@code maxSize}. Entries already in the cache are kept.
   *
   * @return the number of entries restored
   * @throws IllegalStateException if the cache has no persistence backend
   * @throws dev.asynccache.persistence.PersistenceException if the backend's data cannot be read
   *     (the cache is unchanged)
   * @throws CacheClosedException if the cache is closed
   */
  long loadFromBackend();

  /**
   * Closes the cache: batch dispatch stops, waiters of unfinished loads fail with {@link
   * CacheClosedException}, threads the cache started are interrupted and awaited, a snapshot is
   * saved if {@code saveOnShutdown} was chosen, and the backend is closed. Later calls fail fast.
   * Closing twice does nothing.
   */
  @Override
  void close();
}
