package dev.asynccache.memoize;

import dev.asynccache.AsyncCache;
import dev.asynccache.AsyncCacheBuilder;
import dev.asynccache.CacheMetrics;
import dev.asynccache.TimeSource;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;

/**
 * Memoizes functions: calls with equal arguments share one cached, single-flight result. The
 * counterpart of the seed's {@code AsyncLRU} / {@code AsyncTTL} decorators.
 *
 * <p>Two flavours: {@link #lru()} keeps the {@code maxSize} (default 128) most recently used
 * results; {@link #ttl()} also expires each result after {@code timeToLive} (default 60 s).
 * {@link #skipLeadingArgs(int)} leaves leading arguments (a context, a receiver) out of the key.
 * A force refresh bypasses the cache and then updates it: {@link MemoizedFunction#refresh} for
 * wrapped functions, {@link #refreshing(Callable)} for proxies.
 *
 * <pre>{@code
 * MemoizedFunction<Long, User> findUser = Memoizer.ttl().timeToLive(Duration.ofMinutes(5))
 *     .function(id -> userRepository.find(id));
 * User u = findUser.apply(42L);          // loads, then cached for 5 minutes
 * User fresh = findUser.refresh(42L);    // reloads and updates the cache
 * }</pre>
 *
 * <p>For interfaces, annotate methods with {@link LruCached} or {@link TtlCached} and wrap an
 * implementation with {@link #proxy(Class, Object)}.
 *
 * <p>Instances are immutable: each option returns a new {@code Memoizer}. Arguments are compared
 * with {@code equals} (arrays by content); {@code null} arguments are allowed; {@code null} results
 * and failures are never cached.
 */
public final class Memoizer {
  /** The default size bound of both flavours. */
  public static final long DEFAULT_MAX_SIZE = 128;

  /** The default time to live of the TTL flavour. */
  public static final Duration DEFAULT_TIME_TO_LIVE = Duration.ofSeconds(60);

  private static final ThreadLocal<Boolean> REFRESH = new ThreadLocal<>();

  private final long maxSize;
  private final @Nullable Duration timeToLive;
  private final int skip;
  private final @Nullable TimeSource timeSource;

  private Memoizer(long maxSize, @Nullable Duration timeToLive, int skip, @Nullable TimeSource timeSource) {
    this.maxSize = maxSize;
    this.timeToLive = timeToLive;
    this.skip = skip;
    this.timeSource = timeSource;
  }

  /**
   * Returns the LRU flavour: at most 128 results, no expiry.
   *
   * @return an LRU memoizer
   */
  public static Memoizer lru() {
    return new Memoizer(DEFAULT_MAX_SIZE, null, 0, null);
  }

  /**
   * Returns the TTL flavour: results live 60 s, at most 128 of them.
   *
   * @return a TTL memoizer
   */
  public static Memoizer ttl() {
    return new Memoizer(DEFAULT_MAX_SIZE, DEFAULT_TIME_TO_LIVE, 0, null);
  }

