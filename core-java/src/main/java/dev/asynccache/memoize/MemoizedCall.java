package dev.asynccache.memoize;

import dev.asynccache.AsyncCache;
import dev.asynccache.CacheMetrics;
import dev.asynccache.LoadException;
import dev.asynccache.Loader;
import org.jspecify.annotations.Nullable;

/** The cache behind one memoized function or method: key building, lookup and refresh. */
final class MemoizedCall<R> {
  private final AsyncCache<ArgsKey, R> cache;
  private final int skip;

  MemoizedCall(AsyncCache<ArgsKey, R> cache, int skip) {
    this.cache = cache;
    this.skip = skip;
  }

  @Nullable R get(@Nullable Object[] args, Loader<? extends R> compute) {
    return cache.get(ArgsKey.of(args, skip), compute);
  }

  @Nullable R refresh(@Nullable Object[] args, Loader<? extends R> compute) {
    ArgsKey key = ArgsKey.of(args, skip);
    R fresh;
    try {
      fresh = compute.load();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new LoadException("the memoized function failed for arguments " + key + ": " + e, e);
    }
    if (fresh == null) {
      cache.delete(key);
    } else {
      cache.set(key, fresh);
    }
    return fresh;
  }

  void invalidate(@Nullable Object[] args) {
    cache.delete(ArgsKey.of(args, skip));
  }

  void invalidateAll() {
    cache.clear();
  }

  CacheMetrics metrics() {
    return cache.metrics();
  }
}
