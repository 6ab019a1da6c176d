package dev.asynccache.persistence;

import java.util.Objects;

/**
 * One cache entry as a backend stores it: key, value and the wall-clock instant it expires.
 *
 * <p>Expiry is absolute wall-clock time (epoch milliseconds), because a monotonic clock means
 * nothing in another process. {@link #NEVER} marks an entry without expiry.
 *
 * @param key the key
 * @param value the value
 * @param expiresAtEpochMillis when the entry expires, or {@link #NEVER}
 * @param <K> the key type
 * @param <V> the value type
 */
public record PersistedEntry<K, V>(K key, V value, long expiresAtEpochMillis) {

  /** The expiry of an entry that never expires. */
  public static final long NEVER = Long.MAX_VALUE;

  /**
   * Checks the fields.
   *
   * @throws NullPointerException if the key or value is null
   */
  public PersistedEntry {
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(value, "value must not be null");
  }

  /**
   * Tells whether the entry has expired at {@code nowEpochMillis}.
   *
   * @param nowEpochMillis the current wall-clock time
   * @return {@code true} if expired
   */
  public boolean isExpiredAt(long nowEpochMillis) {
    return expiresAtEpochMillis != NEVER && nowEpochMillis >= expiresAtEpochMillis;
  }
}
