package dev.asynccache;

import java.util.concurrent.atomic.LongAdder;

/**
 * The cache's counters. Striped ({@link LongAdder}) so that counting from many threads does not
 * contend on one cache line. Hits are not here: the {@link EntryStore}'s read buffer counts them.
 */
final class StatsCounters {
  final LongAdder misses = new LongAdder();
  final LongAdder loadSuccesses = new LongAdder();
  final LongAdder loadFailures = new LongAdder();
  final LongAdder loadTimeNanos = new LongAdder();
  final LongAdder joinedLoads = new LongAdder();
  final LongAdder batchCalls = new LongAdder();
  final LongAdder batchedKeys = new LongAdder();
  final LongAdder refreshes = new LongAdder();
  final LongAdder staleServed = new LongAdder();
}
