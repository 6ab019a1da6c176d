/**
 * A two-level cache for a fleet of JVMs: the core's {@link dev.asynccache.AsyncCache} as the
 * in-process tier (L1) in front of Redis (L2), shared by every JVM. Start at {@link
 * dev.asynccache.redis.RedisCache}.
 *
 * <p>Everything in this package is non-null unless marked {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.asynccache.redis;

import org.jspecify.annotations.NullMarked;
