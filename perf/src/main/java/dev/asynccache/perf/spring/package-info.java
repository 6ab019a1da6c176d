/**
 * The cost of a {@code @Cacheable} hit through Spring's cache abstraction: async-cache's {@code
 * AsyncCacheManager} against Spring's {@code CaffeineCacheManager}, in one JMH run.
 */
@NullMarked
package dev.asynccache.perf.spring;

import org.jspecify.annotations.NullMarked;
