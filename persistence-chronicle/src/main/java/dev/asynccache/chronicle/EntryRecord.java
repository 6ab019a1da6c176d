package dev.asynccache.chronicle;

import java.nio.ByteBuffer;

/**
 * The value stored in a Chronicle Map for one cache entry: an 8-byte order number (higher is more
 * recently used or written), the 8-byte wall-clock expiry in epoch milliseconds, then the value's
 * codec bytes. Big-endian.
 */
record EntryRecord(long order, long expiresAtEpochMillis, byte[] value) {
  static final int HEADER_BYTES = 16;

  static byte[] encode(long order, long expiresAtEpochMillis, byte[] value) {
    return ByteBuffer.allocate(HEADER_BYTES + value.length)
        .putLong(order)
        .putLong(expiresAtEpochMillis)
        .put(value)
        .array();
  }

  /**
   * Decodes a stored record.
   *
   * @throws IllegalArgumentException if it is shorter than its header
   */
  static EntryRecord decode(byte[] bytes) {
    if (bytes.length < HEADER_BYTES) {
      throw new IllegalArgumentException(
          "an entry record takes at least " + HEADER_BYTES + " bytes, found " + bytes.length);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    long order = b.getLong();
    long expires = b.getLong();
    byte[] value = new byte[bytes.length - HEADER_BYTES];
    b.get(value);
    return new EntryRecord(order, expires, value);
  }
}
