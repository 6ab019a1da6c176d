package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * One cache entry: the smallest kind, which never expires and weighs 1 (32 bytes with compressed
 * references). An entry that can expire is an {@link ExpiringNode}, one with a weigher's weight a
 * {@link WeightedNode}: each cache pays only for the fields it uses.
 *
 * <p>The key never changes. A write may change the value in place (without the store's lock) when
 * it keeps the entry's weight and either keeps "never expires" or, for an entry that can expire,
 * moves its expiry later; any other write replaces the node. The links and queue belong to the
 * {@link EntryStore} and its {@link Policy}, and are touched only under the store's lock.
 */
class Node<K, V> {
  /** The expiry of an entry that never expires. */
  static final long NO_EXPIRY = Long.MAX_VALUE;

  /** {@link #queue}: not (or no longer) held by the policy. */
  static final byte NONE = 0;

  final K key;
  /** Replaced in place only by a write that keeps the weight (see EntryStore#put). */
  volatile V value;

  // Guarded by the store's lock.
  @Nullable Node<K, V> prev;
  @Nullable Node<K, V> next;
  /** Which of the policy's queues holds the node, {@link #NONE} if none. */
  byte queue = NONE;
  /**
   * Set (under the store's lock) before the node leaves the map, before a conditional write
   * reads its value for the last time, or before the expiry pass reads its expiry for the last
   * time: a lock-free in-place write that finds it set afterwards redoes itself under the lock, so
   * that no write lands unseen in a node on its way out.
   */
  volatile boolean retired;

  Node(K key, V value) {
    this.key = key;
    this.value = value;
  }

  /**
   * The node for an entry: the smallest kind that holds its expiry and weight.
   *
   * @param expiresAt when it expires, or {@link #NO_EXPIRY}
   * @param weight its weight, 1 without a weigher
   * @param writeOrdered whether an expiring entry may be kept in write order (written with the
   *     cache's default TTL): then, with a weight of 1, it is the smaller {@link ExpiringNode}
   */
  static <K, V> Node<K, V> of(K key, V value, long expiresAt, int weight, boolean writeOrdered) {
    if (expiresAt != NO_EXPIRY) {
      return writeOrdered && weight == 1
          ? new ExpiringNode<>(key, value, expiresAt)
          : new TimedNode<>(key, value, expiresAt, weight);
    }
    return weight == 1 ? new Node<>(key, value) : new WeightedNode<>(key, value, weight);
  }

  /** When the entry expires, on the cache's time source, or {@link #NO_EXPIRY}. */
  long expiresAt() {
    return NO_EXPIRY;
  }

  /** The entry's weight: 1 without a weigher. */
  int weight() {
    return 1;
  }

  final boolean isExpiredAt(long now) {
    long at = expiresAt();
    return at != NO_EXPIRY && now - at >= 0;
  }
}

/** An entry that never expires and has a weigher's weight. */
final class WeightedNode<K, V> extends Node<K, V> {
  private final int weight;

  WeightedNode(K key, V value, int weight) {
    super(key, value);
    this.weight = weight;
  }

  @Override
  int weight() {
    return weight;
  }
}
