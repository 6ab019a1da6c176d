package dev.asynccache;

/**
 * Which entries a bounded cache evicts when it is full, chosen with {@link
 * AsyncCacheBuilder#evictionPolicy(EvictionPolicy)}.
 */
public enum EvictionPolicy {
  /**
   * The default: keeps the entries most likely to be asked for again, judged by how often
   * <em>and</em> how recently each key was used. New entries enter a small recency window; to
   * stay beyond it, an entry must be used more often (recently) than the entry it would displace,
   * so a scan or a burst of keys read once does not flush the entries read often. The share of
   * the window adapts to the workload: it grows when recency pays (LRU-friendly traffic) and
   * shrinks when frequency does. This is Window TinyLFU with a hill-climbing window, as in
   * Caffeine; on the public traces of the project's {@code perf/RESULTS.md} it saves more loads
   * than LRU on average and by far on scans and database workloads.
   *
   * <p>Which entry is evicted is therefore not simply the least recently used one.
   */
  ADAPTIVE,

  /**
   * Exact least-recently-used: the entry unused for the longest time is evicted. With a single
   * thread the order is exact; under concurrent reads, recency is recorded through a lossy buffer
   * and may lag by about a millisecond. Choose it when callers depend on the LRU order (tests,
   * memoization with a strict recency contract); it loses badly on scans and loops.
   */
  LRU
}
