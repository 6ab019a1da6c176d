package dev.asynccache.perf;

/** Whose cache a contender is: the columns of every table in {@code RESULTS.md}. */
public enum Family {
  /** async-cache, the cache under test. */
  OURS("async-cache"),
  /** Caffeine, the peer. */
  CAFFEINE("Caffeine"),
  /** A bare {@link java.util.concurrent.ConcurrentHashMap}: no bound, no expiry; the floor. */
  CHM("ConcurrentHashMap");

  private final String title;

  Family(String title) {
    this.title = title;
  }

  /** The column title. */
  public String title() {
    return title;
  }
}
