package dev.asynccache.persistence;

import dev.asynccache.CacheException;
import org.jspecify.annotations.Nullable;

/**
 * A persistence backend could not save or restore: the file is missing, truncated, corrupt, of
 * another format, locked by another process, or the disk failed. The message names the file and
 * says what is wrong. Nothing on disk is deleted because of it.
 */
public class PersistenceException extends CacheException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the file
   * @param cause the underlying failure, if any
   */
  public PersistenceException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the file
   */
  public PersistenceException(String message) {
    super(message);
  }
}
