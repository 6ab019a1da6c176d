package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * One cache entry. Key and expiry never change; the value changes in place only when a write
 * keeps the entry's "never expires" (a write that changes the expiry replaces the node), so a
 * reader that found the node in the map sees a consistent entry. The links and heap index belong to the
 * {@link EntryStore} and are touched only under its lock.
 */
final class Node<K, V> {
  /** The expiry of an entry that never expires. */
  static final long NO_EXPIRY = Long.MAX_VALUE;

  final K key;
  /** Replaced in place only by a write that keeps the expiry (see EntryStore#put). */
  volatile V value;
  /** When the entry expires, on the cache's time source, or {@link #NO_EXPIRY}. */
  final long expiresAt;

  // Guarded by the store's lock.
  @Nullable Node<K, V> prev;
  @Nullable Node<K, V> next;
  int heapIndex = -1;

  Node(K key, V value, long expiresAt) {
    this.key = key;
    this.value = value;
    this.expiresAt = expiresAt;
  }

  boolean isExpiredAt(long now) {
    return expiresAt != NO_EXPIRY && now - expiresAt >= 0;
  }
}
