package dev.asynccache.redis;

/** Internal: a Redis call failed, timed out or was refused by the open breaker. */
final class RedisUnavailable extends Exception {
  private static final long serialVersionUID = 1L;

  RedisUnavailable(String message, Throwable cause) {
    super(message, cause, false, false);
  }

  RedisUnavailable(String message) {
    super(message, null, false, false);
  }
}
