package dev.asynccache.perf.report;

import dev.asynccache.perf.BatchContender;
import dev.asynccache.perf.CacheType;
import dev.asynccache.perf.Contender;
import dev.asynccache.perf.HerdContender;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * How {@code RESULTS.md} presents one benchmark method: its title, what it measures, which
 * {@code @Param} names the contender, which metric is the score and whether lower is better.
 *
 * @param className the benchmark class, without package
 * @param method the benchmark method
 * @param title the table's heading
 * @param description one paragraph on what is measured
 * @param contenderParam the {@code @Param} that names the contender
 * @param contenders resolves that param's value to its contender
 * @param scoreMetric the secondary metric that is the score, or {@code null} for the primary one
 * @param countMetric a secondary {@code EVENTS} counter to show per repetition, or {@code null}
 * @param lowerIsBetter whether a smaller score is better (time, bytes) or a larger one (throughput)
 */
public record Section(
    String className,
    String method,
    String title,
    String description,
    String contenderParam,
    Function<String, Contender> contenders,
    @Nullable String scoreMetric,
    @Nullable String countMetric,
    boolean lowerIsBetter) {

  /** The benchmarks of this module, in the order of the issue. */
  public static final List<Section> ALL =
      List.of(
          new Section(
              "HitLatencyBenchmark",
              "getIfPresent",
              "1. Hit latency, 1 thread: getIfPresent",
              "A cache of 10,000 entries (bound 10,000), every read a hit; keys from a precomputed"
                  + " array of 65,536 draws. Average time per read.",
              "cacheType",
              CacheType::valueOf,
              null,
              null,
              true),
          new Section(
              "HitLatencyBenchmark",
              "getWithLoader",
              "1b. Hit latency, 1 thread: get(key, loader) that hits",
              "As above, through the loading get that services call (the loader never runs).",
              "cacheType",
              CacheType::valueOf,
              null,
              null,
              true),
          new Section(
              "ThroughputBenchmark",
              "readOnly",
              "2. Hit throughput, 2 threads, read only",
              "Both threads read the 10,000 preloaded keys (Zipf 0.99); operations per microsecond,"
                  + " both threads together.",
              "cacheType",
              CacheType::valueOf,
              null,
              null,
              false),
          new Section(
              "ThroughputBenchmark",
              "readWrite",
              "2b. Throughput, 2 threads, 75% read / 25% write, eviction running",
              "Keys (Zipf 0.99) from a space of 20,000, twice the bound: reads also miss, writes"
                  + " evict. The map is unbounded and grows to hold all 20,000.",
              "cacheType",
              CacheType::valueOf,
              null,
              null,
              false),
          new Section(
              "MissBenchmark",
              "invalidateThenGet",
              "3. Miss with a loader, 1 thread",
              "Remove a key, then get it back through a loader that returns a ready value: the cost"
                  + " of one miss and one removal beyond the loader itself.",
              "cacheType",
              CacheType::valueOf,
              null,
              null,
              true),
          new Section(
              "HerdBenchmark",
              "herd",
              "4. Thundering herd: 1,000 virtual threads, one cold key, 10 ms loader",
              "Time from the release of the 1,000 callers until all hold the value (mean, and the"
                  + " median in brackets). Loader calls per repetition must be 1; the run fails"
                  + " otherwise.",
              "contender",
              HerdContender::valueOf,
              null,
              "loaderCalls",
              true),
          new Section(
              "BatchBenchmark",
              "concurrentGets",
              "5. Batching: N concurrent gets of missing keys, backend 1 ms per call",
              "Time until all N callers hold their value (mean, median in brackets), and backend"
                  + " calls per repetition. The batch loader uses the defaults: 5 ms window, at most"
                  + " 100 keys per call.",
              "contender",
              BatchContender::valueOf,
              null,
              "backendCalls",
              true),
          new Section(
              "MemoryBenchmark",
              "retainedSize",
              "6. Memory per entry (JOL), 100,000 entries",
              "Growth of the cache's retained size from empty to N entries, less the key and value"
                  + " objects, divided by N. Deterministic: no error bar.",
              "cacheType",
              CacheType::valueOf,
              "bytesPerEntry",
              null,
              true));

  /** Finds the section of {@code result}, if this module knows it. */
  public static Optional<Section> of(JmhResult result) {
    return ALL.stream()
        .filter(s -> s.className.equals(result.className()) && s.method.equals(result.methodName()))
        .findFirst();
  }

  /** The score of {@code result} in this section: the primary metric or the chosen secondary. */
  public Metric score(JmhResult result) {
    if (scoreMetric == null) {
      return result.primary();
    }
    Metric m = result.secondary().get(scoreMetric);
    if (m == null) {
      throw new IllegalArgumentException(
          result.benchmark() + " has no secondary metric " + scoreMetric);
    }
    // A secondary EVENTS counter is summed over the iterations: the score is one iteration's.
    return new Metric(m.perIteration(), m.error(), m.unit(), m.median(), m.raw());
  }
}
