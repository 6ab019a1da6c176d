package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.asynccache.AsyncCache;
import dev.asynccache.Ttl;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistedEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotBackendTest {
  @TempDir Path dir;

  @Test
  void roundTrip_keepsOrderAndExpiry_andCacheSkipsExpiredEntries() {
    Path file = dir.resolve("c.snap");
    long now = System.currentTimeMillis();
    List<PersistedEntry<String, Long>> saved =
        List.of(
            new PersistedEntry<>("newest", 1L, now + 3_600_000),
            new PersistedEntry<>("expired", 2L, now - 1),
            new PersistedEntry<>("forever", 3L, PersistedEntry.NEVER),
            new PersistedEntry<>("oldest", 4L, now + 60_000));
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.longs())) {
      assertEquals(4, b.save(saved));
      List<PersistedEntry<String, Long>> loaded = new ArrayList<>();
      assertEquals(4, b.load(loaded::add));
      assertEquals(saved, loaded, "same entries, same order, same expiry");
    }
    try (AsyncCache<String, Long> cache =
        AsyncCache.builder()
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.longs()))
            .build()) {
      assertEquals(3, cache.loadFromBackend());
      assertNull(cache.getIfPresent("expired"));
      assertEquals(3L, cache.getIfPresent("forever"));
    }
  }

  @Test
  void emptySnapshot() {
    try (var b = ChronicleBackends.snapshot(dir.resolve("e.snap"), Codecs.string(), Codecs.string())) {
      assertEquals(0, b.save(List.of()));
      assertEquals(0, b.load(e -> {}));
    }
  }

  /** Sizes far from the average (a few 1 MB values among tiny ones) never reach the caller. */
  @Test
  void skewedSizes_areSavedWithoutOverflow() {
    Path file = dir.resolve("skew.snap");
    Random r = new Random(42);
    Map<String, byte[]> values = new HashMap<>();
    List<PersistedEntry<String, byte[]>> entries = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      byte[] v = new byte[i % 1_000 == 0 ? 1 << 20 : r.nextInt(1, 20)];
      r.nextBytes(v);
      values.put("k" + i, v);
      entries.add(new PersistedEntry<>("k" + i, v, PersistedEntry.NEVER));
    }
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.bytes())) {
      assertEquals(3_000, b.save(entries));
      Map<String, byte[]> loaded = new HashMap<>();
      assertEquals(3_000, b.load(e -> loaded.put(e.key(), e.value())));
      values.forEach((k, v) -> assertArrayEquals(v, loaded.get(k), k));
    }
    long data = values.values().stream().mapToLong(v -> v.length + 20L).sum();
    long size = assertDoesNotThrow(() -> Files.size(file));
    assertTrue(size < 8 * data, "file of " + size + " bytes for " + data + " bytes of entries");
  }

  /** A cache at its maxSize, with values of very different lengths, saves every time. */
  @Test
  void cacheAtMaxSize_savesRepeatedlyAsItsContentsChange() {
    Path file = dir.resolve("full.snap");
    Random r = new Random(7);
    try (AsyncCache<Integer, String> cache =
        AsyncCache.builder()
            .maxSize(5_000)
            .persistence(ChronicleBackends.snapshot(file, Codecs.integers(), Codecs.string()))
            .build()) {
      for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 6_000; i++) {
          cache.set(r.nextInt(50_000), "x".repeat(round == 3 ? r.nextInt(1, 3_000) : r.nextInt(1, 40)));
        }
        assertEquals(cache.size(), cache.saveToBackend());
      }
    }
    assertFalse(Files.exists(dir.resolve("full.snap.saving.tmp")), "no temporary file left behind");
    assertFalse(Files.exists(dir.resolve("full.snap.loading.tmp")));
  }

  @Test
  void saveOnClose_thenLoadInANewCache() {
    Path file = dir.resolve("close.snap");
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .saveOnShutdown(true)
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string()))
            .build()) {
      cache.set("a", "1");
      cache.set("b", "2");
    }
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string()))
            .build()) {
      assertEquals(2, cache.loadFromBackend());
      assertEquals("1", cache.getIfPresent("a"));
    }
  }

  /**
   * Entries whose remaining time to live is the same when the save starts get the same wall-clock
   * expiry, however long the save takes: the cache stamps them with one clock reading.
   */
  @Test
  void entriesWithTheSameRemainingTtl_getTheSameExpiry() {
    Path file = dir.resolve("one-clock.snap");
    int n = 200_000;
    long fixedNanos = 1_000_000_000L;
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .maxSize(n)
            .timeSource(() -> fixedNanos) // every entry is written at the same instant
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string()))
            .build()) {
      for (int i = 0; i < n; i++) {
        cache.set("k" + i, "v", Ttl.of(java.time.Duration.ofHours(1)));
      }
      assertEquals(n, cache.saveToBackend());
    }
    java.util.Set<Long> expiries = new java.util.HashSet<>();
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      assertEquals(n, b.load(e -> expiries.add(e.expiresAtEpochMillis())));
    }
    assertEquals(1, expiries.size(), "distinct expiries: " + expiries.size());
  }
}
