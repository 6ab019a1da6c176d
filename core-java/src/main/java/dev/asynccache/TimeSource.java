package dev.asynccache;

/**
 * The clock a cache reads for expiry and load timing: a monotonic count of nanoseconds.
 *
 * <p>Tests pass their own source to move time by hand instead of sleeping. The values must never
 * decrease; their origin is arbitrary. Implementations must be thread-safe and fast: the cache
 * reads the clock on hits of entries that can expire.
 */
@FunctionalInterface
public interface TimeSource {

  /**
   * Returns the current time in nanoseconds.
   *
   * @return the current reading, never smaller than an earlier one
   */
  long nanoTime();

  /**
   * Returns the system's monotonic clock, {@link System#nanoTime()}.
   *
   * @return the system time source
   */
  static TimeSource system() {
    return SystemTimeSource.INSTANCE;
  }
}
