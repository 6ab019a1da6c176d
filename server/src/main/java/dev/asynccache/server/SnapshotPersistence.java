package dev.asynccache.server;

import dev.asynccache.AsyncCache;
import dev.asynccache.AsyncCacheBuilder;
import dev.asynccache.chronicle.ChronicleBackends;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistenceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The server's Chronicle snapshot: restored before the listener starts, saved periodically (if
 * asked) and once more after the requests in flight have drained.
 *
 * <p>Only this class touches the Chronicle module, so a server without a persistence path never
 * loads Chronicle's classes (nor needs its JVM flags).
 *
 * <p>The periodic saves are scheduled here, after the restore, rather than with the core builder's
 * {@code saveInterval}: that one starts counting when the cache is built, so with a short interval
 * and a large snapshot its first save could run before {@code loadFromBackend()} has finished and
 * replace a good snapshot with a nearly empty one. The saves run with a fixed delay (never two at
 * once, never piling up behind a slow disk). Thread-safe.
 */
final class SnapshotPersistence {
  private static final System.Logger LOG = System.getLogger(CacheServer.class.getName());

  private final Path file;
  private final Optional<Duration> interval;
  private @Nullable ScheduledExecutorService saver;

  private SnapshotPersistence(Path file, Optional<Duration> interval) {
    this.file = file;
    this.interval = interval;
  }

  /**
   * Gives {@code builder} a snapshot backend on the configured file, or does nothing without one.
   *
   * @return the persistence to restore and save, empty when the settings have no path
   * @throws PersistenceException if another process (or server) owns the file
   */
  static Optional<SnapshotPersistence> attach(ServerConfig config, AsyncCacheBuilder builder) {
    if (config.persistencePath().isEmpty()) {
      return Optional.empty();
    }
    Path file = config.persistencePath().get().toAbsolutePath();
    builder.persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.bytes()));
    return Optional.of(new SnapshotPersistence(file, config.saveInterval()));
  }

  Path file() {
    return file;
  }

  /**
   * Restores the snapshot into {@code cache}: 0 entries when there is none yet (a first start).
   *
   * <p>On a first start an empty snapshot is saved at once. That proves the path writable before
   * any data is accepted (not at the stop, when the data would be lost), and it loads Chronicle's
   * classes now: some register JVM shutdown hooks when they first load, which fails once the JVM
   * is shutting down, so a first use during a SIGTERM stop would lose the snapshot.
   *
   * @throws PersistenceException if the file exists but cannot be restored (its message says
   *     what to do; the file is left untouched), or if a first snapshot cannot be written there
   */
  long restore(AsyncCache<String, byte[]> cache) {
    long start = System.nanoTime();
    long restored;
    if (!Files.exists(file)) {
      try {
        cache.saveToBackend();
      } catch (PersistenceException e) {
        throw new PersistenceException(
            "cannot write a snapshot to " + file + ": " + e.getMessage() + ". Check that its directory exists"
                + " and is writable, or start without --persistence-path",
            e);
      }
      LOG.log(System.Logger.Level.INFO, "no snapshot at {0} yet: started empty, wrote an empty one in {1} ms",
          file, (System.nanoTime() - start) / 1_000_000);
      return 0;
    }
    try {
      restored = cache.loadFromBackend();
    } catch (PersistenceException e) {
      throw new PersistenceException(
          "cannot restore the snapshot " + file + ": " + e.getMessage() + ". The file is left as it is;"
              + " to start with an empty cache, move it aside (mv '" + file + "' '" + file + ".bad')"
              + " or start without --persistence-path",
          e);
    }
    LOG.log(System.Logger.Level.INFO, "restored {0} entries from {1} in {2} ms",
        restored, file, (System.nanoTime() - start) / 1_000_000);
    return restored;
  }

  /** Starts the periodic saves, if an interval was given. */
  synchronized void startPeriodicSaves(AsyncCache<String, byte[]> cache) {
    if (interval.isEmpty() || saver != null) {
      return;
    }
    saver = Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, "async-cache-server-snapshot");
          t.setDaemon(true);
          return t;
        });
    long nanos = interval.get().toNanos();
    saver.scheduleWithFixedDelay(() -> save(cache, "periodic"), nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Stops the periodic saves, waits for one in progress, then saves the final snapshot.
   *
   * @return a one-line report of the save (printed by {@code main}; JUL may be shut down by then)
   */
  String stopAndSave(AsyncCache<String, byte[]> cache) {
    ScheduledExecutorService s;
    synchronized (this) {
      s = saver;
      saver = null;
    }
    if (s != null) {
      s.shutdown(); // cancels the next periodic save; one in progress finishes (no interrupt mid-write)
      try {
        s.awaitTermination(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return save(cache, "final");
  }

  private String save(AsyncCache<String, byte[]> cache, String kind) {
    long start = System.nanoTime();
    try {
      long n = cache.saveToBackend();
      String report = String.format("%s snapshot: saved %d entries to %s in %d ms",
          kind, n, file, (System.nanoTime() - start) / 1_000_000);
      LOG.log(System.Logger.Level.INFO, report);
      return report;
    } catch (RuntimeException | LinkageError e) {
      // PersistenceException; the cache closed under a periodic save; a Chronicle class that
      // failed to load: reported, and the stop goes on closing the cache
      String report = kind + " snapshot: could not save to " + file + " (the previous snapshot is kept): " + e;
      LOG.log(System.Logger.Level.ERROR, report, e);
      return report;
    }
  }
}
