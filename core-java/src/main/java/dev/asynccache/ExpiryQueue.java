package dev.asynccache;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A binary min-heap of the nodes that can expire, ordered by expiry, with each node's position
 * kept in {@link TimedNode#heapIndex} so that removal is O(log n). Not thread-safe: used under the
 * store's lock.
 *
 * <p>The heap orders by a copy of each node's expiry taken when it was added (its key): an
 * in-place write may move a node's expiry later without the lock, so a key is never later than
 * the node's real expiry. Whoever removes the head checks the real one and, if it moved, re-keys
 * the head with {@link #rekeyHead} instead.
 */
final class ExpiryQueue<K, V> {
  @SuppressWarnings("unchecked")
  private TimedNode<K, V>[] heap = (TimedNode<K, V>[]) new TimedNode<?, ?>[16];
  private long[] keys = new long[16];

  private int size;

  int size() {
    return size;
  }

  @Nullable TimedNode<K, V> peek() {
    return size == 0 ? null : heap[0];
  }

  /** The key of {@link #peek()}'s node: its expiry when added, never later than its real one. */
  long peekKey() {
    return keys[0];
  }

  /** Gives the head the key {@code key} (its real expiry, later than its key) and re-sorts it. */
  void rekeyHead(long key) {
    keys[0] = key;
    siftDown(0);
  }

  void add(TimedNode<K, V> node) {
    if (size == heap.length) {
      heap = Arrays.copyOf(heap, size * 2);
      keys = Arrays.copyOf(keys, size * 2);
    }
    heap[size] = node;
    keys[size] = node.expiresAt;
    node.heapIndex = size;
    size++;
    siftUp(node.heapIndex);
  }

  void remove(TimedNode<K, V> node) {
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
    TimedNode<K, V> last = heap[size];
    heap[size] = null;
    heap[i] = last;
    keys[i] = keys[size];
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
      keys = new long[16];
    }
  }

  private void siftUp(int i) {
    TimedNode<K, V> node = heap[i];
    long key = keys[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      long parentKey = keys[parent];
      if (parentKey - key <= 0) {
        break;
      }
      TimedNode<K, V> p = heap[parent];
      heap[i] = p;
      keys[i] = parentKey;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = node;
    keys[i] = key;
    node.heapIndex = i;
  }

  private void siftDown(int i) {
    TimedNode<K, V> node = heap[i];
    long key = keys[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      int right = child + 1;
      if (right < size && keys[right] - keys[child] < 0) {
        child = right;
      }
      long childKey = keys[child];
      if (key - childKey <= 0) {
        break;
      }
      TimedNode<K, V> c = heap[child];
      heap[i] = c;
      keys[i] = childKey;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = node;
    keys[i] = key;
    node.heapIndex = i;
  }
}
