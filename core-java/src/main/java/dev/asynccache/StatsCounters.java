package dev.asynccache;

import java.util.concurrent.atomic.LongAdder;

/**
 * The cache's counters. Striped ({@link LongAdder}) so that counting a hit from many threads does
 * not contend on one cache line.
 */
final class StatsCounters {
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder loadSuccesses = new LongAdder();
  final LongAdder loadFailures = new LongAdder();
  final LongAdder loadTimeNanos = new LongAdder();
  final LongAdder joinedLoads = new LongAdder();
  final LongAdder batchCalls = new LongAdder();
  final LongAdder batchedKeys = new LongAdder();
}
