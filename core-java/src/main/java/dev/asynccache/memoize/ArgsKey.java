package dev.asynccache.memoize;

import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/** The cache key of a memoized call: its arguments after the skipped ones, compared deeply. */
final class ArgsKey {
  private final @Nullable Object[] args;
  private final int hash;

  private ArgsKey(@Nullable Object[] args) {
    this.args = args;
    this.hash = Arrays.deepHashCode(args);
  }

  static ArgsKey of(@Nullable Object[] all, int skip) {
    return new ArgsKey(Arrays.copyOfRange(all, Math.min(skip, all.length), all.length));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ArgsKey k && k.hash == hash && Arrays.deepEquals(k.args, args);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return Arrays.deepToString(args);
  }
}
