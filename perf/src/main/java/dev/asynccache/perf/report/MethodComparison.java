package dev.asynccache.perf.report;

import java.util.List;
import java.util.Optional;

/**
 * How {@code RESULTS.md} presents a benchmark whose methods, not its contenders, are compared:
 * several ways of calling one cache, each a column, side by side with the ratios between them
 * (benchmark 7: async-cache's Java API against its Kotlin suspend API). Unlike a {@link Section},
 * there is no Caffeine or map column: the comparison is within async-cache.
 *
 * @param className the benchmark class, without package
 * @param title the heading of its tables
 * @param description one paragraph on what is measured
 * @param columns the methods shown, in order, with their column titles
 * @param ratios the ratios shown, each a method's score over a baseline method's
 */
public record MethodComparison(
    String className, String title, String description, List<Column> columns, List<Ratio> ratios) {

  /**
   * One method's column.
   *
   * @param method the benchmark method
   * @param label the column title
   */
  public record Column(String method, String label) {}

  /**
   * One ratio column: {@code method}'s score over {@code baseline}'s, with the difference.
   *
   * @param method the numerator's method
   * @param baseline the denominator's method
   * @param label the column title
   */
  public record Ratio(String method, String baseline, String label) {}

  /** The method comparisons of this module. */
  public static final List<MethodComparison> ALL =
      List.of(
          new MethodComparison(
              "SuspendHitBenchmark",
              "7. Kotlin suspend get on a hit against the Java get, 1 thread",
              "One async-cache preloaded and read as in benchmark 1 (10,000 entries, bound 10,000,"
                  + " the same draws), called through the Java API and through the Kotlin"
                  + " `SuspendingCache` over it (`asSuspending()`), in the same run. The suspend calls"
                  + " are started on the benchmark thread without a dispatcher; a hit must not"
                  + " suspend (the run fails if one does). \"bridge alone\" is that start around the"
                  + " non-suspending `getIfPresent`: the part of the suspend figure due to calling it"
                  + " from a plain Java method. `runBlocking` adds an event loop and a blocking"
                  + " coroutine per call: it measures that setup, not the cache.",
              List.of(
                  new Column("javaGetIfPresent", "Java getIfPresent"),
                  new Column("javaGet", "Java get(key, loader)"),
                  new Column("javaGetAsyncJoin", "Java getAsync(…).join()"),
                  new Column("suspendGet", "suspend get"),
                  new Column("suspendBridgeGetIfPresent", "bridge alone (getIfPresent in a coroutine)"),
                  new Column("suspendGetRunBlocking", "runBlocking { suspend get }")),
              List.of(
                  new Ratio("suspendGet", "javaGet", "suspend get / Java get"),
                  new Ratio("suspendGet", "javaGetIfPresent", "suspend get / getIfPresent"),
                  new Ratio("suspendBridgeGetIfPresent", "javaGetIfPresent", "bridge alone / getIfPresent"),
                  new Ratio("suspendGetRunBlocking", "javaGet", "runBlocking / Java get"))));

  /** Finds the comparison that shows {@code result}, if any. */
  public static Optional<MethodComparison> of(JmhResult result) {
    return ALL.stream()
        .filter(
            c ->
                c.className.equals(result.className())
                    && c.columns.stream().anyMatch(col -> col.method.equals(result.methodName())))
        .findFirst();
  }
}
