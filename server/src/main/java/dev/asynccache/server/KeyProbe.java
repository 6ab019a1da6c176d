package dev.asynccache.server;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A key looked up where it lies in a connection's input buffer, without building its
 * {@code String}: a {@code GET} or {@code HEAD} hit then allocates nothing for its key. Building
 * that string (and its bytes) was two thirds of what a {@code GET} allocated, and the young
 * collections it drove (a stop of about 10 ms each, which a busy server makes several times a
 * second) were most of the tail latency side by side with Redis (perf/RESULTS.md, session 25).
 *
 * <p>A probe stands for the key {@code new String(b, start, end - start, ISO_8859_1)} of its last
 * {@link #point}: its {@link #hashCode} is that string's, and it {@link #equals} a {@code String}
 * with the same characters. It is meant for one use only: the argument of a
 * {@link Map#get(Object)} of a map keyed by {@code String}, which by its contract compares
 * {@code probe.equals(storedKey)} (probe as the receiver). Its equality is therefore one-sided (a
 * {@code String} never equals a probe) and it must never be stored: the cache's keys are typed
 * {@code String}, so no put can take one. Not thread-safe: each connection has its own, and the
 * bytes it points at must not change while it is used.
 *
 * <p>It is a {@link CharSequence} (the key's characters, one per byte) so that {@link #equals}
 * can be {@link String#contentEquals(CharSequence)}, which walks the string's own bytes: several
 * times faster than a loop of {@link String#charAt} here, and faster than building the string
 * and comparing it (perf/RESULTS.md, session 25).
 */
final class KeyProbe implements CharSequence {
  /**
   * How many stored keys with the probe's hash code one lookup may compare it with before it gives
   * up ({@link Crowded}). A map's bucket holds at most 8 such keys before it becomes a tree, which
   * {@code ConcurrentHashMap} searches in order of {@code String.compareTo}, an order a probe cannot
   * take part in: without the bound, keys made to share a hash code (a hash-flooding client) would
   * make every read of one of them compare it with all of them.
   */
  static final int MAX_COMPARISONS = 16;

  /** A lookup met more than {@link #MAX_COMPARISONS} keys with its hash code: look up the string. */
  static final class Crowded extends RuntimeException {
    private Crowded() {
      super("more than " + MAX_COMPARISONS + " keys share this key's hash code", null, false, false);
    }
  }

  private static final Crowded CROWDED = new Crowded();

  private byte[] bytes = new byte[0];
  private int start;
  private int length;
  private int hash;
  private int comparisons;

  /**
   * Points this probe at {@code b[start, end)}, which must hold ASCII only (the connection's
   * parser admits nothing else in a request target), and returns it.
   */
  KeyProbe point(byte[] b, int start, int end) {
    // String.hashCode's polynomial, four bytes a step: the four products do not wait for each other.
    int h = 0;
    int i = start;
    for (; i + 3 < end; i += 4) {
      h = 923_521 * h + 29_791 * (b[i] & 0xff) + 961 * (b[i + 1] & 0xff) + 31 * (b[i + 2] & 0xff) + (b[i + 3] & 0xff);
    }
    for (; i < end; i++) {
      h = 31 * h + (b[i] & 0xff);
    }
    this.bytes = b;
    this.start = start;
    this.length = end - start;
    this.hash = h;
    this.comparisons = 0;
    return this;
  }

  /** The hash code of the key's {@code String} ({@link String#hashCode}'s formula). */
  @Override
  public int hashCode() {
    return hash;
  }

  /**
   * Whether {@code o} is the key's {@code String}: a {@code String} with the same characters.
   *
   * @throws Crowded on the call after {@link #MAX_COMPARISONS} since the last {@link #point}
   *     ({@code Map.get} changes nothing, so it may be abandoned this way)
   */
  @Override
  public boolean equals(Object o) {
    if (++comparisons > MAX_COMPARISONS) {
      throw CROWDED;
    }
    return o instanceof String s && s.contentEquals(this);
  }

  /** How many keys the probe was compared with since the last {@link #point} (for tests). */
  int comparisons() {
    return comparisons;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public char charAt(int index) {
    return (char) (bytes[start + index] & 0xff);
  }

  @Override
  public CharSequence subSequence(int from, int to) {
    return toString().substring(from, to);
  }

  /** The key's {@code String} (built on each call: for messages and the rare slow path). */
  @Override
  public String toString() {
    return new String(bytes, start, length, StandardCharsets.ISO_8859_1);
  }
}
