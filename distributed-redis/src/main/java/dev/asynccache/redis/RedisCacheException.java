package dev.asynccache.redis;

import dev.asynccache.CacheException;
import org.jspecify.annotations.Nullable;

/**
 * Redis failed, timed out or was skipped by the open circuit breaker. Only a cache built {@code
 * strict(true)} throws it at callers; the default fail-safe mode serves L1 and calls loaders
 * directly instead. {@link RedisCacheBuilder#build()} also throws it when Redis cannot be reached.
 */
public final class RedisCacheException extends CacheException {
  private static final long serialVersionUID = 1L;

  RedisCacheException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
