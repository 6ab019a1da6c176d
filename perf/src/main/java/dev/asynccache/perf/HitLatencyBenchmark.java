package dev.asynccache.perf;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 1, the hit path on one thread: a cache of {@value #SIZE} entries ({@code maxSize}
 * {@value #SIZE}) preloaded with every key, then read with keys from a precomputed array (uniform
 * or Zipf-skewed), with and without a default TTL. Every read is a hit (checked after the trial).
 *
 * <ul>
 *   <li>{@link #getIfPresent}: the plain lookup.
 *   <li>{@link #getWithLoader}: {@code get(key, loader)} that finds the key, the call services
 *       make. async-cache's loader takes no key, so a capturing lambda is part of its cost.
 * </ul>
 *
 * <p>{@code java -jar perf/target/benchmarks.jar HitLatencyBenchmark -f 2 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@Threads(1)
public class HitLatencyBenchmark {
  /** Entries held, and the bound of every cache. */
  public static final int SIZE = 10_000;

  static final int DRAWS = 1 << 16;
  static final int MASK = DRAWS - 1;
  static final long SEED = 0x5eed;
  static final Function<Integer, Integer> LOADER =
      key -> {
        throw new IllegalStateException("a hit benchmark missed key " + key);
      };

  @Param public CacheType cacheType;
  @Param public KeyDistribution distribution;

  BenchCache<Integer, Integer> cache;
  Integer[] draws;
  Integer[] keys;

  /** The position of one thread in the array of draws. */
  @State(Scope.Thread)
  public static class Cursor {
    int index;
  }

  @Setup(Level.Trial)
  public void setUp() {
    keys = KeyDistribution.distinctKeys(SIZE);
    draws = distribution.draw(keys, SIZE, DRAWS, SEED);
    cache = cacheType.create(SIZE);
    for (Integer key : keys) {
      cache.put(key, key);
    }
    requireAllPresent("after loading");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    requireAllPresent("after the trial");
    cache.close();
  }

  private void requireAllPresent(String when) {
    for (Integer key : keys) {
      if (cache.getIfPresent(key) == null) {
        throw new IllegalStateException(
            cacheType + " lost key " + key + " " + when + ": the hit benchmark would measure misses");
      }
    }
  }

  @Benchmark
  public @Nullable Integer getIfPresent(Cursor cursor) {
    return cache.getIfPresent(draws[cursor.index++ & MASK]);
  }

  @Benchmark
  public @Nullable Integer getWithLoader(Cursor cursor) {
    return cache.get(draws[cursor.index++ & MASK], LOADER);
  }
}
