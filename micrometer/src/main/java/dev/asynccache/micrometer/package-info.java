/**
 * Micrometer meters of an {@link dev.asynccache.AsyncCache}: {@link
 * dev.asynccache.micrometer.AsyncCacheMetrics}, and for Spring Boot {@link
 * dev.asynccache.micrometer.AsyncCacheMeterBinderProvider}.
 *
 * <p>Everything in this package is non-null unless marked {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.asynccache.micrometer;

import org.jspecify.annotations.NullMarked;
