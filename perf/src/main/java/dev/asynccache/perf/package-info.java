/**
 * JMH benchmarks of async-cache against Caffeine and {@link java.util.concurrent.ConcurrentHashMap}.
 *
 * <p>Every benchmark takes its contender as a {@code @Param} enum ({@link
 * dev.asynccache.perf.CacheType}, {@link dev.asynccache.perf.HerdContender}, {@link
 * dev.asynccache.perf.BatchContender}), so all contenders run with the same keys, sizes and thread
 * counts in one JMH invocation. See {@code perf/README.md} for how to run them.
 */
@NullMarked
package dev.asynccache.perf;

import org.jspecify.annotations.NullMarked;
