package dev.asynccache;

/**
 * A loader or batch loader threw a checked exception; {@link #getCause()} is that exception.
 *
 * <p>Unchecked exceptions and errors thrown by a loader reach the callers of {@code get}
 * unwrapped; only checked ones are wrapped here, because {@code get} declares none.
 */
public class LoadException extends CacheException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message which load failed
   * @param cause the loader's exception
   */
  public LoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
