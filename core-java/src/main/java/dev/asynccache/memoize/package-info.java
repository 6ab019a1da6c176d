/**
 * Memoization: wrap a function, or the annotated methods of an interface, so that calls with equal
 * arguments share one cached, single-flight result. Start at {@link dev.asynccache.memoize.Memoizer}.
 */
@NullMarked
package dev.asynccache.memoize;

import org.jspecify.annotations.NullMarked;
