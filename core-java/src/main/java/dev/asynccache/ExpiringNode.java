package dev.asynccache;

/**
 * An entry that can expire (48 bytes with compressed references), or that has a refresh age
 * ({@link RefreshableNode}, whose expiry may be {@link Node#NO_EXPIRY}).
 *
 * <p>The expiry moves only later, and never to or from {@link Node#NO_EXPIRY}, by an in-place
 * write (see EntryStore#put). Such a write holds the node's monitor and writes the value before
 * the expiry, so that concurrent writers never mix one's value with another's expiry, and a reader
 * that finds the new expiry also finds the new value.
 */
class ExpiringNode<K, V> extends Node<K, V> {
  /** When the entry expires, on the cache's time source, or {@link Node#NO_EXPIRY}. */
  volatile long expiresAt;
  /** The position in the {@link ExpiryQueue}, -1 when not in it; guarded by the store's lock. */
  int heapIndex = -1;
  private final int weight;

  ExpiringNode(K key, V value, long expiresAt, int weight) {
    super(key, value);
    this.expiresAt = expiresAt;
    this.weight = weight;
  }

  @Override
  final long expiresAt() {
    return expiresAt;
  }

  @Override
  final int weight() {
    return weight;
  }
}
