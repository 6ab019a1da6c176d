package dev.asynccache.perf.spring;

import dev.asynccache.perf.KeyDistribution;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A {@code @Cacheable} hit on one thread, through a real Spring context (cache interceptor, key
 * generation, the {@code Cache} adapter, the cache), with async-cache's {@code AsyncCacheManager}
 * or Spring's {@code CaffeineCacheManager} as the application's CacheManager. {@value #KEYS} keys
 * are preloaded into a cache bounded to {@value #MAX_SIZE}, then read uniformly; every read is a
 * hit (a miss throws).
 *
 * <ul>
 *   <li>{@link #cacheable}: {@code @Cacheable}, looked up with {@code Cache.get(key)}.
 *   <li>{@link #cacheableSync}: {@code @Cacheable(sync = true)}, {@code Cache.get(key, Callable)}.
 *   <li>{@link #cacheGet}: {@code Cache.get(key)} called directly: the adapter and the cache
 *       without the interceptor.
 * </ul>
 *
 * <p>{@code java -jar perf/target/benchmarks.jar SpringCacheableBenchmark -f 2 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@Threads(1)
public class SpringCacheableBenchmark {
  static final int KEYS = 1_000;
  static final long MAX_SIZE = 10_000;
  static final int DRAWS = 1 << 16;
  static final int MASK = DRAWS - 1;

  @Param public SpringManager manager;

  AnnotationConfigApplicationContext context;
  CachedItems items;
  Cache cache;
  Integer[] draws;

  /** The position of one thread in the array of draws. */
  @State(Scope.Thread)
  public static class Cursor {
    int index;
  }

  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class Config {
    static @Nullable SpringManager chosen;

    @Bean
    CacheManager cacheManager() {
      return chosen.create(MAX_SIZE);
    }

    @Bean
    CachedItems items() {
      return new CachedItems();
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    Config.chosen = manager;
    context = new AnnotationConfigApplicationContext(Config.class);
    items = context.getBean(CachedItems.class);
    cache = context.getBean(CacheManager.class).getCache("items");
    Integer[] keys = KeyDistribution.distinctKeys(KEYS);
    for (Integer key : keys) {
      cache.put(key, key); // the same key @Cacheable derives from a single argument
    }
    draws = KeyDistribution.UNIFORM.draw(keys, KEYS, DRAWS, 0x5eed);
    for (Integer key : keys) {
      if (!key.equals(items.item(key))) {
        throw new IllegalStateException(manager + " did not hit key " + key);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    context.close();
  }

  @Benchmark
  public Integer cacheable(Cursor cursor) {
    return items.item(draws[cursor.index++ & MASK]);
  }

  @Benchmark
  public Integer cacheableSync(Cursor cursor) {
    return items.itemSync(draws[cursor.index++ & MASK]);
  }

  @Benchmark
  public Cache.@Nullable ValueWrapper cacheGet(Cursor cursor) {
    return cache.get(draws[cursor.index++ & MASK]);
  }
}
