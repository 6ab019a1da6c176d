package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * An entry that can expire. The smallest kind (48 bytes with compressed references) is an entry
 * written with the cache's default TTL and a weight of 1: it is kept in the {@link ExpiryOrder},
 * through the two links below, as Caffeine's {@code expireAfterWrite} keeps its write order. Any
 * other expiring entry (a per-entry TTL, a weigher's weight, a refresh age) is a {@link TimedNode},
 * kept in the {@link ExpiryQueue} heap.
 *
 * <p>The expiry moves only later, and never to or from {@link Node#NO_EXPIRY}, by an in-place
 * write (see EntryStore#put). Such a write holds the node's monitor and writes the value before
 * the expiry, so that concurrent writers never mix one's value with another's expiry, and a reader
 * that finds the new expiry also finds the new value; then it sets {@link #expiryMoved}.
 */
class ExpiringNode<K, V> extends Node<K, V> {
  /**
   * Set by an in-place write after it moved the expiry later (without the store's lock), cleared
   * by the expiry pass when it re-sorts the node in the {@link ExpiryOrder}.
   */
  volatile boolean expiryMoved;
  /** When the entry expires, on the cache's time source, or {@link Node#NO_EXPIRY}. */
  volatile long expiresAt;
  /** The neighbours in the {@link ExpiryOrder}; guarded by the store's lock. */
  @Nullable ExpiringNode<K, V> earlier;
  @Nullable ExpiringNode<K, V> later;

  ExpiringNode(K key, V value, long expiresAt) {
    super(key, value);
    this.expiresAt = expiresAt;
  }

  @Override
  final long expiresAt() {
    return expiresAt;
  }
}

/**
 * An entry that can expire and is kept in the {@link ExpiryQueue} heap: a per-entry TTL, a
 * weigher's weight, or a refresh age ({@link RefreshableNode}, whose expiry may be {@link
 * Node#NO_EXPIRY}).
 */
class TimedNode<K, V> extends ExpiringNode<K, V> {
  /** The position in the {@link ExpiryQueue}, -1 when not in it; guarded by the store's lock. */
  int heapIndex = -1;
  private final int weight;

  TimedNode(K key, V value, long expiresAt, int weight) {
    super(key, value, expiresAt);
    this.weight = weight;
  }

  @Override
  final int weight() {
    return weight;
  }
}
