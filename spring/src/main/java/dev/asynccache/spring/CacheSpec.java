package dev.asynccache.spring;

import dev.asynccache.AsyncCache;
import dev.asynccache.AsyncCacheBuilder;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one cache, as {@link AsyncCacheBuilder} options; a {@code null} component
 * leaves the option unset (the builder's default, or the value of a spec this one {@linkplain
 * #overriddenBy overrides}). Immutable and thread-safe.
 *
 * @param maxSize the most entries ({@link AsyncCacheBuilder#maxSize}), at least 1
 * @param defaultTtl how long entries live ({@link AsyncCacheBuilder#defaultTtl}), positive
 * @param batchWindow how long a batch collects keys ({@link AsyncCacheBuilder#batchWindow}), zero
 *     or more
 * @param maxBatchSize the most keys per batch ({@link AsyncCacheBuilder#maxBatchSize}), at least 1
 * @param loadTimeout the longest a load may run ({@link AsyncCacheBuilder#loadTimeout}), positive
 * @param refreshAfterWrite the age at which a hit reloads in the background ({@link
 *     AsyncCacheBuilder#refreshAfterWrite}), positive
 * @param staleIfError how long an expired value may answer a failed reload ({@link
 *     AsyncCacheBuilder#staleIfError}), positive
 */
public record CacheSpec(
    @Nullable Long maxSize,
    @Nullable Duration defaultTtl,
    @Nullable Duration batchWindow,
    @Nullable Integer maxBatchSize,
    @Nullable Duration loadTimeout,
    @Nullable Duration refreshAfterWrite,
    @Nullable Duration staleIfError) {

  private static final CacheSpec EMPTY = new CacheSpec(null, null, null, null, null, null, null);

  /**
   * Checks every option the way {@link AsyncCacheBuilder} does.
   *
   * @throws IllegalArgumentException naming the option and the value, if one is out of range
   */
  public CacheSpec {
    // The fields are assigned only after this body: check the parameters, not the fields.
    set(AsyncCache.builder(), maxSize, defaultTtl, batchWindow, maxBatchSize, loadTimeout,
        refreshAfterWrite, staleIfError);
  }

  /**
   * Returns the spec that sets nothing.
   *
   * @return the empty spec
   */
  public static CacheSpec empty() {
    return EMPTY;
  }

  /**
   * Returns a spec with {@code override}'s options where it sets them and this one's elsewhere.
   *
   * @param override the spec that wins
   * @return the merged spec
   * @throws NullPointerException if {@code override} is null
   */
  public CacheSpec overriddenBy(CacheSpec override) {
    return new CacheSpec(
        pick(override.maxSize, maxSize),
        pick(override.defaultTtl, defaultTtl),
        pick(override.batchWindow, batchWindow),
        pick(override.maxBatchSize, maxBatchSize),
        pick(override.loadTimeout, loadTimeout),
        pick(override.refreshAfterWrite, refreshAfterWrite),
        pick(override.staleIfError, staleIfError));
  }

  /**
   * Sets the options this spec holds on {@code builder}.
   *
   * @param builder a builder on which none of these options is set yet
   * @return {@code builder}
   * @throws IllegalArgumentException if an option is out of range
   * @throws IllegalStateException if {@code builder} already had one of these options
   */
  public AsyncCacheBuilder applyTo(AsyncCacheBuilder builder) {
    return set(builder, maxSize, defaultTtl, batchWindow, maxBatchSize, loadTimeout,
        refreshAfterWrite, staleIfError);
  }

  private static AsyncCacheBuilder set(
      AsyncCacheBuilder builder,
      @Nullable Long maxSize,
      @Nullable Duration defaultTtl,
      @Nullable Duration batchWindow,
      @Nullable Integer maxBatchSize,
      @Nullable Duration loadTimeout,
      @Nullable Duration refreshAfterWrite,
      @Nullable Duration staleIfError) {
    if (maxSize != null) builder.maxSize(maxSize);
    if (defaultTtl != null) builder.defaultTtl(defaultTtl);
    if (batchWindow != null) builder.batchWindow(batchWindow);
    if (maxBatchSize != null) builder.maxBatchSize(maxBatchSize);
    if (loadTimeout != null) builder.loadTimeout(loadTimeout);
    if (refreshAfterWrite != null) builder.refreshAfterWrite(refreshAfterWrite);
    if (staleIfError != null) builder.staleIfError(staleIfError);
    return builder;
  }

  private static <T> @Nullable T pick(@Nullable T preferred, @Nullable T fallback) {
    return preferred != null ? preferred : fallback;
  }
}
