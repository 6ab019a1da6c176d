package dev.asynccache;

/**
 * A loader asked the cache for a key whose load it is itself part of (directly, or through nested
 * loads). Waiting would never end, so the inner call fails at once with this exception.
 */
public final class RecursiveLoadException extends CacheException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception; public for adapters (such as the Kotlin one) that detect recursion in
   * loaders the core does not run itself.
   *
   * @param message which key, and how it was asked for
   */
  public RecursiveLoadException(String message) {
    super(message);
  }
}
