package dev.asynccache.gatling;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The measurements of one operation (or of a whole scenario): Gatling's response times in a
 * millisecond histogram, GET hits and misses, failures, and the wall-clock span of the phase (from
 * the first user entering it to the last one leaving). Thread-safe: Gatling's users record
 * concurrently.
 */
final class OpStats {
  private static final int MAX_MS = 60_000;

  private final AtomicLongArray histogram = new AtomicLongArray(MAX_MS + 1);
  private final LongAdder count = new LongAdder();
  private final LongAdder sumMs = new LongAdder();
  private final AtomicLong minMs = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong maxMs = new AtomicLong(Long.MIN_VALUE);
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final AtomicLong firstStartNanos = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong lastEndNanos = new AtomicLong(Long.MIN_VALUE);

  /** Records one answered request; {@code hit} is null for requests that are not lookups. */
  void record(int responseMs, Boolean hit) {
    count.increment();
    sumMs.add(responseMs);
    histogram.incrementAndGet(Math.min(Math.max(responseMs, 0), MAX_MS));
    minMs.accumulateAndGet(responseMs, Math::min);
    maxMs.accumulateAndGet(responseMs, Math::max);
    if (hit != null) {
      (hit ? hits : misses).increment();
    }
  }

  void failed() {
    failures.increment();
  }

  void phaseStarted(long nanos) {
    firstStartNanos.accumulateAndGet(nanos, Math::min);
  }

  void phaseEnded(long nanos) {
    lastEndNanos.accumulateAndGet(nanos, Math::max);
  }

  long operations() {
    return count.sum();
  }

  double seconds() {
    long start = firstStartNanos.get();
    long end = lastEndNanos.get();
    return start == Long.MAX_VALUE || end < start ? Double.NaN : (end - start) / 1e9;
  }

  double opsPerSecond() {
    return operations() / seconds();
  }

  /** Hits over lookups, or NaN when this operation made no lookups. */
  double hitRate() {
    long h = hits.sum();
    long lookups = h + misses.sum();
    return lookups == 0 ? Double.NaN : (double) h / lookups;
  }

  /** The smallest response time in ms that {@code p} percent of the requests did not exceed. */
  long percentileMs(double p) {
    long n = operations();
    if (n == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(p / 100.0 * n);
    long seen = 0;
    for (int ms = 0; ms <= MAX_MS; ms++) {
      seen += histogram.get(ms);
      if (seen >= Math.max(rank, 1)) {
        return ms;
      }
    }
    return MAX_MS;
  }

  /** The figures in the seed's shape (times in milliseconds), plus percentiles and failures. */
  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    long n = operations();
    m.put("operations", n);
    m.put("avg_time_ms", n == 0 ? null : round((double) sumMs.sum() / n));
    m.put("min_time_ms", n == 0 ? null : minMs.get());
    m.put("max_time_ms", n == 0 ? null : maxMs.get());
    m.put("p50_time_ms", percentileMs(50));
    m.put("p95_time_ms", percentileMs(95));
    m.put("p99_time_ms", percentileMs(99));
    m.put("seconds", round(seconds()));
    m.put("ops_per_second", round(opsPerSecond()));
    double hitRate = hitRate();
    if (!Double.isNaN(hitRate)) {
      m.put("hit_rate", round(hitRate));
    }
    m.put("failures", failures.sum());
    return m;
  }

  private static Double round(double d) {
    return Double.isFinite(d) ? Math.round(d * 1000) / 1000.0 : null;
  }
}
