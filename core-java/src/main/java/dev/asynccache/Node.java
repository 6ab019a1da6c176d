package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * One cache entry. Key and weight never change. A write may change the value in place (without
 * the store's lock) when it keeps the entry's weight and either keeps "never expires" or, for an
 * entry that can expire, moves its expiry later; any other write replaces the node. An in-place
 * write of an expiring entry holds the node's monitor and writes the value before the expiry, so
 * that concurrent writers never mix one's value with another's expiry, and a reader that finds the
 * new expiry also finds the new value. The links, queue and heap index belong to the {@link
 * EntryStore} and its {@link Policy}, and are touched only under the store's lock.
 */
class Node<K, V> {
  /** The expiry of an entry that never expires. */
  static final long NO_EXPIRY = Long.MAX_VALUE;

  /** {@link #queue}: not (or no longer) held by the policy. */
  static final byte NONE = 0;

  final K key;
  /** Replaced in place only by a write that keeps the expiry (see EntryStore#put). */
  volatile V value;
  /**
   * When the entry expires, on the cache's time source, or {@link #NO_EXPIRY}. Moves only later,
   * and never to or from {@link #NO_EXPIRY}, by an in-place write (see EntryStore#put).
   */
  volatile long expiresAt;
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
    long at = expiresAt;
    return at != NO_EXPIRY && now - at >= 0;
  }
}
