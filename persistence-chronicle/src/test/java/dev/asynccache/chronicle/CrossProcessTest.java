package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistedEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot saved by one JVM and loaded by another. */
class CrossProcessTest {
  @TempDir Path dir;

  @Test
  void snapshotSavedInAChildJvm_loadsHereWithValuesOrderAndRemainingTtl() throws Exception {
    Path file = dir.resolve("cache.snap");
    int n = 2_000;
    long before;
    long after;
    try (ChildJvm child = ChildJvm.start(dir, "save-cache", file.toString(), String.valueOf(n))) {
      assertEquals("saved " + n, child.await("saved"));
      String[] window = child.await("window").split(" ");
      before = Long.parseLong(window[1]);
      after = Long.parseLong(window[2]);
      child.awaitSuccess();
    }

    // The raw entries: the expiry each one had in the child, as wall-clock time.
    List<PersistedEntry<String, String>> raw = new ArrayList<>();
    try (var backend = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      assertEquals(n, backend.load(raw::add));
    }
    assertEquals("k0", raw.get(0).key(), "the most recently used entry comes first");
    assertEquals("k" + (n - 1), raw.get(1).key());
    for (PersistedEntry<String, String> e : raw) {
      int i = Integer.parseInt(e.key().substring(1));
      assertEquals("v" + i, e.value());
      if (i % 2 == 0) {
        long hour = Duration.ofHours(1).toMillis();
        assertTrue(
            e.expiresAtEpochMillis() >= before + hour && e.expiresAtEpochMillis() <= after + hour,
            "expiry of " + e.key() + " is the child's now + 1 h: " + e.expiresAtEpochMillis());
      } else {
        assertEquals(PersistedEntry.NEVER, e.expiresAtEpochMillis());
      }
    }

    // Through a cache: a smaller maxSize keeps the most recently used entries.
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .maxSize(10)
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string()))
            .build()) {
      assertEquals(10, cache.loadFromBackend());
      assertEquals("v0", cache.getIfPresent("k0"));
      for (int i = n - 9; i < n; i++) {
        assertEquals("v" + i, cache.getIfPresent("k" + i));
      }
      assertEquals(null, cache.getIfPresent("k1"));
    }
  }
}
