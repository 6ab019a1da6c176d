package dev.asynccache.persistence;

import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A durable store for a cache's entries. Two modes:
 *
 * <ul>
 *   <li><b>Snapshot</b> (every backend): {@link #save(Iterable)} replaces the stored snapshot with
 *       the cache's live entries; {@link #load(Consumer)} reads the last snapshot back. The cache
 *       calls these from {@code saveToBackend()}, {@code loadFromBackend()}, on shutdown and
 *       periodically, as configured.
 *   <li><b>Write-through</b> (backends whose {@link #isWriteThrough()} is {@code true}): the cache
 *       also calls {@link #put}, {@link #remove} and {@link #removeAll} for every change of its
 *       contents (writes, loads, evictions, expirations), before the change is visible in memory,
 *       and {@link #get} on a miss in memory, before calling the loader.
 * </ul>
 *
 * <p>Implementations must be thread-safe. A failure is a {@link PersistenceException} naming the
 * store and saying what is wrong; a failed call must leave the previous durable state intact.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface PersistenceBackend<K, V> extends AutoCloseable {

  /**
   * Replaces the stored snapshot with {@code entries}, given most recently used first. Either the
   * whole new snapshot is stored or the previous one stays.
   *
   * @param entries the live entries, most recently used first
   * @return the number of entries written
   * @throws PersistenceException if the snapshot could not be written
   */
  long save(Iterable<PersistedEntry<K, V>> entries);

  /**
   * Passes every stored entry to {@code sink}, most recently used first when the store keeps that
   * order. Entries may have expired; the cache skips those.
   *
   * @param sink receives the entries
   * @return the number of entries read; 0 when nothing was saved yet (a first start)
   * @throws PersistenceException if the store is unreadable, corrupt or of another format
   */
  long load(Consumer<? super PersistedEntry<K, V>> sink);

  /**
   * Tells whether this backend wants every change ({@link #put}, {@link #remove}, {@link
   * #removeAll}) and is asked on misses ({@link #get}).
   *
   * @return {@code true} for a write-through backend; {@code false} by default
   */
  default boolean isWriteThrough() {
    return false;
  }

  /**
   * Stores one entry durably (write-through mode); when this returns the write survives a crash.
   *
   * @param entry the entry
   * @throws PersistenceException if it could not be stored
   */
  default void put(PersistedEntry<K, V> entry) {}

  /**
   * Removes one key (write-through mode).
   *
   * @param key the key
   * @throws PersistenceException if it could not be removed
   */
  default void remove(K key) {}

  /**
   * Removes every key (write-through mode).
   *
   * @throws PersistenceException if the store could not be cleared
   */
  default void removeAll() {}

  /**
   * Reads one entry (write-through mode).
   *
   * @param key the key
   * @return the stored entry, or {@code null} when absent
   * @throws PersistenceException if the store could not be read
   */
  default @Nullable PersistedEntry<K, V> get(K key) {
    return null;
  }

  /**
   * Releases the store (files, memory maps, locks). Called once by the cache's {@code close()}.
   *
   * @throws PersistenceException if releasing failed
   */
  @Override
  default void close() {}
}
