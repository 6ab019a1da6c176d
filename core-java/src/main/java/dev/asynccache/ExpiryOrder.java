package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * The entries written with the cache's default TTL, earliest expiry first: a doubly linked list
 * through the nodes' own links ({@link ExpiringNode#earlier}, {@link ExpiringNode#later}), so that
 * it costs no memory outside them, where a heap would keep a slot per entry. Writes with one TTL
 * under the store's lock arrive in expiry order: {@link #add} links at the end. Not thread-safe:
 * used under the store's lock.
 *
 * <p>An in-place write moves a node's expiry later without the lock and sets {@link
 * ExpiringNode#expiryMoved}; the node stays where it was. The order kept is therefore this: every
 * node whose flag is clear expires no later than every node after it. The expiry pass removes
 * expired nodes from the head, re-sorts ({@link #reposition}) a head whose flag is set, and stops at
 * the first head that is neither: nothing after it has expired.
 */
final class ExpiryOrder<K, V> {
  private @Nullable ExpiringNode<K, V> head;
  private @Nullable ExpiringNode<K, V> tail;
  private int size;

  int size() {
    return size;
  }

  @Nullable ExpiringNode<K, V> peek() {
    return head;
  }

  /**
   * Links {@code node} after the last node that expires no later than it: at the end for a write
   * with the cache's TTL (the usual case, O(1)); a few steps back otherwise.
   */
  void add(ExpiringNode<K, V> node) {
    long at = node.expiresAt;
    ExpiringNode<K, V> before = tail;
    while (before != null && before.expiresAt - at > 0) {
      before = before.earlier;
    }
    ExpiringNode<K, V> after = before == null ? head : before.later;
    node.earlier = before;
    node.later = after;
    if (before == null) {
      head = node;
    } else {
      before.later = node;
    }
    if (after == null) {
      tail = node;
    } else {
      after.earlier = node;
    }
    size++;
  }

  /** Unlinks {@code node}; ignores a node not linked. */
  void remove(ExpiringNode<K, V> node) {
    ExpiringNode<K, V> before = node.earlier;
    ExpiringNode<K, V> after = node.later;
    if (before == null && head != node) {
      return;
    }
    if (before == null) {
      head = after;
    } else {
      before.later = after;
    }
    if (after == null) {
      tail = before;
    } else {
      after.earlier = before;
    }
    node.earlier = null;
    node.later = null;
    size--;
  }

  /** Clears the moved flag of {@code node} and links it again where its expiry now belongs. */
  void reposition(ExpiringNode<K, V> node) {
    node.expiryMoved = false; // before reading the expiry: a later move sets it again
    remove(node);
    add(node);
  }

  void clear() {
    ExpiringNode<K, V> n = head;
    while (n != null) {
      ExpiringNode<K, V> next = n.later;
      n.earlier = null;
      n.later = null;
      n = next;
    }
    head = null;
    tail = null;
    size = 0;
  }
}
