package dev.asynccache;

/**
 * The cache was closed: calls made after {@link AsyncCache#close()} fail fast with this, and loads
 * that had not finished when it closed fail their waiters with it.
 */
public final class CacheClosedException extends CacheException {
  private static final long serialVersionUID = 1L;

  CacheClosedException(String message) {
    super(message);
  }
}
