package dev.asynccache.redis;

import org.jspecify.annotations.Nullable;

/**
 * An L1 entry: the value and, when its Redis time to live is shorter than {@code maxStaleness}
 * (which the L1 cache enforces itself), the {@link System#nanoTime()} after which it is stale.
 */
final class Held<V> {
  private final V value;
  private final boolean bounded;
  private final long deadline;

  private Held(V value, boolean bounded, long deadline) {
    this.value = value;
    this.bounded = bounded;
    this.deadline = deadline;
  }

  /**
   * Holds {@code value} for {@code remainingMillis} ({@code -1}: as long as L1 keeps it).
   */
  static <V> Held<V> of(V value, long remainingMillis, long maxStalenessNanos) {
    if (remainingMillis < 0 || remainingMillis >= maxStalenessNanos / 1_000_000) {
      return new Held<>(value, false, 0);
    }
    return new Held<>(value, true, System.nanoTime() + remainingMillis * 1_000_000);
  }

  V value() {
    return value;
  }

  boolean isFresh() {
    return !bounded || deadline - System.nanoTime() > 0;
  }

  static <V> @Nullable V valueOf(@Nullable Held<V> held) {
    return held == null ? null : held.value;
  }
}
