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
 * Benchmark 3, the cost of a miss beyond the loader itself, on one thread: remove a key, then
 * {@code get(key, loader)} it back (async-cache {@code delete} + {@code get}, Caffeine {@code
 * invalidate} + {@code get(key, fn)}, the map {@code remove} + {@code computeIfAbsent}). The loader
 * returns a ready value, so the score is the cache's own work for one miss and one removal. The
 * cache stays full ({@value HitLatencyBenchmark#SIZE} of {@value HitLatencyBenchmark#SIZE}), so
 * nothing is evicted.
 *
 * <p>{@code java -jar perf/target/benchmarks.jar MissBenchmark -f 2 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@Threads(1)
public class MissBenchmark {
  static final int SIZE = HitLatencyBenchmark.SIZE;
  static final Integer VALUE = 42_000_000;
  static final Function<Integer, Integer> LOADER = key -> VALUE;

  @Param public CacheType cacheType;

  BenchCache<Integer, Integer> cache;
  Integer[] draws;
  int index;

  @Setup(Level.Trial)
  public void setUp() {
    Integer[] keys = KeyDistribution.distinctKeys(SIZE);
    draws = KeyDistribution.UNIFORM.draw(keys, SIZE, HitLatencyBenchmark.DRAWS, HitLatencyBenchmark.SEED);
    cache = cacheType.create(SIZE);
    for (Integer key : keys) {
      cache.put(key, key);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (cache.size() > SIZE) {
      throw new IllegalStateException(cacheType + " holds " + cache.size() + " entries");
    }
    cache.close();
  }

  @Benchmark
  public @Nullable Integer invalidateThenGet() {
    Integer key = draws[index++ & HitLatencyBenchmark.MASK];
    cache.invalidate(key);
    @Nullable Integer value = cache.get(key, LOADER);
    if (value != VALUE) {
      throw new IllegalStateException(cacheType + " returned " + value + " instead of loading");
    }
    return value;
  }
}
