package dev.asynccache;

/**
 * The calling thread was interrupted while it waited for a load. The thread's interrupt status is
 * set again when this is thrown. The load itself goes on for the other callers that share it.
 */
public final class WaitInterruptedException extends CacheException {
  private static final long serialVersionUID = 1L;

  WaitInterruptedException(String message, Throwable cause) {
    super(message, cause);
  }

  WaitInterruptedException(String message) {
    super(message);
  }
}
