package dev.asynccache;

import org.jspecify.annotations.Nullable;

/**
 * A batch loader of either kind, with the key its batches coalesce under: a {@link Batcher} (its
 * own source), a batch loader given by a named class (by {@code equals}), or one given as a lambda
 * or method reference (by its class, that is, by the expression that created it: {@code
 * cache.get(id, ids -> repo.findAll(ids))} from 50 concurrent requests is one batch, although each
 * evaluation of a capturing lambda is a new instance).
 */
final class BatchSource<K, V> {
  final @Nullable BatchLoader<K, ? extends V> blocking;
  final @Nullable AsyncBatchLoader<K, ? extends V> async;
  /** What batches coalesce under. */
  final Object coalesceKey;

  private BatchSource(
      @Nullable BatchLoader<K, ? extends V> blocking,
      @Nullable AsyncBatchLoader<K, ? extends V> async,
      boolean own) {
    this.blocking = blocking;
    this.async = async;
    Object loader = blocking != null ? blocking : async;
    this.coalesceKey = own ? this : coalesceKeyOf(loader);
  }

  /** The source of a loader given with each call. */
  static <K, V> BatchSource<K, V> perCall(BatchLoader<K, ? extends V> loader) {
    return new BatchSource<>(loader, null, false);
  }

  /** The source of a {@link Batcher}: its batches are its own. */
  static <K, V> BatchSource<K, V> owned(
      @Nullable BatchLoader<K, ? extends V> blocking, @Nullable AsyncBatchLoader<K, ? extends V> async) {
    return new BatchSource<>(blocking, async, true);
  }

  private static Object coalesceKeyOf(Object loader) {
    Class<?> type = loader.getClass();
    // Lambdas and method references are hidden classes, one per expression.
    return type.isHidden() ? type : loader;
  }

  @Override
  public String toString() {
    return String.valueOf(blocking != null ? blocking : async);
  }
}
