package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceBackend;
import dev.asynccache.persistence.PersistenceException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteThroughBackendTest {
  @TempDir Path dir;

  private PersistenceBackend<String, String> open(Path file, long maxEntries) {
    return ChronicleBackends.writeThrough(file, Codecs.string(), Codecs.string())
        .maxEntries(maxEntries)
        .averageKeyBytes(8)
        .averageValueBytes(16)
        .open();
  }

  private AsyncCache<String, String> cache(Path file, long maxSize) {
    // Exact LRU: the test checks which entries the file keeps, in recency order.
    return AsyncCache.builder()
        .maxSize(maxSize)
        .evictionPolicy(dev.asynccache.EvictionPolicy.LRU)
        .persistence(open(file, maxSize))
        .build();
  }

  @Test
  void changesReachTheFile_andARestartedCacheFindsThemWithoutItsLoader() {
    Path file = dir.resolve("wt.map");
    try (AsyncCache<String, String> cache = cache(file, 100)) {
      cache.set("a", "1");
      cache.set("b", "2");
      cache.set("c", "3");
      cache.delete("b");
    }
    AtomicInteger loaderCalls = new AtomicInteger();
    try (AsyncCache<String, String> cache = cache(file, 100)) {
      assertEquals("1", cache.get("a", () -> "loaded-" + loaderCalls.incrementAndGet()));
      assertEquals("3", cache.get("c", () -> "loaded-" + loaderCalls.incrementAndGet()));
      assertEquals(0, loaderCalls.get(), "served from the file");
      assertEquals("loaded-1", cache.get("b", () -> "loaded-" + loaderCalls.incrementAndGet()));
      cache.clear();
    }
    try (var b = open(file, 100)) {
      assertEquals(0, b.load(e -> {}), "clear reached the file");
    }
  }

  @Test
  void evictionsRemoveFromTheFile_andLoadGivesMostRecentlyWrittenFirst() {
    Path file = dir.resolve("evict.map");
    try (AsyncCache<String, String> cache = cache(file, 3)) {
      for (int i = 0; i < 10; i++) {
        cache.set("k" + i, "v" + i);
      }
    }
    try (var b = open(file, 3)) {
      List<String> keys = new ArrayList<>();
      assertEquals(3, b.load(e -> keys.add(e.key())));
      assertEquals(List.of("k9", "k8", "k7"), keys);
    }
  }

  @Test
  void openTrimsToMaxEntriesAndDropsExpired() {
    Path file = dir.resolve("trim.map");
    long now = System.currentTimeMillis();
    try (var b = open(file, 10)) {
      for (int i = 0; i < 20; i++) {
        b.put(new PersistedEntry<>("k" + i, "v" + i, PersistedEntry.NEVER));
      }
      b.put(new PersistedEntry<>("k19", "v19", now - 1)); // rewritten, already expired
    }
    try (var b = open(file, 10)) {
      List<String> keys = new ArrayList<>();
      assertEquals(10, b.load(e -> keys.add(e.key())));
      assertEquals("k18", keys.get(0));
      assertEquals("k9", keys.get(9));
      assertNull(b.get("k19"));
    }
  }

  @Test
  void aValueTooLargeForTheFile_isAClearErrorAndChangesNothing() {
    Path file = dir.resolve("small.map");
    try (AsyncCache<String, String> cache = cache(file, 100)) {
      cache.set("k", "small");
      String huge = "x".repeat(50_000_000);
      PersistenceException e = assertThrows(PersistenceException.class, () -> cache.set("k", huge));
      assertTrue(e.getMessage().contains("cannot hold key k"), e.getMessage());
      assertTrue(e.getMessage().contains("averageValueBytes"), e.getMessage());
      assertEquals("small", cache.getIfPresent("k"), "memory unchanged");
    }
    try (var b = open(file, 100)) {
      PersistedEntry<String, String> e = b.get("k");
      assertNotNull(e);
      assertEquals("small", e.value(), "file unchanged");
    }
  }

  @Test
  void valuesFarAboveTheAverage_fitUntilTheFileIsFull_thenAClearError() {
    Path file = dir.resolve("skew.map");
    try (var b = open(file, 1_000)) {
      int stored = 0;
      PersistenceException failure = null;
      for (int i = 0; i < 2_000 && failure == null; i++) {
        try {
          b.put(new PersistedEntry<>("k" + i, "v".repeat(400), PersistedEntry.NEVER));
          stored++;
        } catch (PersistenceException e) {
          failure = e;
        }
      }
      assertTrue(stored >= 100, "stored " + stored);
      if (failure != null) {
        assertTrue(failure.getMessage().contains("is full"), failure.getMessage());
        assertTrue(failure.getMessage().contains(file.toString()), failure.getMessage());
      }
    }
  }
}
