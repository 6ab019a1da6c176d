package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * One access-ordered queue of a {@link Policy}: a doubly-linked list of nodes, least recently
 * used at the head, with the total weight of its nodes. Guarded by the store's lock.
 *
 * <p>Padded on both sides (superclasses lay their fields out first): the drain that reorders the
 * list runs often, and its writes must not share a cache line with the fields every hit reads on
 * another core (the store's map, buffer and clock).
 */
final class AccessOrder<K, V> extends AccessOrderFields<K, V> {
  long q00, q01, q02, q03, q04, q05, q06, q07;

  /** @param id the value of {@link Node#queue} for the nodes of this queue, not {@link Node#NONE} */
  AccessOrder(byte id) {
    this.id = id;
  }

  @Nullable Node<K, V> leastRecent() {
    return head;
  }

  @Nullable Node<K, V> mostRecent() {
    return tail;
  }

  boolean isEmpty() {
    return head == null;
  }

  /** The sum of the weights of the nodes in this queue. */
  long weight() {
    return weight;
  }

  boolean contains(Node<K, V> node) {
    return node.queue == id;
  }

  void addMostRecent(Node<K, V> node) {
    node.queue = id;
    node.prev = tail;
    node.next = null;
    if (tail == null) {
      head = node;
    } else {
      tail.next = node;
    }
    tail = node;
    weight += node.weight();
  }

  /** Unlinks {@code node}, which must be in this queue. */
  void remove(Node<K, V> node) {
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
    node.queue = Node.NONE;
    weight -= node.weight();
  }

  /** Records a use of {@code node}, which must be in this queue. */
  void moveToMostRecent(Node<K, V> node) {
    if (node != tail) {
      remove(node);
      addMostRecent(node);
    }
  }

  void clear() {
    for (Node<K, V> n = head; n != null; ) {
      Node<K, V> next = n.next;
      n.prev = null;
      n.next = null;
      n.queue = Node.NONE;
      n = next;
    }
    head = null;
    tail = null;
    weight = 0;
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
  long weight;
  byte id;
}
