package dev.asynccache;

/**
 * An entry with a refresh age ({@code refreshAfterWrite}, per cache or per entry): when it is due
 * for a background reload, and how many reloads in a row failed (for the back-off). Entries without
 * one are plain {@link Node}s and pay nothing for the feature.
 */
final class RefreshableNode<K, V> extends TimedNode<K, V> {
  /** When a read should start a reload, on the cache's time source. */
  volatile long refreshAt;
  /** Reloads that failed in a row; guarded by the key's single reload in flight. */
  int failures;

  RefreshableNode(K key, V value, long expiresAt, int weight, long refreshAt) {
    super(key, value, expiresAt, weight);
    this.refreshAt = refreshAt;
  }
}
