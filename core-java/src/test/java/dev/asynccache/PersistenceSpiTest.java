package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.persistence.Codec;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceBackend;
import dev.asynccache.persistence.PersistenceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** How the cache drives a backend; the real backend (Chronicle Map) lives in its own module. */
class PersistenceSpiTest {

  /** An in-memory backend that records what the cache asked of it. */
  static class RecordingBackend implements PersistenceBackend<String, String> {
    final List<PersistedEntry<String, String>> snapshot = new ArrayList<>();
    final Map<String, PersistedEntry<String, String>> live = new ConcurrentHashMap<>();
    final boolean writeThrough;
    boolean failWrites;
    boolean closed;

    RecordingBackend(boolean writeThrough) {
      this.writeThrough = writeThrough;
    }

    @Override
    public long save(Iterable<PersistedEntry<String, String>> entries) {
      snapshot.clear();
      entries.forEach(snapshot::add);
      return snapshot.size();
    }

    @Override
    public long load(Consumer<? super PersistedEntry<String, String>> sink) {
      snapshot.forEach(sink);
      return snapshot.size();
    }

    @Override
    public boolean isWriteThrough() {
      return writeThrough;
    }

    @Override
    public void put(PersistedEntry<String, String> entry) {
      if (failWrites) {
        throw new PersistenceException("disk full: memory://test");
      }
      live.put(entry.key(), entry);
    }

    @Override
    public void remove(String key) {
      live.remove(key);
    }

    @Override
    public void removeAll() {
      live.clear();
    }

    @Override
    public @Nullable PersistedEntry<String, String> get(String key) {
      return live.get(key);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void snapshotRoundTripKeepsMostRecentFirstSkipsExpiredAndBoundsToMaxSize() {
    RecordingBackend backend = new RecordingBackend(false);
    try (AsyncCache<String, String> cache = AsyncCache.builder().maxSize(10).persistence(backend).build()) {
      cache.set("old", "1");
      cache.set("mid", "2", Ttl.ofSeconds(3600));
      cache.set("new", "3", Ttl.never());
      cache.getIfPresent("old"); // most recent now
      assertEquals(3, cache.saveToBackend());
      assertEquals(List.of("old", "new", "mid"), backend.snapshot.stream().map(PersistedEntry::key).toList());
      long expiry = backend.snapshot.get(2).expiresAtEpochMillis();
      assertTrue(Math.abs(expiry - (System.currentTimeMillis() + 3_600_000)) < 60_000, "expiry kept");
      assertEquals(PersistedEntry.NEVER, backend.snapshot.get(1).expiresAtEpochMillis());
    }
    assertTrue(backend.closed, "close() closes the backend");
    backend.snapshot.add(new PersistedEntry<>("gone", "x", System.currentTimeMillis() - 1));
    RecordingBackend second = new RecordingBackend(false);
    second.snapshot.addAll(backend.snapshot);
    try (AsyncCache<String, String> cache = AsyncCache.builder().maxSize(2).persistence(second).build()) {
      assertEquals(2, cache.loadFromBackend());
      assertEquals("1", cache.getIfPresent("old"));
      assertEquals("3", cache.getIfPresent("new"));
      assertNull(cache.getIfPresent("mid"), "beyond maxSize: the least recent is dropped");
      assertNull(cache.getIfPresent("gone"), "expired while saved");
    }
  }

  @Test
  void saveOnShutdownSavesOnClose() {
    RecordingBackend backend = new RecordingBackend(false);
    AsyncCache<String, String> cache =
        AsyncCache.builder().persistence(backend).saveOnShutdown(true).build();
    cache.set("a", "1");
    cache.close();
    assertEquals(1, backend.snapshot.size());
  }

  @Test
  void automaticSavesNeverReplaceASnapshotWithAnUnchangedCache() {
    RecordingBackend backend = new RecordingBackend(false);
    backend.snapshot.add(new PersistedEntry<>("saved", "1", PersistedEntry.NEVER));
    AsyncCache<String, String> cache =
        AsyncCache.builder().persistence(backend).saveOnShutdown(true).build();
    cache.getIfPresent("x"); // reads are not changes
    cache.close();
    assertEquals(1, backend.snapshot.size(), "the snapshot on disk is kept");
    assertEquals("saved", backend.snapshot.get(0).key());
  }

  @Test
  void periodicSave() {
    RecordingBackend backend = new RecordingBackend(false);
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().persistence(backend).saveInterval(Duration.ofMillis(20)).build()) {
      cache.set("a", "1");
      dev.asynccache.testing.Concurrency.awaitTrue("a periodic save", () -> !backend.snapshot.isEmpty());
    }
  }

  @Test
  void withoutBackendSaveIsAClearError() {
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, cache::saveToBackend);
      assertTrue(e.getMessage().contains("no persistence backend"));
    }
  }

  @Test
  void writeThroughMirrorsChangesAndServesMissesFromTheBackend() {
    RecordingBackend backend = new RecordingBackend(true);
    try (AsyncCache<String, String> cache = AsyncCache.builder().maxSize(2).persistence(backend).build()) {
      cache.set("a", "1");
      cache.get("b", () -> "2");
      assertEquals(Map.of("a", "1", "b", "2"), values(backend));
      cache.set("c", "3"); // evicts a, in memory and in the backend
      assertEquals(Map.of("b", "2", "c", "3"), values(backend));
      cache.delete("b");
      assertEquals(Map.of("c", "3"), values(backend));
      backend.failWrites = true;
      assertThrows(PersistenceException.class, () -> cache.set("d", "4"));
      assertNull(cache.getIfPresent("d"), "a failed write-through leaves memory unchanged");
      backend.failWrites = false;
    }
    // A restarted process: memory is empty, the backend has the entries.
    RecordingBackend reopened = new RecordingBackend(true);
    reopened.live.putAll(backend.live);
    try (AsyncCache<String, String> cache = AsyncCache.builder().persistence(reopened).build()) {
      assertEquals("3", cache.get("c", () -> { throw new AssertionError("loader not called"); }));
      assertEquals(1, cache.size());
      cache.clear();
      assertTrue(reopened.live.isEmpty());
    }
  }

  @Test
  void builtInCodecsRoundTripAndRejectBadBytes() {
    roundTrip(Codecs.string(), "héllo ☃");
    roundTrip(Codecs.longs(), Long.MIN_VALUE);
    roundTrip(Codecs.integers(), 42);
    roundTrip(Codecs.doubles(), Math.PI);
    assertEquals("[1, 2]", java.util.Arrays.toString(Codecs.bytes().decode(Codecs.bytes().encode(new byte[] {1, 2}))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Codecs.longs().decode(new byte[3]));
    assertEquals("a Long takes 8 bytes, got 3", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Codecs.string().decode(new byte[] {(byte) 0xC3}));
  }

  private static <T> void roundTrip(Codec<T> codec, T value) {
    assertEquals(value, codec.decode(codec.encode(value)));
  }

  private static Map<String, String> values(RecordingBackend backend) {
    Map<String, String> m = new LinkedHashMap<>();
    backend.live.forEach((k, e) -> m.put(k, e.value()));
    return m;
  }
}
