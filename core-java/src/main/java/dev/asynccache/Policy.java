package dev.asynccache;

import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The eviction policy of an {@link EntryStore}: which entries stay when the cache is full. It
 * holds every live node in its queues, with their total weight, and counts evictions and
 * expirations. Guarded by the store's lock (the counts are also read without it); every method is
 * called from a structural write or from the buffered maintenance, never on the hit path.
 *
 * <p>The store adds a node with {@link #add} before the map publishes it, then evicts {@link
 * #selectVictim()} while {@link #weightedSize()} is above the maximum: the policy may choose the
 * new node itself, which the store then never publishes.
 */
abstract class Policy<K, V> extends PolicyCounters {
  /** The bound on {@link #weightedSize()}: entries, or total weight with a weigher. */
  final long maximum;

  Policy(long maximum) {
    this.maximum = maximum;
  }

  static <K, V> Policy<K, V> create(EvictionPolicy kind, long maximum, boolean weighted) {
    if (kind == EvictionPolicy.LRU || maximum == Long.MAX_VALUE) {
      return new LruPolicy<>(maximum);
    }
    return new AdaptivePolicy<>(maximum, weighted);
  }

  /** Records a use of {@code node} (a buffered read); ignores a node no longer held. */
  abstract void recordAccess(Node<K, V> node);

  /** Takes a new node (a key that was absent). */
  abstract void add(Node<K, V> node);

  /** Puts {@code replacement} in the place of {@code old} (a write to a present key): a use. */
  abstract void replace(Node<K, V> old, Node<K, V> replacement);

  /** Forgets {@code node} (removed, expired or evicted); ignores a node not held. */
  abstract void remove(Node<K, V> node);

  /** The node to evict next, while {@link #weightedSize()} is above {@link #maximum}. */
  abstract @Nullable Node<K, V> selectVictim();

  /** The total weight of the nodes held (their number without a weigher). */
  abstract long weightedSize();

  /** Passes every node held, the most valuable to keep first (for snapshots). */
  abstract void forEachHottestFirst(Consumer<Node<K, V>> action);

  abstract void clear();

  final boolean contains(Node<K, V> node) {
    return node.queue != Node.NONE;
  }

  final void countEviction() {
    evictions = evictions + 1;
  }

  final void countExpiration() {
    expirations = expirations + 1;
  }
}

/** Left padding of {@link Policy}: its fields are written by every drain. */
abstract class PolicyPad {
  long p00, p01, p02, p03, p04, p05, p06, p07;
}

/** The counts of {@link Policy}, read without the lock by {@code metrics()}. */
abstract class PolicyCounters extends PolicyPad {
  volatile long evictions;
  volatile long expirations;
}

/** Exact LRU: one queue, the least recently used entry is the victim. */
final class LruPolicy<K, V> extends Policy<K, V> {
  private static final byte QUEUE = 1;
  private final AccessOrder<K, V> order = new AccessOrder<>(QUEUE);

  LruPolicy(long maximum) {
    super(maximum);
  }

  @Override
  void recordAccess(Node<K, V> node) {
    if (order.contains(node)) {
      order.moveToMostRecent(node);
    }
  }

  @Override
  void add(Node<K, V> node) {
    order.addMostRecent(node);
  }

  @Override
  void replace(Node<K, V> old, Node<K, V> replacement) {
    remove(old);
    order.addMostRecent(replacement);
  }

  @Override
  void remove(Node<K, V> node) {
    if (order.contains(node)) {
      order.remove(node);
    }
  }

  @Override
  @Nullable Node<K, V> selectVictim() {
    return order.leastRecent();
  }

  @Override
  long weightedSize() {
    return order.weight();
  }

  @Override
  void forEachHottestFirst(Consumer<Node<K, V>> action) {
    for (Node<K, V> n = order.mostRecent(); n != null; n = n.prev) {
      action.accept(n);
    }
  }

  @Override
  void clear() {
    order.clear();
  }
}
