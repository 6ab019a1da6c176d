/**
 * Spring's cache abstraction over {@link dev.asynccache.AsyncCache}: {@link
 * dev.asynccache.spring.AsyncCacheManager} creates {@link dev.asynccache.spring.AsyncCacheSpringCache}s
 * by name through an {@link dev.asynccache.spring.AsyncCacheFactory}.
 *
 * <p>Everything in this package is non-null unless marked {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.asynccache.spring;

import org.jspecify.annotations.NullMarked;
