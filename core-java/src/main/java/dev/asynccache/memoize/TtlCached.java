package dev.asynccache.memoize;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Caches the results of an interface method per its arguments for a time to live, when the
 * interface is wrapped by {@link Memoizer#proxy(Class, Object)}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface TtlCached {
  /**
   * How long a result lives, in seconds.
   *
   * @return the time to live, positive
   */
  long seconds() default 60;

  /**
   * The most results kept.
   *
   * @return the size bound, at least 1
   */
  long maxSize() default Memoizer.DEFAULT_MAX_SIZE;

  /**
   * How many leading arguments are left out of the cache key.
   *
   * @return the number of arguments skipped
   */
  int skipArgs() default 0;
}
