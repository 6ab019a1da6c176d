package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * The base of the exceptions that async-cache throws for its own reasons (as opposed to an
 * unchecked exception thrown by a loader, which callers receive unchanged).
 */
public class CacheException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what went wrong
   * @param cause the underlying failure, if any
   */
  public CacheException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /**
   * Creates an exception.
   *
   * @param message what went wrong
   */
  public CacheException(String message) {
    super(message);
  }
}
