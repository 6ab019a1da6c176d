package dev.asynccache.redis;

import dev.asynccache.TimeSource;
import org.jspecify.annotations.Nullable;

/**
 * An L1 entry: the value, the L1 flush epoch it was read in (an entry from an earlier epoch may
 * have missed an invalidation), and, when its Redis time to live is shorter than {@code
 * maxStaleness} (which the L1 cache enforces itself), the clock reading after which it is stale.
 */
final class Held<V> {
  private final V value;
  private final long epoch;
  private final boolean bounded;
  private final long deadline;

  private Held(V value, long epoch, boolean bounded, long deadline) {
    this.value = value;
    this.epoch = epoch;
    this.bounded = bounded;
    this.deadline = deadline;
  }

  /**
   * Holds {@code value}, read in flush epoch {@code epoch} at clock reading {@code now}, for {@code
   * remainingMillis} ({@code -1}: as long as L1 keeps it).
   */
  static <V> Held<V> of(
      V value, long remainingMillis, long maxStalenessNanos, long epoch, long now) {
    if (remainingMillis < 0 || remainingMillis >= maxStalenessNanos / 1_000_000) {
      return new Held<>(value, epoch, false, 0);
    }
    return new Held<>(value, epoch, true, now + remainingMillis * 1_000_000);
  }

  /** The same entry, stamped with the flush epoch its load started in. */
  Held<V> inEpoch(long startEpoch) {
    return startEpoch == epoch ? this : new Held<>(value, startEpoch, bounded, deadline);
  }

  V value() {
    return value;
  }

  long epoch() {
    return epoch;
  }

  /**
   * Whether it is still current: read in {@code currentEpoch} and its Redis TTL not run out. The
   * clock (the coarse system clock, a field read, unless a test gave its own) is read only for an
   * entry whose Redis TTL is shorter than {@code maxStaleness}: an L1 hit of any other entry reads
   * no clock at all.
   */
  boolean isFresh(long currentEpoch, TimeSource clock) {
    return epoch == currentEpoch && (!bounded || deadline - clock.nanoTime() > 0);
  }

  /** The clock reading at which its Redis TTL ran out, or {@code Long.MAX_VALUE} if unbounded. */
  long ttlDeadline() {
    return bounded ? deadline : Long.MAX_VALUE;
  }

  static <V> @Nullable V valueOf(@Nullable Held<V> held) {
    return held == null ? null : held.value;
  }
}
