package dev.asynccache.redis;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The format of the bytes a {@link RedisCache} stores under a value's Redis key: a 9-byte header,
 * then the value codec's bytes.
 *
 * <pre>
 * byte 0     format version: 0xA1 (format 1); any other byte is not ours or a version we do not know
 * bytes 1-8  absolute expiry, wall-clock epoch milliseconds, big-endian; 0 = no expiry
 * bytes 9-   the codec's bytes
 * </pre>
 *
 * <p>The expiry lets a read be one plain {@code GET} (or {@code MGET}): the remaining time to live
 * is the header's expiry minus the reader's wall clock, instead of a {@code PTTL} beside the
 * {@code GET}. The Redis key still carries its own {@code PX} expiry; the header only tells L1 how
 * long to keep its copy. 0xA1 cannot begin UTF-8 text (a continuation byte), so a plain string
 * {@code SET} by another program is rejected rather than misread.
 *
 * <p>Decoding never throws and allocates nothing but the payload copy: {@link #check} says whether
 * the bytes are a format-1 value, {@link #expiresAt} and {@link #payload} read one that is.
 * Stateless; thread-safe.
 */
final class StoredValue {
  /** The format byte of format 1. */
  static final byte FORMAT_1 = (byte) 0xA1;

  /** Header length: the format byte and the 8-byte expiry. */
  static final int HEADER_BYTES = 1 + Long.BYTES;

  /** The expiry of a value without one. */
  static final long NO_EXPIRY = 0;

  /** Reads and writes the big-endian expiry inside a byte array. */
  private static final VarHandle EXPIRY =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /** What {@link #check} found. */
  enum Status {
    /** A format-1 value: {@link #expiresAt} and {@link #payload} may be read. */
    OK("a format-1 value"),
    /** Shorter than the header: not written by a {@code RedisCache} (or cut). */
    TRUNCATED("shorter than the 9-byte header"),
    /** The first byte is not a format this version knows (another program's bytes, another version). */
    UNKNOWN_VERSION("not a known format byte"),
    /** The format byte is ours but the expiry is negative: corrupt. */
    BAD_EXPIRY("a negative expiry");

    private final String description;

    Status(String description) {
      this.description = description;
    }

    /** A short phrase for logs, such as "shorter than the 9-byte header". */
    String description() {
      return description;
    }
  }

  private StoredValue() {}

  /**
   * The stored form of {@code payload} expiring at {@code expiresAtEpochMillis} ({@link
   * #NO_EXPIRY}: none).
   *
   * @throws IllegalArgumentException if the expiry is negative
   */
  static byte[] encode(byte[] payload, long expiresAtEpochMillis) {
    if (expiresAtEpochMillis < 0) {
      throw new IllegalArgumentException("expiry must not be negative: " + expiresAtEpochMillis);
    }
    byte[] out = new byte[HEADER_BYTES + payload.length];
    out[0] = FORMAT_1;
    EXPIRY.set(out, 1, expiresAtEpochMillis);
    System.arraycopy(payload, 0, out, HEADER_BYTES, payload.length);
    return out;
  }

  /**
   * The expiry of a value that lives {@code ttlMillis} from {@code nowEpochMillis} ({@code ttlMillis}
   * negative: none), saturated far in the future rather than overflowing.
   */
  static long expiryAfter(long nowEpochMillis, long ttlMillis) {
    if (ttlMillis < 0) {
      return NO_EXPIRY;
    }
    long at = nowEpochMillis + ttlMillis;
    return at < nowEpochMillis ? Long.MAX_VALUE : Math.max(at, 1);
  }

  /** Whether {@code stored} is a format-1 value, and if not, why. */
  static Status check(byte[] stored) {
    if (stored.length < HEADER_BYTES) {
      return Status.TRUNCATED;
    }
    if (stored[0] != FORMAT_1) {
      return Status.UNKNOWN_VERSION;
    }
    return expiresAt(stored) < 0 ? Status.BAD_EXPIRY : Status.OK;
  }

  /** The expiry of a value {@link #check} accepted, epoch ms ({@link #NO_EXPIRY}: none). */
  static long expiresAt(byte[] stored) {
    return (long) EXPIRY.get(stored, 1);
  }

  /**
   * Milliseconds a value {@link #check} accepted has left at {@code nowEpochMillis}: {@code -1}
   * without expiry, {@code 0} if already expired.
   */
  static long remainingMillis(byte[] stored, long nowEpochMillis) {
    long at = expiresAt(stored);
    if (at == NO_EXPIRY) {
      return -1;
    }
    if (at <= nowEpochMillis) {
      return 0;
    }
    long left = at - nowEpochMillis;
    return left < 0 ? Long.MAX_VALUE : left; // a clock before 1970 (tests) against a far expiry
  }

  /** The codec's bytes of a value {@link #check} accepted. */
  static byte[] payload(byte[] stored) {
    return Arrays.copyOfRange(stored, HEADER_BYTES, stored.length);
  }
}
