package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * The eviction policy's state: the access-ordered list (least recently used at the head) and the
 * eviction and expiration counts. Guarded by the store's lock; the counts are also read without it.
 *
 * <p>Padded on both sides (superclasses lay their fields out first): the drain that
 * reorders the list runs often, and its writes must not share a cache line with the fields every
 * hit reads on another core (the store's map, buffer and clock).
 */
final class AccessOrder<K, V> extends AccessOrderFields<K, V> {
  long q00, q01, q02, q03, q04, q05, q06, q07;

  @Nullable Node<K, V> leastRecent() {
    return head;
  }

  @Nullable Node<K, V> mostRecent() {
    return tail;
  }

  boolean contains(Node<K, V> node) {
    return node.prev != null || node == head;
  }

  void addMostRecent(Node<K, V> node) {
    node.prev = tail;
    node.next = null;
    if (tail == null) {
      head = node;
    } else {
      tail.next = node;
    }
    tail = node;
  }

  /** Unlinks {@code node}; returns {@code false} if it was not in the list. */
  boolean remove(Node<K, V> node) {
    if (!contains(node)) {
      return false;
    }
    Node<K, V> p = node.prev;
    Node<K, V> n = node.next;
    if (p == null) {
      head = n;
    } else {
      p.next = n;
    }
    if (n == null) {
      tail = p;
    } else {
      n.prev = p;
    }
    node.prev = null;
    node.next = null;
    return true;
  }

  /** Records a use of {@code node}, if it is still in the list. */
  void moveToMostRecent(Node<K, V> node) {
    if (node != tail && remove(node)) {
      addMostRecent(node);
    }
  }

  void clear() {
    for (Node<K, V> n = head; n != null; ) {
      Node<K, V> next = n.next;
      n.prev = null;
      n.next = null;
      n = next;
    }
    head = null;
    tail = null;
  }

  void countEviction() {
    evictions = evictions + 1;
  }

  void countExpiration() {
    expirations = expirations + 1;
  }
}

/** Left padding of {@link AccessOrder}. */
abstract class AccessOrderPad {
  long p00, p01, p02, p03, p04, p05, p06, p07;
}

/** The hot fields of {@link AccessOrder}, between its paddings. */
abstract class AccessOrderFields<K, V> extends AccessOrderPad {
  @Nullable Node<K, V> head;
  @Nullable Node<K, V> tail;
  volatile long evictions;
  volatile long expirations;
}
