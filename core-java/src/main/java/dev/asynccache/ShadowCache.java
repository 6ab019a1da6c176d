package dev.asynccache;

/**
 * A miniature simulation of Window TinyLFU with a fixed window share, over a sample of the keys,
 * used by {@link AdaptivePolicy} to find which window share would hit most on the current
 * workload. It holds only key hashes, in primitive arrays (no allocation per request), and judges
 * admissions with the real cache's {@link FrequencySketch} (frequencies do not depend on what is
 * cached, so one sketch serves every simulation). Not thread-safe: used under the store's lock.
 *
 * <p>Sampling keys by hash (a fixed share of the key space) and shrinking the capacity by the
 * same share preserves hit rates well (Waldspurger et al., "Cache Modeling and Optimization using
 * Miniature Simulations", USENIX ATC 2017).
 */
final class ShadowCache {
  private static final byte WINDOW = 0;
  private static final byte PROBATION = 1;
  private static final byte PROTECTED = 2;

  final double windowShare;
  private final int capacity;
  private final int windowMax;
  private final int protectedMax;

  /**
   * Slots 0..capacity hold entries; capacity+1..capacity+3 are the sentinels of the 3 queues.
   * Links and table entries are shorts: the policy keeps a simulation under {@link
   * #MAX_CAPACITY} entries, and six of them are kept per cache (their size counts against the
   * memory per entry of small caches).
   */
  private final int[] hashes;
  private final short[] prev;
  private final short[] next;
  private final byte[] queue;
  private final int[] sizes = new int[3];
  /** The slot an eviction freed, or -1; slots are used in order until the first eviction. */
  private int freeSlot = -1;
  private int unused;

  // Open addressing, linear probing over the slots: slot + 1 (0: empty); the hash is hashes[slot].
  private final short[] table;
  private final int tableMask;

  /** The largest capacity a simulation may have (its slot numbers are shorts). */
  static final int MAX_CAPACITY = Short.MAX_VALUE - 8;

  /** Hits so far, decayed by the policy between its decisions. */
  double hits;

  ShadowCache(int capacity, double windowShare, double protectedShare) {
    if (capacity < 1 || capacity > MAX_CAPACITY) {
      throw new IllegalArgumentException("simulated capacity out of range: " + capacity);
    }
    this.windowShare = windowShare;
    this.capacity = capacity;
    this.windowMax = Math.max(1, (int) (capacity * windowShare));
    this.protectedMax = (int) ((capacity - windowMax) * protectedShare);
    int slots = capacity + 1;
    hashes = new int[slots + 3];
    prev = new short[slots + 3];
    next = new short[slots + 3];
    queue = new byte[slots + 3];
    for (int q = 0; q < 3; q++) {
      int s = sentinel(q);
      prev[s] = (short) s;
      next[s] = (short) s;
    }
    int tableSize = Integer.highestOneBit(Math.max(4, slots * 2) - 1) << 1;
    table = new short[tableSize];
    tableMask = tableSize - 1;
  }

  /** Replays one request for the key with (spread) hash {@code h}. */
  void access(int h, int hashCode, FrequencySketch sketch) {
    int slot = find(h);
    if (slot >= 0) {
      hits++;
      byte q = queue[slot];
      if (q == PROBATION) {
        move(slot, PROTECTED);
        if (sizes[PROTECTED] > protectedMax) {
          move(next[sentinel(PROTECTED)], PROBATION);
        }
      } else if (next[slot] != sentinel(q)) {
        move(slot, q); // (already the most recent of its queue: nothing to move, often on skew)
      }
      return;
    }
    if (freeSlot >= 0) {
      slot = freeSlot;
      freeSlot = -1;
    } else {
      slot = unused++; // before the first eviction (a full cache frees one slot per miss)
    }
    hashes[slot] = h;
    insert(h, slot);
    link(slot, WINDOW);
    if (sizes[WINDOW] > windowMax) {
      int candidate = next[sentinel(WINDOW)];
      move(candidate, PROBATION);
      if (total() > capacity) {
        int victim = next[sentinel(PROBATION)];
        if (victim == candidate) {
          int p = next[sentinel(PROTECTED)];
          victim = p == sentinel(PROTECTED) ? candidate : p;
        }
        if (victim != candidate
            && sketch.frequencyOfSpread(hashes[candidate]) > sketch.frequencyOfSpread(hashes[victim])) {
          evict(victim);
        } else {
          evict(candidate);
        }
      }
    } else if (total() > capacity) {
      int victim = next[sentinel(PROBATION)];
      if (victim == sentinel(PROBATION)) {
        victim = next[sentinel(PROTECTED)];
      }
      evict(victim);
    }
  }

  private int total() {
    return sizes[WINDOW] + sizes[PROBATION] + sizes[PROTECTED];
  }

  private int sentinel(int q) {
    return capacity + 1 + q;
  }

  private void link(int slot, byte q) {
    int s = sentinel(q);
    int last = prev[s];
    next[last] = (short) slot;
    prev[slot] = (short) last;
    next[slot] = (short) s;
    prev[s] = (short) slot;
    queue[slot] = q;
    sizes[q]++;
  }

  private void unlink(int slot) {
    int p = prev[slot];
    int n = next[slot];
    next[p] = (short) n;
    prev[n] = (short) p;
    sizes[queue[slot]]--;
  }

  private void move(int slot, byte q) {
    unlink(slot);
    link(slot, q);
  }

  private void evict(int slot) {
    unlink(slot);
    delete(hashes[slot]);
    freeSlot = slot;
  }

  private int find(int h) {
    for (int i = mix(h) & tableMask; ; i = (i + 1) & tableMask) {
      int s = table[i];
      if (s == 0) {
        return -1;
      }
      if (hashes[s - 1] == h) {
        return s - 1;
      }
    }
  }

  private void insert(int h, int slot) {
    int i = mix(h) & tableMask;
    while (table[i] != 0) {
      i = (i + 1) & tableMask;
    }
    table[i] = (short) (slot + 1);
  }

  /** Removes {@code h} and shifts the following entries back, so that probing stays correct. */
  private void delete(int h) {
    int i = mix(h) & tableMask;
    while (table[i] == 0 || hashes[table[i] - 1] != h) {
      i = (i + 1) & tableMask;
    }
    for (int j = (i + 1) & tableMask; table[j] != 0; j = (j + 1) & tableMask) {
      int home = mix(hashes[table[j] - 1]) & tableMask;
      // Move j back to i if its home is not in (i, j] cyclically.
      if (((j - home) & tableMask) >= ((j - i) & tableMask)) {
        table[i] = table[j];
        i = j;
      }
    }
    table[i] = 0;
  }

  private static int mix(int h) {
    return h * 0x9E3779B9 >>> 3 ^ h;
  }
}
