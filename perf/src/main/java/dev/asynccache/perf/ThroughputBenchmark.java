package dev.asynccache.perf;

import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Benchmark 2, throughput with 2 threads (ops/µs, both threads together) on a cache bounded to
 * {@value HitLatencyBenchmark#SIZE} entries, keys Zipf-skewed:
 *
 * <ul>
 *   <li>{@link #readOnly}: hits only, over the {@value HitLatencyBenchmark#SIZE} preloaded keys.
 *   <li>{@link #readWrite}: 75% {@code getIfPresent}, 25% {@code put}, over twice as many keys as
 *       the bound, so reads also miss and writes evict (except in the unbounded map, which grows
 *       to hold them all).
 * </ul>
 *
 * <p>Each thread walks the same array of draws from its own offset.
 *
 * <p>{@code java -jar perf/target/benchmarks.jar ThroughputBenchmark -f 2 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@Threads(2)
public class ThroughputBenchmark {
  static final int SIZE = HitLatencyBenchmark.SIZE;
  static final int KEY_SPACE = 2 * SIZE;
  static final int MASK = HitLatencyBenchmark.MASK;

  @Param public CacheType cacheType;

  BenchCache<Integer, Integer> cache;
  Integer[] hitDraws;
  Integer[] mixDraws;

  /** The position of one thread in the arrays of draws. */
  @State(Scope.Thread)
  public static class Cursor {
    int index;

    @Setup(Level.Trial)
    public void setUp(ThreadParams threads) {
      index = threads.getThreadIndex() * (HitLatencyBenchmark.DRAWS / threads.getThreadCount());
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    Integer[] keys = KeyDistribution.distinctKeys(KEY_SPACE);
    hitDraws = KeyDistribution.ZIPF.draw(keys, SIZE, HitLatencyBenchmark.DRAWS, HitLatencyBenchmark.SEED);
    mixDraws =
        KeyDistribution.ZIPF.draw(keys, KEY_SPACE, HitLatencyBenchmark.DRAWS, HitLatencyBenchmark.SEED);
    cache = cacheType.create(SIZE);
    for (int i = 0; i < SIZE; i++) {
      cache.put(keys[i], keys[i]);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    cache.close();
  }

  @Benchmark
  public @Nullable Integer readOnly(Cursor cursor) {
    return cache.getIfPresent(hitDraws[cursor.index++ & MASK]);
  }

  @Benchmark
  public @Nullable Integer readWrite(Cursor cursor) {
    int i = cursor.index++;
    Integer key = mixDraws[i & MASK];
    if ((i & 3) == 0) {
      cache.put(key, key);
      return key;
    }
    return cache.getIfPresent(key);
  }
}
