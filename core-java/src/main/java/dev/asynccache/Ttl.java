package dev.asynccache;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How long an entry written by one call lives: the cache's default, an explicit duration, or
 * forever.
 *
 * <p>The three cases stay distinct: calls without a {@code Ttl} argument (and {@link
 * #cacheDefault()}) use the cache's {@code defaultTtl}; {@link #of(Duration)} sets this entry's own
 * time to live; {@link #never()} makes this entry never expire even when the cache has a default.
 * A zero duration is allowed: the value is returned to the callers of that load but not kept.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Ttl {
  private static final Ttl DEFAULT = new Ttl(Kind.DEFAULT, Duration.ZERO);
  private static final Ttl NEVER = new Ttl(Kind.NEVER, Duration.ZERO);

  enum Kind {
    DEFAULT,
    NEVER,
    EXPLICIT
  }

  private final Kind kind;
  private final Duration duration;
  /** The entry's own refresh age, or {@code null} for the cache's {@code refreshAfterWrite}. */
  private final @Nullable Duration refreshAfter;

  private Ttl(Kind kind, Duration duration) {
    this(kind, duration, null);
  }

  private Ttl(Kind kind, Duration duration, @Nullable Duration refreshAfter) {
    this.kind = kind;
    this.duration = duration;
    this.refreshAfter = refreshAfter;
  }

  /**
   * Returns this TTL with a refresh age of its own for the entry (per-entry {@code
   * refreshAfterWrite}): a {@code get} with a loader that finds the entry older than {@code
   * refreshAfter} returns the current value at once and reloads it in the background; see {@link
   * AsyncCacheBuilder#refreshAfterWrite(Duration)} for the whole contract.
   *
   * @param refreshAfter the refresh age, positive
   * @return a TTL with the same expiry and this refresh age
   * @throws NullPointerException if {@code refreshAfter} is null
   * @throws IllegalArgumentException if {@code refreshAfter} is zero or negative
   */
  public Ttl withRefreshAfter(Duration refreshAfter) {
    Objects.requireNonNull(refreshAfter, "refreshAfter must not be null");
    if (refreshAfter.isNegative() || refreshAfter.isZero()) {
      throw new IllegalArgumentException("refreshAfter must be positive: " + refreshAfter);
    }
    return new Ttl(kind, duration, refreshAfter);
  }

  /**
   * Returns the entry's own refresh age, if {@link #withRefreshAfter} gave one.
   *
   * @return the refresh age, or empty for the cache's
   */
  public Optional<Duration> refreshAfter() {
    return Optional.ofNullable(refreshAfter);
  }

  /** The refresh age in nanoseconds: this TTL's own, else {@code defaultNanos} ({@code -1}: none). */
  long refreshNanos(long defaultNanos) {
    return refreshAfter == null ? defaultNanos : saturatedNanos(refreshAfter);
  }

  /**
   * Returns a time to live of {@code duration}.
   *
   * @param duration how long the entry lives; zero means it is not kept
   * @return the TTL
   * @throws NullPointerException if {@code duration} is null
   * @throws IllegalArgumentException if {@code duration} is negative
   */
  public static Ttl of(Duration duration) {
    Objects.requireNonNull(duration, "ttl duration must not be null");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("ttl must not be negative: " + duration);
    }
    return new Ttl(Kind.EXPLICIT, duration);
  }

  /**
   * Returns a time to live of {@code seconds} seconds.
   *
   * @param seconds how long the entry lives, zero or more
   * @return the TTL
   * @throws IllegalArgumentException if {@code seconds} is negative
   */
  public static Ttl ofSeconds(long seconds) {
    if (seconds < 0) {
      throw new IllegalArgumentException("ttl must not be negative: " + seconds + " s");
    }
    return of(Duration.ofSeconds(seconds));
  }

  /**
   * Returns the TTL that never expires, whatever the cache's default.
   *
   * @return the "never expires" TTL
   */
  public static Ttl never() {
    return NEVER;
  }

  /**
   * Returns the TTL that means "the cache's {@code defaultTtl}" (which may be none).
   *
   * @return the "cache default" TTL
   */
  public static Ttl cacheDefault() {
    return DEFAULT;
  }

  /**
   * Returns the explicit duration; empty for {@link #never()} and {@link #cacheDefault()}.
   *
   * @return the duration, if this TTL is explicit
   */
  public Optional<Duration> duration() {
    return kind == Kind.EXPLICIT ? Optional.of(duration) : Optional.empty();
  }

  /**
   * Tells whether this is {@link #never()}.
   *
   * @return {@code true} for the "never expires" TTL
   */
  public boolean isNever() {
    return kind == Kind.NEVER;
  }

  /**
   * Tells whether this is {@link #cacheDefault()}.
   *
   * @return {@code true} for the "cache default" TTL
   */
  public boolean isCacheDefault() {
    return kind == Kind.DEFAULT;
  }

  /**
   * Resolves this TTL to nanoseconds: {@code -1} for "never", else the duration (saturated).
   *
   * @param defaultNanos the cache default, {@code -1} for none
   */
  long toNanos(long defaultNanos) {
    return switch (kind) {
      case DEFAULT -> defaultNanos;
      case NEVER -> -1;
      case EXPLICIT -> saturatedNanos(duration);
    };
  }

  static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException overflow) {
      return Long.MAX_VALUE;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ttl t
        && t.kind == kind
        && t.duration.equals(duration)
        && Objects.equals(t.refreshAfter, refreshAfter);
  }

  @Override
  public int hashCode() {
    return (kind.hashCode() * 31 + duration.hashCode()) * 31 + Objects.hashCode(refreshAfter);
  }

  @Override
  public String toString() {
    String refresh = refreshAfter == null ? "" : ", refresh after " + refreshAfter;
    return switch (kind) {
      case DEFAULT -> "Ttl[cache default" + refresh + "]";
      case NEVER -> "Ttl[never" + refresh + "]";
      case EXPLICIT -> "Ttl[" + duration + refresh + "]";
    };
  }
}