  /**
   * Returns a copy that keeps at most {@code maxSize} results.
   *
   * @param maxSize at least 1
   * @return the new memoizer
   * @throws IllegalArgumentException if {@code maxSize < 1}
   */
  public Memoizer maxSize(long maxSize) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize must be at least 1, was " + maxSize);
    }
    return new Memoizer(maxSize, timeToLive, skip, timeSource);
  }

  /**
   * Returns a copy whose results expire after {@code timeToLive}.
   *
   * @param timeToLive positive
   * @return the new memoizer
   * @throws IllegalArgumentException if {@code timeToLive} is zero or negative
   */
  public Memoizer timeToLive(Duration timeToLive) {
    Objects.requireNonNull(timeToLive, "timeToLive must not be null");
    if (timeToLive.isNegative() || timeToLive.isZero()) {
      throw new IllegalArgumentException("timeToLive must be positive, was " + timeToLive);
    }
    return new Memoizer(maxSize, timeToLive, skip, timeSource);
  }

  /**
   * Returns a copy that leaves the first {@code count} arguments out of the cache key.
   *
   * @param count zero or more, at most the function's arity
   * @return the new memoizer
   * @throws IllegalArgumentException if {@code count} is negative
   */
  public Memoizer skipLeadingArgs(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("skipLeadingArgs must not be negative, was " + count);
    }
    return new Memoizer(maxSize, timeToLive, count, timeSource);
  }

  /**
   * Returns a copy that reads expiry time from {@code timeSource} (for tests).
   *
   * @param timeSource the clock
   * @return the new memoizer
   */
  public Memoizer timeSource(TimeSource timeSource) {
    return new Memoizer(maxSize, timeToLive, skip, Objects.requireNonNull(timeSource, "timeSource must not be null"));
  }

  /**
   * Memoizes a one-argument function.
   *
   * @param fn the function
   * @param <A> the argument type
   * @param <R> the result type
   * @return the memoized function
   * @throws IllegalArgumentException if more than one leading argument is to be skipped
   */
  public <A extends @Nullable Object, R extends @Nullable Object> MemoizedFunction<A, R> function(
      ThrowingFunction<? super A, ? extends R> fn) {
    Objects.requireNonNull(fn, "function must not be null");
    MemoizedCall<R> call = newCall(1);
    return new MemoizedFunction<>() {
      @Override
      public R apply(A a) {
        return call.get(new Object[] {a}, () -> fn.apply(a));
      }

      @Override
      public R refresh(A a) {
        return call.refresh(new Object[] {a}, () -> fn.apply(a));
      }

      @Override
      public void invalidate(A a) {
        call.invalidate(new Object[] {a});
      }

      @Override
      public void invalidateAll() {
        call.invalidateAll();
      }

      @Override
      public CacheMetrics metrics() {
        return call.metrics();
      }
    };
  }

  /**
   * Memoizes a two-argument function.
   *
   * @param fn the function
   * @param <A> the first argument type
   * @param <B> the second argument type
   * @param <R> the result type
   * @return the memoized function
   * @throws IllegalArgumentException if more than two leading arguments are to be skipped
   */
  public <A extends @Nullable Object, B extends @Nullable Object, R extends @Nullable Object>
      MemoizedBiFunction<A, B, R> biFunction(ThrowingBiFunction<? super A, ? super B, ? extends R> fn) {
    Objects.requireNonNull(fn, "function must not be null");
    MemoizedCall<R> call = newCall(2);
    return new MemoizedBiFunction<>() {
      @Override
      public R apply(A a, B b) {
        return call.get(new Object[] {a, b}, () -> fn.apply(a, b));
      }

      @Override
      public R refresh(A a, B b) {
        return call.refresh(new Object[] {a, b}, () -> fn.apply(a, b));
      }

      @Override
      public void invalidate(A a, B b) {
        call.invalidate(new Object[] {a, b});
      }

      @Override
      public void invalidateAll() {
        call.invalidateAll();
      }

      @Override
      public CacheMetrics metrics() {
        return call.metrics();
      }
    };
  }

  /**
   * Wraps {@code target} so that its methods annotated with {@link LruCached} or {@link TtlCached}
   * are memoized, each method with a cache of its own; other methods are passed through.
   *
   * @param type the interface
   * @param target the implementation
   * @param <T> the interface type
   * @return a proxy implementing {@code type}
   * @throws IllegalArgumentException if {@code type} is not an interface, or an annotation has a
   *     bad value (a non-positive size or TTL, more skipped arguments than parameters)
   */
  public static <T> T proxy(Class<T> type, T target) {
    Objects.requireNonNull(type, "type must not be null");
    Objects.requireNonNull(target, "target must not be null");
    if (!type.isInterface()) {
      throw new IllegalArgumentException(type.getName() + " is not an interface");
    }
    Map<Method, MemoizedCall<Object>> calls = new HashMap<>();
    for (Method m : type.getMethods()) {
      LruCached lru = m.getAnnotation(LruCached.class);
      TtlCached ttl = m.getAnnotation(TtlCached.class);
      if (lru != null && ttl != null) {
        throw new IllegalArgumentException(m + " has both @LruCached and @TtlCached");
      }
      try {
        if (lru != null) {
          calls.put(m, lru().maxSize(lru.maxSize()).skipLeadingArgs(lru.skipArgs()).newCall(m.getParameterCount()));
        } else if (ttl != null) {
          calls.put(m, ttl().maxSize(ttl.maxSize()).timeToLive(Duration.ofSeconds(ttl.seconds()))
              .skipLeadingArgs(ttl.skipArgs()).newCall(m.getParameterCount()));
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bad memoization annotation on " + m + ": " + e.getMessage(), e);
      }
    }
    Object proxy = Proxy.newProxyInstance(
        type.getClassLoader(), new Class<?>[] {type}, new MemoizingHandler(type, target, calls));
    return type.cast(proxy);
  }

  /**
   * Runs {@code call} so that the memoized proxy methods it calls directly bypass their caches and
   * update them with fresh results (the seed's {@code use_cache=False}). Calls nested inside a
   * refreshed method use the caches as usual.
   *
   * @param call the call to make, e.g. {@code () -> service.find(42)}
   * @param <R> the result type
   * @return what {@code call} returns
   * @throws Exception what {@code call} throws
   */
  public static <R extends @Nullable Object> R refreshing(Callable<R> call) throws Exception {
    Boolean previous = REFRESH.get();
    REFRESH.set(Boolean.TRUE);
    try {
      return call.call();
    } finally {
      restore(previous);
    }
  }

  static boolean refreshRequested() {
    return Boolean.TRUE.equals(REFRESH.get());
  }

  static <R> R withoutRefresh(java.util.function.Supplier<R> body) {
    Boolean previous = REFRESH.get();
    REFRESH.remove();
    try {
      return body.get();
    } finally {
      restore(previous);
    }
  }

  private static void restore(@Nullable Boolean previous) {
    if (previous == null) {
      REFRESH.remove();
    } else {
      REFRESH.set(previous);
    }
  }

  private <R> MemoizedCall<R> newCall(int arity) {
    if (skip > arity) {
      throw new IllegalArgumentException(
          "skipLeadingArgs(" + skip + ") is more than the " + arity + " argument(s) of the function");
    }
    // The seed's AsyncLRU contract: the most recently used results stay (exact LRU).
    AsyncCacheBuilder builder =
        AsyncCache.builder().maxSize(maxSize).evictionPolicy(dev.asynccache.EvictionPolicy.LRU);
    if (timeToLive != null) {
      builder.defaultTtl(timeToLive);
    }
    if (timeSource != null) {
      builder.timeSource(timeSource);
    }
    return new MemoizedCall<>(builder.build(), skip);
  }

  @Override
  public String toString() {
    return "Memoizer{maxSize=" + maxSize + (timeToLive == null ? "" : ", timeToLive=" + timeToLive)
        + (skip == 0 ? "" : ", skipLeadingArgs=" + skip) + "}";
  }
}
