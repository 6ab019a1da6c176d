package dev.asynccache.perf;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How the benchmarks pick keys: a precomputed array of {@code length} draws (a power of two, read
 * in a loop with a mask, so no random number is drawn inside a measurement) out of {@code items}
 * distinct keys. Every contender gets the same array for the same seed.
 */
public enum KeyDistribution {
  /** Every key equally likely. */
  UNIFORM {
    @Override
    int[] ranks(int items, int length, SplittableRandom random) {
      int[] draws = new int[length];
      for (int i = 0; i < length; i++) {
        draws[i] = random.nextInt(items);
      }
      return draws;
    }
  },
  /**
   * A Zipf(0.99) skew, as in Caffeine's and YCSB's benchmarks: the most popular key is drawn about
   * 10% of the time for 10,000 keys. Ranks are scrambled onto keys, so the popular keys are spread
   * over the hash table rather than being the smallest integers.
   */
  ZIPF {
    @Override
    int[] ranks(int items, int length, SplittableRandom random) {
      double[] cumulative = new double[items];
      double sum = 0;
      for (int rank = 0; rank < items; rank++) {
        sum += 1.0 / Math.pow(rank + 1, THETA);
        cumulative[rank] = sum;
      }
      int[] draws = new int[length];
      for (int i = 0; i < length; i++) {
        int at = Arrays.binarySearch(cumulative, random.nextDouble() * sum);
        draws[i] = Math.min(items - 1, at >= 0 ? at : -at - 1);
      }
      return draws;
    }
  };

  /** The Zipf exponent. */
  static final double THETA = 0.99;

  /** Draws {@code length} ranks in {@code [0, items)}, rank 0 the most popular. */
  abstract int[] ranks(int items, int length, SplittableRandom random);

  /**
   * Returns {@code length} draws among the keys {@code keys[0..items)}: the very same instances,
   * so that a lookup finds the object the cache was loaded with, for every contender alike.
   *
   * @param keys the distinct keys, at least {@code items} of them
   * @param items how many of them may be drawn
   * @param length the number of draws, a power of two
   * @param seed the seed; the same seed gives the same draws
   * @throws IllegalArgumentException if {@code length} is not a power of two or {@code items} is
   *     out of range
   */
  public Integer[] draw(Integer[] keys, int items, int length, long seed) {
    if (Integer.bitCount(length) != 1) {
      throw new IllegalArgumentException("length must be a power of two, was " + length);
    }
    if (items < 1 || items > keys.length) {
      throw new IllegalArgumentException(
          "items must be in [1, " + keys.length + "], was " + items);
    }
    SplittableRandom random = new SplittableRandom(seed);
    int[] scramble = permutation(items, random.split());
    int[] ranks = ranks(items, length, random);
    Integer[] draws = new Integer[length];
    for (int i = 0; i < length; i++) {
      draws[i] = keys[scramble[ranks[i]]];
    }
    return draws;
  }

  /** {@code count} distinct boxed keys, none of them from the JVM's small-{@code Integer} cache. */
  public static Integer[] distinctKeys(int count) {
    Integer[] keys = new Integer[count];
    for (int i = 0; i < count; i++) {
      keys[i] = Integer.valueOf(1_000_000 + i);
    }
    return keys;
  }

  private static int[] permutation(int n, SplittableRandom random) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
