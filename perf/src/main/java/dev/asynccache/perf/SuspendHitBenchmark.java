package dev.asynccache.perf;

import dev.asynccache.AsyncCache;
import dev.asynccache.AsyncLoader;
import dev.asynccache.Loader;
import dev.asynccache.Ttl;
import java.util.concurrent.CompletableFuture;
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

/**
 * Benchmark 7, what the Kotlin {@code suspend get} costs on a hit over the Java {@code get}: one
 * async-cache, preloaded and read exactly as in {@link HitLatencyBenchmark} (the same {@value
 * HitLatencyBenchmark#SIZE} keys, bound and draws), through both APIs in the same run, on one
 * thread. Every read is a hit (checked after the trial; the suspend calls also fail at once if
 * they suspend).
 *
 * <ul>
 *   <li>{@link #javaGetIfPresent}: the floor, the plain lookup.
 *   <li>{@link #javaGet}: {@code get(key, () -> loader(key))}, the blocking loading get.
 *   <li>{@link #javaGetAsyncJoin}: {@code getAsync(key, ttl, asyncLoader).join()}, the Java path
 *       the adapter takes underneath (a completed future per hit).
 *   <li>{@link #suspendGet}: {@code suspend get(key) { loader(key) }} through {@link
 *       SuspendHitCaller#get}, started on this thread without a dispatcher.
 *   <li>{@link #suspendBridgeGetIfPresent}: that bridge around {@code getIfPresent}: how much of
 *       {@link #suspendGet} is the bridge rather than the adapter.
 *   <li>{@link #suspendGetRunBlocking}: {@code runBlocking { get(key) { ... } } }, which adds an
 *       event loop and a blocking coroutine per call: a different cost, reported apart.
 * </ul>
 *
 * <p>Only async-cache's contenders are accepted for {@code cacheType} (no TTL by default; add
 * {@code -p cacheType=ASYNC_CACHE,ASYNC_CACHE_TTL} for the TTL row).
 *
 * <p>{@code java -jar perf/target/benchmarks.jar SuspendHitBenchmark -f 2 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@Threads(1)
public class SuspendHitBenchmark {

  @Param({"ASYNC_CACHE"})
  public CacheType cacheType;

  @Param public KeyDistribution distribution;

  AsyncCache<Integer, Integer> cache;
  SuspendHitCaller<Integer, Integer> suspending;
  Integer[] draws;
  Integer[] keys;

  @Setup(Level.Trial)
  @SuppressWarnings("unchecked")
  public void setUp() {
    if (cacheType.family() != Family.OURS) {
      throw new IllegalArgumentException(
          "SuspendHitBenchmark measures async-cache's two APIs; cacheType must be ASYNC_CACHE or"
              + " ASYNC_CACHE_TTL, was " + cacheType);
    }
    keys = KeyDistribution.distinctKeys(HitLatencyBenchmark.SIZE);
    draws =
        distribution.draw(
            keys, HitLatencyBenchmark.SIZE, HitLatencyBenchmark.DRAWS, HitLatencyBenchmark.SEED);
    BenchCache<Integer, Integer> facade = cacheType.create(HitLatencyBenchmark.SIZE);
    for (Integer key : keys) {
      facade.put(key, key);
    }
    cache = (AsyncCache<Integer, Integer>) facade.unwrap();
    suspending = new SuspendHitCaller<>(cache, HitLatencyBenchmark.LOADER);
    requireAllPresent("after loading");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      requireAllPresent("after the trial");
    } finally {
      suspending.close();
    }
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
  public @Nullable Integer javaGetIfPresent(HitLatencyBenchmark.Cursor cursor) {
    return cache.getIfPresent(draws[cursor.index++ & HitLatencyBenchmark.MASK]);
  }

  @Benchmark
  public @Nullable Integer javaGet(HitLatencyBenchmark.Cursor cursor) {
    Integer key = draws[cursor.index++ & HitLatencyBenchmark.MASK];
    return cache.get(key, (Loader<Integer>) () -> HitLatencyBenchmark.LOADER.apply(key));
  }

  @Benchmark
  public @Nullable Integer javaGetAsyncJoin(HitLatencyBenchmark.Cursor cursor) {
    Integer key = draws[cursor.index++ & HitLatencyBenchmark.MASK];
    AsyncLoader<Integer> loader =
        executor -> CompletableFuture.completedFuture(HitLatencyBenchmark.LOADER.apply(key));
    return cache.getAsync(key, Ttl.cacheDefault(), loader).join();
  }

  @Benchmark
  public Integer suspendGet(HitLatencyBenchmark.Cursor cursor) {
    return suspending.get(draws[cursor.index++ & HitLatencyBenchmark.MASK]);
  }

  @Benchmark
  public @Nullable Integer suspendBridgeGetIfPresent(HitLatencyBenchmark.Cursor cursor) {
    return suspending.getIfPresentInCoroutine(draws[cursor.index++ & HitLatencyBenchmark.MASK]);
  }

  @Benchmark
  public Integer suspendGetRunBlocking(HitLatencyBenchmark.Cursor cursor) {
    return suspending.getRunBlocking(draws[cursor.index++ & HitLatencyBenchmark.MASK]);
  }
}
