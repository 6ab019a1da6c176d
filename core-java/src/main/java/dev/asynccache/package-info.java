/**
 * The async-cache API: {@link dev.asynccache.AsyncCache} and what it is built from.
 *
 * <p>Everything in this package is non-null unless marked {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.asynccache;

import org.jspecify.annotations.NullMarked;
