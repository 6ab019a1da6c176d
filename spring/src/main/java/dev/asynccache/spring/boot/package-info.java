/**
 * Spring Boot auto-configuration of {@link dev.asynccache.spring.AsyncCacheManager} from the
 * {@code async-cache.*} properties ({@link dev.asynccache.spring.boot.AsyncCacheProperties}).
 *
 * <p>Everything in this package is non-null unless marked {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.asynccache.spring.boot;

import org.jspecify.annotations.NullMarked;
