package dev.asynccache.spring.boot;

import dev.asynccache.AsyncCache;
import dev.asynccache.AsyncCacheBuilder;
import dev.asynccache.spring.CacheSpec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code async-cache.*} properties: settings of every cache, the cache names, and settings of
 * particular caches under {@code async-cache.caches.<name>.*}. An option left unset takes the
 * core's default ({@code AsyncCache.builder()}: max size 128, no TTL, batch window 5 ms, 100 keys
 * per batch, no load timeout, no refresh, no stale-if-error).
 *
 * <p>Every value is checked when the properties are bound, so a bad one fails the application at
 * startup with a message naming the property, e.g. {@code async-cache.caches.users.max-size=0 is
 * invalid: maxSize must be at least 1, was 0}. Immutable.
 *
 * @param enabled Whether async-cache provides the application's CacheManager (default true)
 * @param allowNullValues Whether the caches store null values (default true, as Spring's caches)
 * @param maxSize The most entries of each cache (default 128)
 * @param defaultTtl How long entries live, e.g. 10m (default: no expiry)
 * @param batchWindow How long a batch collects keys before its batch loader is called (default
 *     5ms)
 * @param maxBatchSize The most keys per batch loader call (default 100)
 * @param loadTimeout The longest a load may run before its callers get a LoadTimeoutException
 *     (default: no bound)
 * @param refreshAfterWrite The age at which a hit reloads the entry in the background (default:
 *     never)
 * @param staleIfError How long an expired value may answer a failed reload (default: off)
 * @param cacheNames The caches to create at startup; when set, no other name is created on demand
 *     (default: any name, created on first use)
 * @param caches Settings of particular caches by name, overriding the ones above option by
 *     option; these caches are created at startup
 */
@ConfigurationProperties("async-cache")
public record AsyncCacheProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("true") boolean allowNullValues,
    @Nullable Long maxSize,
    @Nullable Duration defaultTtl,
    @Nullable Duration batchWindow,
    @Nullable Integer maxBatchSize,
    @Nullable Duration loadTimeout,
    @Nullable Duration refreshAfterWrite,
    @Nullable Duration staleIfError,
    @DefaultValue List<String> cacheNames,
    @DefaultValue Map<String, CacheProperties> caches) {

  static final String PREFIX = "async-cache";

  /**
   * Checks every value.
   *
   * @throws IllegalArgumentException naming the property, if a value is out of range
   */
  public AsyncCacheProperties {
    cacheNames = List.copyOf(cacheNames);
    // The top-level options have the shape of one cache's.
    check(PREFIX + ".", new CacheProperties(maxSize, defaultTtl, batchWindow, maxBatchSize, loadTimeout,
        refreshAfterWrite, staleIfError));
    caches.forEach((name, c) -> check(PREFIX + ".caches." + name + ".", c));
    caches = Map.copyOf(caches);
  }

  /**
   * Returns the settings of every cache.
   *
   * @return the top-level options as a spec
   */
  public CacheSpec defaults() {
    return new CacheSpec(maxSize, defaultTtl, batchWindow, maxBatchSize, loadTimeout,
        refreshAfterWrite, staleIfError);
  }

  /**
   * Returns the settings of particular caches.
   *
   * @return the specs of {@code async-cache.caches.<name>}, by name
   */
  public Map<String, CacheSpec> overrides() {
    Map<String, CacheSpec> specs = new LinkedHashMap<>();
    caches.forEach((name, c) -> specs.put(name, c.toSpec()));
    return specs;
  }

  /**
   * The settings of one cache ({@code async-cache.caches.<name>.*}); an option left unset takes
   * the top-level value.
   *
   * @param maxSize The most entries of this cache
   * @param defaultTtl How long entries of this cache live
   * @param batchWindow How long a batch of this cache collects keys
   * @param maxBatchSize The most keys per batch loader call
   * @param loadTimeout The longest a load may run
   * @param refreshAfterWrite The age at which a hit reloads the entry in the background
   * @param staleIfError How long an expired value may answer a failed reload
   */
  public record CacheProperties(
      @Nullable Long maxSize,
      @Nullable Duration defaultTtl,
      @Nullable Duration batchWindow,
      @Nullable Integer maxBatchSize,
      @Nullable Duration loadTimeout,
      @Nullable Duration refreshAfterWrite,
      @Nullable Duration staleIfError) {

    CacheSpec toSpec() {
      return new CacheSpec(maxSize, defaultTtl, batchWindow, maxBatchSize, loadTimeout,
          refreshAfterWrite, staleIfError);
    }
  }

  private static void check(String prefix, CacheProperties c) {
    // Each value is tried on a builder of its own: the core's rule and message, our property name.
    check(prefix + "max-size", c.maxSize(), b -> b.maxSize(c.maxSize()));
    check(prefix + "default-ttl", c.defaultTtl(), b -> b.defaultTtl(c.defaultTtl()));
    check(prefix + "batch-window", c.batchWindow(), b -> b.batchWindow(c.batchWindow()));
    check(prefix + "max-batch-size", c.maxBatchSize(), b -> b.maxBatchSize(c.maxBatchSize()));
    check(prefix + "load-timeout", c.loadTimeout(), b -> b.loadTimeout(c.loadTimeout()));
    check(prefix + "refresh-after-write", c.refreshAfterWrite(),
        b -> b.refreshAfterWrite(c.refreshAfterWrite()));
    check(prefix + "stale-if-error", c.staleIfError(), b -> b.staleIfError(c.staleIfError()));
  }

  private static void check(String property, @Nullable Object value, Consumer<AsyncCacheBuilder> option) {
    if (value == null) {
      return;
    }
    try {
      option.accept(AsyncCache.builder());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          property + "=" + value + " is invalid: " + e.getMessage(), e);
    }
  }
}
