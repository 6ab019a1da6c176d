package dev.asynccache.redis;

/**
 * What a load through Redis got for one key: the value (read from Redis, or loaded and stored
 * there), the time it had left in Redis then ({@code ttlNanos}, {@code -1} for no expiry) and the
 * clock reading of that moment ({@code at}). Its L1 entry is given the time left from there,
 * {@code maxStaleness} at most.
 */
record Loaded<V>(V value, long ttlNanos, long at) {

  /**
   * {@code value}, read or stored at clock reading {@code now} with {@code remainingMillis} left in
   * Redis ({@code -1}: no expiry; {@code 0}: expired already, not kept).
   */
  static <V> Loaded<V> of(V value, long remainingMillis, long now) {
    long nanos;
    if (remainingMillis < 0) {
      nanos = -1;
    } else if (remainingMillis >= Long.MAX_VALUE / 1_000_000) {
      nanos = Long.MAX_VALUE;
    } else {
      nanos = remainingMillis * 1_000_000;
    }
    return new Loaded<>(value, nanos, now);
  }

  /** The time it has left at clock reading {@code now}: {@code -1} for no expiry, else ≥ 0. */
  long ttlNanosAt(long now) {
    return ttlNanos < 0 ? -1 : Math.max(0, ttlNanos - (now - at));
  }
}
