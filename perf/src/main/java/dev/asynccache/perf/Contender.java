package dev.asynccache.perf;

/**
 * One side of a comparison, as named by a benchmark's {@code @Param}. Results of contenders with
 * the same {@link #variant()} go in one row of {@code RESULTS.md}, one column per {@link Family}.
 */
public interface Contender {
  /** Whose cache this is. */
  Family family();

  /** The configuration this contender stands for, the same text for its rivals in that row. */
  String variant();
}
