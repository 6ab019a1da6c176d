package dev.asynccache.chronicle;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * When the changes a write-through backend makes to its memory-mapped file are forced to disk
 * ({@code msync}), like Redis's {@code appendfsync}. A change that returned is in the OS page
 * cache at once, so it survives the death of the process (even {@code kill -9}) at every level;
 * the level decides what survives an OS crash or a power loss:
 *
 * <ul>
 *   <li>{@link #everyWrite()} ({@code appendfsync always}): each {@code put}, {@code remove} and
 *       {@code removeAll} returns only once the file is on disk, so every change that returned
 *       survives a power loss. The slowest: one disk flush per change, inside the cache's lock.
 *   <li>{@link #every(Duration)} ({@code appendfsync everysec} with {@code every(ofSeconds(1))}):
 *       a background thread forces the file to disk at that interval when it has changed; a power
 *       loss loses at most the changes of the last interval (plus the flush under way).
 *   <li>{@link #onSave()} ({@code appendfsync no}, the default): the file is forced to disk by
 *       {@code saveToBackend()} and {@code close()} only, otherwise when the OS writes it back; a
 *       power loss can lose every change since the last save.
 * </ul>
 *
 * <p>Instances are immutable.
 */
public final class Durability {
  enum Level {
    EVERY_WRITE,
    INTERVAL,
    ON_SAVE
  }

  private static final Durability EVERY_WRITE = new Durability(Level.EVERY_WRITE, Duration.ZERO);
  private static final Durability ON_SAVE = new Durability(Level.ON_SAVE, Duration.ZERO);

  private final Level level;
  private final Duration interval;

  private Durability(Level level, Duration interval) {
    this.level = level;
    this.interval = interval;
  }

  /**
   * Forces the file to disk before each change returns.
   *
   * @return the level
   */
  public static Durability everyWrite() {
    return EVERY_WRITE;
  }

  /**
   * Forces the file to disk every {@code interval}, from a background thread, when it changed.
   *
   * @param interval positive, at least one millisecond
   * @return the level
   * @throws NullPointerException if {@code interval} is null
   * @throws IllegalArgumentException if {@code interval} is shorter than one millisecond
   */
  public static Durability every(Duration interval) {
    Objects.requireNonNull(interval, "interval must not be null");
    if (interval.compareTo(Duration.ofMillis(1)) < 0) {
      throw new IllegalArgumentException("interval must be at least 1 ms: " + interval);
    }
    return new Durability(Level.INTERVAL, interval);
  }

  /**
   * Forces the file to disk on {@code saveToBackend()} and {@code close()} only (the default).
   *
   * @return the level
   */
  public static Durability onSave() {
    return ON_SAVE;
  }

  Level level() {
    return level;
  }

  Duration interval() {
    return interval;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Durability d && d.level == level && d.interval.equals(interval);
  }

  @Override
  public int hashCode() {
    return level.hashCode() * 31 + interval.hashCode();
  }

  @Override
  public String toString() {
    return switch (level) {
      case EVERY_WRITE -> "Durability.everyWrite()";
      case INTERVAL -> "Durability.every(" + interval + ")";
      case ON_SAVE -> "Durability.onSave()";
    };
  }
}
