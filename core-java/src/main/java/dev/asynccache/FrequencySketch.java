package dev.asynccache;

/**
 * An approximate, aging count of how often each key was used recently: the "TinyLFU" filter of
 * the adaptive policy. Not thread-safe: used under the store's lock, from the buffered
 * maintenance only (never on the hit path).
 *
 * <p>Structure: a count-min sketch of 4-bit counters (saturating at 15), four counters per key,
 * all four in one 64-byte block of the table so that a key costs one cache line. After {@code 10
 * ×} the capacity increments, every counter is halved: the counts describe the recent past, and a
 * key that was popular long ago loses its advantage.
 *
 * <p>Two refinements from the literature were measured on the project's traces and left out: a
 * doorkeeper (a bit set absorbing each key's first use) and conservative updates (incrementing
 * only the minimal counters). Both lost hit rate on most traces (up to 4 points on {@code gli} at
 * 500 entries and 1.5 on {@code arc_OLTP} at 250), because they make a key's second and third uses
 * count less, while W-TinyLFU's admission mostly compares keys seen only a few times.
 */
final class FrequencySketch {
  /** Increments between two halvings, per unit of capacity. */
  private static final int SAMPLE_FACTOR = 10;

  private static final long LOW_THREE_BITS = 0x7777_7777_7777_7777L;

  private long[] table = new long[0];
  private int blockMask;
  private int sampleSize;
  private int additions;
  private int capacity;

  /**
   * Sizes the sketch for {@code expectedEntries} entries, if it is smaller: one long (16
   * counters) per entry, a power of two. Growing loses the counts gathered so far (rare: the
   * table grows by doubling).
   */
  void ensureCapacity(long expectedEntries) {
    int wanted = (int) Math.min(Math.max(expectedEntries, 16), 1 << 26);
    if (wanted <= capacity) {
      return;
    }
    int longs = Integer.highestOneBit(wanted - 1) << 1;
    capacity = longs;
    table = new long[longs];
    blockMask = (longs >>> 3) - 1;
    sampleSize = SAMPLE_FACTOR * wanted;
    additions = 0;
  }

  boolean isInitialized() {
    return capacity > 0;
  }

  /** Returns the estimated recent frequency of the key with hash code {@code hashCode}, 0 to 15. */
  int frequency(int hashCode) {
    return frequencyOfSpread(spread(hashCode));
  }

  /** {@link #frequency} of a hash already passed through {@link #spread}. */
  int frequencyOfSpread(int h) {
    if (capacity == 0) {
      return 0;
    }
    int block = (h & blockMask) << 3;
    int g = rehash(h);
    int min = 15;
    for (int i = 0; i < 4; i++) {
      long word = table[block + (i << 1) + ((g >>> i) & 1)];
      min = Math.min(min, (int) ((word >>> counterShift(g, i)) & 15));
    }
    return min;
  }

  /** Records a use of the key with hash code {@code hashCode}. */
  void increment(int hashCode) {
    incrementSpread(spread(hashCode));
  }

  /** {@link #increment} of a hash already passed through {@link #spread}. */
  void incrementSpread(int h) {
    if (capacity == 0) {
      return;
    }
    int block = (h & blockMask) << 3;
    int g = rehash(h);
    boolean added = false;
    for (int i = 0; i < 4; i++) {
      int index = block + (i << 1) + ((g >>> i) & 1);
      int shift = counterShift(g, i);
      if (((table[index] >>> shift) & 15) != 15) {
        table[index] += 1L << shift;
        added = true;
      }
    }
    if (added && ++additions >= sampleSize) {
      halve();
    }
  }

  /** Where counter {@code i} of a key sits in its long: one of 16 nibbles, from the rehash. */
  private static int counterShift(int g, int i) {
    return ((g >>> (8 + (i << 2))) & 15) << 2;
  }

  /** Halves every counter: the aging step. */
  private void halve() {
    for (int i = 0; i < table.length; i++) {
      table[i] = (table[i] >>> 1) & LOW_THREE_BITS;
    }
    additions = additions >>> 1;
  }

  /** Mixes a hash code so that poor ones (small integers) spread over the table. */
  static int spread(int x) {
    x ^= x >>> 16;
    x *= 0x45d9f3b;
    x ^= x >>> 16;
    x *= 0x45d9f3b;
    return x ^ (x >>> 16);
  }

  private static int rehash(int h) {
    h *= 0x31848bab;
    return h ^ (h >>> 14);
  }
}
