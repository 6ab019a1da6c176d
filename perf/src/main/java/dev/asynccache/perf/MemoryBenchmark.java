package dev.asynccache.perf;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jol.info.GraphStats;
import org.openjdk.jol.vm.VM;

/**
 * Benchmark 6, memory per entry, measured with JOL rather than timed: the retained size of a cache
 * (JOL's {@code GraphStats.totalSize}, the figure {@code GraphLayout.totalSize} gives, without
 * keeping every object's address: everything reachable from the cache) is taken empty and again after
 * {@code entries} distinct {@code Integer} keys and values have been written (bound = {@code
 * entries}, so nothing is evicted) and pending maintenance has run. The growth, less the keys' and
 * values' own objects, divided by {@code entries}, is the secondary result {@code bytesPerEntry}:
 * the map nodes, links, expiry data, table slots and any sketch or buffer sized to the cache.
 * Measuring the same cache twice cancels what every cache reaches regardless of its entries
 * (threads, executors, class loaders). The primary score is only the time JOL took; ignore it.
 *
 * <p>{@code java -jar perf/target/benchmarks.jar MemoryBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Djdk.attach.allowAttachSelf=true",
      "-XX:+EnableDynamicAgentLoading",
      "-Djol.magicFieldOffset=true",
      "--add-exports=java.base/jdk.internal.vm.annotation=ALL-UNNAMED"
    })
public class MemoryBenchmark {
  @Param({"100000"})
  public int entries;

  @Param public CacheType cacheType;

  BenchCache<Integer, Integer> cache;
  Integer[] keys;
  Integer[] values;

  /** The result: bytes per entry beyond the key and value objects. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Footprint {
    public double bytesPerEntry;
  }

  @Setup(Level.Iteration)
  public void setUp() {
    keys = KeyDistribution.distinctKeys(entries);
    values = new Integer[entries];
    for (int i = 0; i < entries; i++) {
      values[i] = Integer.valueOf(50_000_000 + i);
    }
    cache = cacheType.create(entries);
  }

  @TearDown(Level.Iteration)
  public void tearDown() {
    cache.close();
  }

  @Benchmark
  public void retainedSize(Footprint footprint) {
    // One write and removal first, so that the classes and lazy fields a first write creates
    // exist in both measurements.
    Integer probe = Integer.valueOf(-1_000_000);
    cache.put(probe, probe);
    cache.invalidate(probe);
    cache.cleanUp();
    long empty = GraphStats.parseInstance(cache.unwrap()).totalSize();
    for (int i = 0; i < entries; i++) {
      cache.put(keys[i], values[i]);
    }
    cache.cleanUp();
    if (cache.size() != entries) {
      throw new IllegalStateException(
          cacheType + " holds " + cache.size() + " entries instead of " + entries);
    }
    long full = GraphStats.parseInstance(cache.unwrap()).totalSize();
    long keysAndValues =
        GraphStats.parseInstance(keys, values).totalSize()
            - VM.current().sizeOf(keys)
            - VM.current().sizeOf(values);
    footprint.bytesPerEntry = (double) (full - empty - keysAndValues) / entries;
  }
}
