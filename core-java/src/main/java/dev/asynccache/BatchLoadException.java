package dev.asynccache;

/** A {@link BatchLoader} broke its contract, for example by returning {@code null}. */
public final class BatchLoadException extends CacheException {
  private static final long serialVersionUID = 1L;

  BatchLoadException(String message) {
    super(message);
  }
}
