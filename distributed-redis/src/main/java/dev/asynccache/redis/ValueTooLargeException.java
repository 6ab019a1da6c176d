package dev.asynccache.redis;

import dev.asynccache.CacheException;

/**
 * A value encoded to more bytes than the cache's {@code maxValueBytes}; it was refused before it
 * reached Redis.
 */
public final class ValueTooLargeException extends CacheException {
  private static final long serialVersionUID = 1L;

  private final long size;
  private final long limit;

  ValueTooLargeException(long size, long limit) {
    super("value encodes to " + size + " bytes, over maxValueBytes " + limit + "; not stored");
    this.size = size;
    this.limit = limit;
  }

  /**
   * Returns the encoded size of the refused value.
   *
   * @return bytes
   */
  public long size() {
    return size;
  }

  /**
   * Returns the limit it exceeded.
   *
   * @return {@code maxValueBytes}
   */
  public long limit() {
    return limit;
  }
}
