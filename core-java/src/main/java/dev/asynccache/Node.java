package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * One cache entry. Key, weight and expiry never change; the value changes in place only when a
 * write keeps the entry's "never expires" and its weight (a write that changes either replaces
 * the node), so a reader that found the node in the map sees a consistent entry. The links, queue
 * and heap index belong to the {@link EntryStore} and its {@link Policy}, and are touched only
 * under the store's lock.
 */
class Node<K, V> {
  /** The expiry of an entry that never expires. */
  static final long NO_EXPIRY = Long.MAX_VALUE;

  /** {@link #queue}: not (or no longer) held by the policy. */
  static final byte NONE = 0;

  final K key;
  /** Replaced in place only by a write that keeps the expiry (see EntryStore#put). */
  volatile V value;
  /** When the entry expires, on the cache's time source, or {@link #NO_EXPIRY}. */
  final long expiresAt;
  /** The entry's weight: 1 without a weigher. */
  final int weight;

  // Guarded by the store's lock.
  @Nullable Node<K, V> prev;
  @Nullable Node<K, V> next;
  int heapIndex = -1;
  /** Which of the policy's queues holds the node, {@link #NONE} if none. */
  byte queue = NONE;
  /**
   * Set (under the store's lock) before the node leaves the map or before a conditional write
   * reads its value for the last time: a lock-free in-place write that finds it set afterwards
   * redoes itself under the lock, so that no write lands unseen in a node on its way out.
   */
  volatile boolean retired;

  Node(K key, V value, long expiresAt, int weight) {
    this.key = key;
    this.value = value;
    this.expiresAt = expiresAt;
    this.weight = weight;
  }

  final boolean isExpiredAt(long now) {
    return expiresAt != NO_EXPIRY && now - expiresAt >= 0;
  }
}
