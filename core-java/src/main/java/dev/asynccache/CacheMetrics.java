package dev.asynccache;

/**
 * An immutable snapshot of a cache's counters, taken by {@link AsyncCache#metrics()}.
 *
 * <p>When each counter moves:
 *
 * <ul>
 *   <li>{@code hitCount}: a lookup ({@code get}, {@code getIfPresent}, each key of {@code getAll})
 *       answered from the cache without waiting.
 *   <li>{@code missCount}: every other lookup: the key was absent or expired, whether the caller
 *       then started a load, joined one or got nothing.
 *   <li>{@code loadSuccessCount} / {@code loadFailureCount}: loads that finished, one per key (a
 *       batch of n keys counts n); a loader that returned {@code null} is a success. Timeouts and
 *       loads cut short by {@link AsyncCache#close()} are failures.
 *   <li>{@code totalLoadTimeNanos}: time spent in loaders and batch loaders, as read from the
 *       cache's {@link TimeSource}.
 *   <li>{@code joinedLoadCount}: misses that waited for a load another caller had started instead
 *       of starting one (single-flight at work).
 *   <li>{@code evictionCount}: entries removed to keep the size within {@code maxSize}.
 *   <li>{@code expirationCount}: entries removed because their time to live had passed.
 *   <li>{@code batchCallCount} / {@code batchedKeyCount}: calls made to batch loaders and the keys
 *       they were given.
 *   <li>{@code refreshCount}: background reloads started ahead of expiry ({@code
 *       refreshAfterWrite}); each also counts as a load success or failure when it ends.
 *   <li>{@code staleServedCount}: loads whose failure was answered with an expired value
 *       ({@code staleIfError}); each also counts as a load failure.
 *   <li>{@code size}: entries held when the snapshot was taken (expired ones not yet removed
 *       included); {@code maxSize}: the bound, {@link Long#MAX_VALUE} when unbounded.
 *   <li>{@code weightedSize}: the total weight of the entries held, as the cache's {@code weigher}
 *       gave it (expired ones not yet removed included); never above {@code maximumWeight} once a
 *       write has returned. Without a weigher every entry weighs 1 and it equals {@code size}.
 * </ul>
 *
 * <p>The counters are read one after another without a lock, so a snapshot taken under load may
 * mix slightly different instants.
 *
 * @param hitCount lookups answered without waiting
 * @param missCount all other lookups
 * @param loadSuccessCount loads that finished normally
 * @param loadFailureCount loads that failed
 * @param totalLoadTimeNanos time spent loading, in nanoseconds
 * @param joinedLoadCount misses that joined an in-flight load
 * @param evictionCount entries evicted by size
 * @param expirationCount entries removed after their TTL
 * @param batchCallCount batch loader calls
 * @param batchedKeyCount keys passed to batch loaders
 * @param refreshCount background reloads started
 * @param staleServedCount failed loads answered with an expired value
 * @param size entries held
 * @param maxSize the size bound, {@link Long#MAX_VALUE} when unbounded
 * @param weightedSize the total weight of the entries held ({@code size} without a weigher)
 */
public record CacheMetrics(
    long hitCount,
    long missCount,
    long loadSuccessCount,
    long loadFailureCount,
    long totalLoadTimeNanos,
    long joinedLoadCount,
    long evictionCount,
    long expirationCount,
    long batchCallCount,
    long batchedKeyCount,
    long refreshCount,
    long staleServedCount,
    long size,
    long maxSize,
    long weightedSize) {

  /**
   * Validates the counters.
   *
   * @throws IllegalArgumentException if a counter is negative
   */
  public CacheMetrics {
    long[] all = {
      hitCount, missCount, loadSuccessCount, loadFailureCount, totalLoadTimeNanos, joinedLoadCount,
      evictionCount, expirationCount, batchCallCount, batchedKeyCount, refreshCount,
      staleServedCount, size, maxSize, weightedSize
    };
    for (long value : all) {
      if (value < 0) {
        throw new IllegalArgumentException("metrics counters must not be negative: " + value);
      }
    }
  }

  /**
   * A snapshot without a weigher: {@code weightedSize} equals {@code size}. (The constructor of the
   * snapshots taken before {@code weightedSize} existed.)
   *
   * @throws IllegalArgumentException if a counter is negative
   */
  public CacheMetrics(
      long hitCount,
      long missCount,
      long loadSuccessCount,
      long loadFailureCount,
      long totalLoadTimeNanos,
      long joinedLoadCount,
      long evictionCount,
      long expirationCount,
      long batchCallCount,
      long batchedKeyCount,
      long refreshCount,
      long staleServedCount,
      long size,
      long maxSize) {
    this(hitCount, missCount, loadSuccessCount, loadFailureCount, totalLoadTimeNanos,
        joinedLoadCount, evictionCount, expirationCount, batchCallCount, batchedKeyCount,
        refreshCount, staleServedCount, size, maxSize, size);
  }

  /**
   * Returns {@code hitCount + missCount}, saturated at {@link Long#MAX_VALUE}.
   *
   * @return the number of lookups
   */
  public long requestCount() {
    long sum = hitCount + missCount;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }

  /**
   * Returns the share of lookups that were hits, or {@code 1.0} when there were none (as
   * Caffeine).
   *
   * @return the hit rate between 0 and 1
   */
  public double hitRate() {
    long requests = requestCount();
    return requests == 0 ? 1.0 : (double) hitCount / requests;
  }

  /**
   * Returns the average time of a finished load, or {@code 0.0} when none finished.
   *
   * @return nanoseconds per load
   */
  public double averageLoadPenaltyNanos() {
    long loads = loadSuccessCount + loadFailureCount;
    return loads <= 0 ? 0.0 : (double) totalLoadTimeNanos / loads;
  }
}
