package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability levels of the write-through mode. Whether a change is on disk is read from the
 * kernel: {@code /proc/self/smaps} counts the pages of the file's mapping that are dirty (changed
 * in memory, not yet written back); forcing the file to disk cleans them. Linux only.
 */
class DurabilityTest {
  @TempDir Path dir;

  private PersistenceBackend<String, String> open(Path file, Durability durability) {
    return ChronicleBackends.writeThrough(file, Codecs.string(), Codecs.string())
        .maxEntries(1_000)
        .averageKeyBytes(8)
        .averageValueBytes(16)
        .durability(durability)
        .open();
  }

  /** Kilobytes of the mappings of {@code file} in this process that are dirty. */
  private static long dirtyKb(Path file) throws IOException {
    String name = file.toRealPath().toString();
    long kb = 0;
    boolean inFile = false;
    for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
      if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
        inFile = line.endsWith(" " + name);
      } else if (inFile && (line.startsWith("Shared_Dirty:") || line.startsWith("Private_Dirty:"))) {
        kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return kb;
  }

  private static void assumeLinux() {
    assumeTrue(Files.isReadable(Path.of("/proc/self/smaps")), "needs Linux's /proc/self/smaps");
  }

  private static PersistedEntry<String, String> entry(int i) {
    return new PersistedEntry<>("k" + i, "value-" + i, PersistedEntry.NEVER);
  }

  @Test
  void everyWrite_eachChangeIsOnDiskWhenItReturns() throws IOException {
    assumeLinux();
    Path file = dir.resolve("every-write.map");
    try (var b = open(file, Durability.everyWrite())) {
      for (int i = 0; i < 50; i++) {
        b.put(entry(i));
        assertEquals(0, dirtyKb(file), "dirty after put #" + i);
      }
      b.remove("k3");
      assertEquals(0, dirtyKb(file), "dirty after remove");
      b.removeAll();
      assertEquals(0, dirtyKb(file), "dirty after removeAll");
    }
  }

  /** The control: without a forced write the same changes stay dirty, until a save. */
  @Test
  void onSave_changesStayInMemoryUntilSave() throws IOException {
    assumeLinux();
    Path file = dir.resolve("on-save.map");
    try (var b = open(file, Durability.onSave())) {
      // The kernel may write pages back on its own at any time (other processes' writes can wake
      // its flusher), so one dirty reading right after a put is enough, out of up to 20 tries.
      boolean seenDirty = false;
      for (int i = 0; i < 20 && !seenDirty; i++) {
        b.put(entry(i));
        seenDirty = dirtyKb(file) > 0;
      }
      assertTrue(seenDirty, "the changes are only in memory");
      b.save(List.of(entry(1), entry(2)));
      assertEquals(0, dirtyKb(file), "save forced them to disk");
    }
  }

  @Test
  void interval_aBackgroundThreadForcesChangesToDisk_andStopsOnClose() throws Exception {
    assumeLinux();
    Path file = dir.resolve("interval.map");
    Thread syncer;
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .maxSize(1_000)
            .persistence(open(file, Durability.every(Duration.ofMillis(20))))
            .build()) {
      for (int i = 0; i < 50; i++) {
        cache.set("k" + i, "value-" + i);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (dirtyKb(file) > 0 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(1_000_000);
      }
      assertEquals(0, dirtyKb(file), "the periodic sync never cleaned the file's pages");
      Optional<Thread> found =
          Thread.getAllStackTraces().keySet().stream()
              .filter(t -> t.getName().equals("async-cache-sync interval.map"))
              .findFirst();
      assertTrue(found.isPresent(), "the sync thread runs while the backend is open");
      syncer = found.get();
    }
    syncer.join(Duration.ofSeconds(60));
    assertFalse(syncer.isAlive(), "the sync thread ended with close()");
  }

  @Test
  void levelsSurviveARestart() {
    for (Durability d :
        List.of(Durability.everyWrite(), Durability.every(Duration.ofSeconds(1)), Durability.onSave())) {
      Path file = dir.resolve("restart-" + d.hashCode() + ".map");
      try (var b = open(file, d)) {
        b.put(entry(1));
        b.put(entry(2));
        b.remove("k1");
      }
      try (var b = open(file, d)) {
        assertEquals(null, b.get("k1"), d.toString());
        assertEquals("value-2", b.get("k2").value(), d.toString());
      }
    }
  }

  @Test
  void builderChecksTheSetting() {
    var builder = ChronicleBackends.writeThrough(dir.resolve("x.map"), Codecs.string(), Codecs.string());
    assertThrows(NullPointerException.class, () -> builder.durability(null));
    builder.durability(Durability.everyWrite());
    assertThrows(IllegalStateException.class, () -> builder.durability(Durability.onSave()));
    assertThrows(IllegalArgumentException.class, () -> Durability.every(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> Durability.every(Duration.ofNanos(999_999)));
    assertEquals(Durability.every(Duration.ofSeconds(1)), Durability.every(Duration.ofMillis(1_000)));
  }
}
