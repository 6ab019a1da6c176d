package dev.asynccache;

/**
 * A load ran longer than the cache's {@code loadTimeout}. The loader's thread was interrupted,
 * every waiter of that load receives this exception and nothing was cached.
 */
public final class LoadTimeoutException extends CacheException {
  private static final long serialVersionUID = 1L;

  LoadTimeoutException(String message) {
    super(message);
  }
}
