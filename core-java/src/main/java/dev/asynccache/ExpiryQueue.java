package dev.asynccache;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A binary min-heap of the nodes that can expire, ordered by expiry, with each node's position
 * kept in {@link Node#heapIndex} so that removal is O(log n). Not thread-safe: used under the
 * store's lock.
 */
final class ExpiryQueue<K, V> {
  @SuppressWarnings("unchecked")
  private Node<K, V>[] heap = (Node<K, V>[]) new Node<?, ?>[16];

  private int size;

  int size() {
    return size;
  }

  @Nullable Node<K, V> peek() {
    return size == 0 ? null : heap[0];
  }

  void add(Node<K, V> node) {
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
    }
    heap[size] = node;
    node.heapIndex = size;
    size++;
    siftUp(node.heapIndex);
  }

  void remove(Node<K, V> node) {
    int i = node.heapIndex;
    if (i < 0) {
      return;
    }
    node.heapIndex = -1;
    size--;
    if (i == size) {
      heap[size] = null;
      return;
    }
    Node<K, V> last = heap[size];
    heap[size] = null;
    heap[i] = last;
    last.heapIndex = i;
    siftDown(i);
    if (last.heapIndex == i) {
      siftUp(i);
    }
  }

  void clear() {
    for (int i = 0; i < size; i++) {
      heap[i].heapIndex = -1;
      heap[i] = null;
    }
    size = 0;
    if (heap.length > 1024) {
      heap = Arrays.copyOf(heap, 16);
    }
  }

  private void siftUp(int i) {
    Node<K, V> node = heap[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      Node<K, V> p = heap[parent];
      if (p.expiresAt - node.expiresAt <= 0) {
        break;
      }
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = node;
    node.heapIndex = i;
  }

  private void siftDown(int i) {
    Node<K, V> node = heap[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      Node<K, V> c = heap[child];
      int right = child + 1;
      if (right < size && heap[right].expiresAt - c.expiresAt < 0) {
        child = right;
        c = heap[child];
      }
      if (node.expiresAt - c.expiresAt <= 0) {
        break;
      }
      heap[i] = c;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = node;
    node.heapIndex = i;
  }
}
