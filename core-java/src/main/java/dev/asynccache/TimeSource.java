package dev.asynccache;

/**
 * The clock a cache reads for expiry and load timing: a monotonic count of nanoseconds.
 *
 * <p>Tests pass their own source to move time by hand instead of sleeping. The values must never
 * decrease; their origin is arbitrary. Implementations must be thread-safe and fast: a cache on a
 * source other than {@link #system()} reads it on every hit of an entry that can expire. On {@link
 * #system()}, hits read a copy that a shared daemon thread refreshes every millisecond instead, so
 * an entry may be served up to about a millisecond (plus that thread's scheduling delay) after it
 * expired, never before; writes, loads and removals of expired entries read the exact clock.
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

  /**
   * Returns the system's monotonic clock as the caches' hits read it: a copy of {@link
   * System#nanoTime()} that a shared daemon thread refreshes every millisecond, for the price of a
   * field read. A reading is never ahead of {@code System.nanoTime()}; it may lag behind it by a
   * millisecond plus that thread's scheduling delay, so a deadline checked against it is seen up
   * to that much late, never early. For hot-path expiry checks only (caches layered over this one
   * check their own deadlines with it); the thread parks when nobody reads for about a second.
   *
   * @return the coarse system time source, thread-safe
   */
  static TimeSource coarseSystem() {
    return CoarseTimeSource.INSTANCE;
  }
}
