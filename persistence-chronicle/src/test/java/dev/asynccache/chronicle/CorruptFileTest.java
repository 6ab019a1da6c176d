package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceBackend;
import dev.asynccache.persistence.PersistenceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated, corrupt and foreign files: a {@link PersistenceException} naming the file and the
 * problem, the file untouched, the cache still usable.
 */
class CorruptFileTest {
  @TempDir Path dir;

  private Path savedSnapshot(int n) {
    Path file = dir.resolve("good.snap");
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      List<PersistedEntry<String, String>> entries = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        entries.add(new PersistedEntry<>("k" + i, "v" + i, PersistedEntry.NEVER));
      }
      b.save(entries);
    }
    return file;
  }

  /** Loads {@code file} through a cache; checks the failure, the file, and that the cache works. */
  private void assertLoadFails(Path file, String expectedProblem) throws IOException {
    byte[] before = Files.readAllBytes(file);
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string()))
            .build()) {
      cache.set("live", "1");
      PersistenceException e = assertThrows(PersistenceException.class, cache::loadFromBackend);
      assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
      assertTrue(e.getMessage().contains(expectedProblem), e.getMessage());
      assertArrayEquals(before, Files.readAllBytes(file), "the file is untouched");
      assertEquals("1", cache.getIfPresent("live"), "the cache stays usable");
      cache.set("after", "2");
      assertEquals("2", cache.getIfPresent("after"));

      // A later save keeps the bad file aside instead of overwriting it.
      assertEquals(2, cache.saveToBackend());
    }
    try (Stream<Path> files = Files.list(dir)) {
      Path aside =
          files
              .filter(p -> p.getFileName().toString().startsWith(file.getFileName() + ".corrupt-"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("the invalid snapshot was not kept aside"));
      assertArrayEquals(before, Files.readAllBytes(aside));
    }
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      assertEquals(2, b.load(x -> {}), "the new snapshot is valid");
    }
  }

  @Test
  void truncatedSnapshot() throws IOException {
    Path file = savedSnapshot(1_000);
    byte[] all = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(all, all.length / 2));
    assertLoadFails(file, "truncated");
  }

  @Test
  void snapshotWithOneFlippedByte() throws IOException {
    Path file = savedSnapshot(1_000);
    byte[] all = Files.readAllBytes(file);
    all[all.length / 3] ^= 0x40;
    Files.write(file, all);
    assertLoadFails(file, "checksum does not match");
  }

  /**
   * A flipped bit in the trailer's entry count (which the data checksum does not cover): refused
   * from the checked data, without first allocating room for the entries the trailer claims.
   */
  @Test
  void snapshotWithAFlippedByteInTheTrailersEntryCount() throws IOException {
    Path file = savedSnapshot(1_000);
    byte[] all = Files.readAllBytes(file);
    all[all.length - SnapshotTrailer.BYTES + 8 + 4] ^= 0x01; // entry count 1,000 -> 2^24 + 1,000
    Files.write(file, all);
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      b.load(e -> {}); // a first load of a valid-looking file, so that one-time costs are paid
    } catch (PersistenceException expected) {
      // the same file: it fails, as below
    }
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      long before = threads.getCurrentThreadAllocatedBytes();
      PersistenceException e = assertThrows(PersistenceException.class, () -> b.load(x -> {}));
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("16778216 entries"), e.getMessage());
      // Room for 2^24 references alone is 64 MB; the file holds about 1,000 small entries.
      assertTrue(allocated < 16_000_000, "the refused load allocated " + allocated + " bytes");
    }
    assertLoadFails(file, "16778216 entries");
  }

  @Test
  void foreignFile() throws IOException {
    Path file = dir.resolve("foreign.snap");
    Files.writeString(file, "name,value\n".repeat(500));
    assertLoadFails(file, "not an async-cache snapshot");
  }

  @Test
  void tinyFile() throws IOException {
    Path file = dir.resolve("tiny.snap");
    Files.write(file, new byte[] {1, 2, 3});
    assertLoadFails(file, "fewer than its 32-byte trailer");
  }

  @Test
  void newerFormatVersion() throws IOException {
    Path file = savedSnapshot(10);
    byte[] all = Files.readAllBytes(file);
    ByteBuffer.wrap(all).putInt(all.length - 12, 99);
    Files.write(file, all);
    assertLoadFails(file, "format version 99");
  }

  @Test
  void snapshotSavedWithOtherCodecs() throws IOException {
    Path file = dir.resolve("bytes.snap");
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.bytes())) {
      b.save(List.of(new PersistedEntry<>("k", new byte[] {(byte) 0xff, (byte) 0xfe}, PersistedEntry.NEVER)));
    }
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      PersistenceException e = assertThrows(PersistenceException.class, () -> b.load(x -> {}));
      assertTrue(e.getMessage().contains("cannot be decoded"), e.getMessage());
      assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
  }

  @Test
  void missingSnapshot_isAFirstStartWithNothingToRestore() {
    Path file = dir.resolve("never-saved.snap");
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      List<Object> seen = new java.util.ArrayList<>();
      assertEquals(0, b.load(seen::add));
      assertTrue(seen.isEmpty());
      assertTrue(!java.nio.file.Files.exists(file), "loading creates no file");
    }
  }

  // ----- write-through files -----

  private PersistenceBackend<String, String> openWriteThrough(Path file) {
    return ChronicleBackends.writeThrough(file, Codecs.string(), Codecs.string())
        .maxEntries(1_000)
        .open();
  }

  private void assertOpenFails(Path file, String expectedProblem) throws IOException {
    byte[] before = Files.readAllBytes(file);
    PersistenceException e = assertThrows(PersistenceException.class, () -> openWriteThrough(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(expectedProblem), e.getMessage());
    assertArrayEquals(before, Files.readAllBytes(file), "the file is untouched");
    // The failed open released the file: another path works, and so does a cache without it.
    try (var other = openWriteThrough(dir.resolve("other-" + System.nanoTime() + ".map"))) {
      other.put(new PersistedEntry<>("a", "b", PersistedEntry.NEVER));
    }
  }

  private Path writtenWriteThroughFile() {
    Path file = dir.resolve("wt.map");
    try (var b = openWriteThrough(file)) {
      for (int i = 0; i < 500; i++) {
        b.put(new PersistedEntry<>("k" + i, "v" + i, PersistedEntry.NEVER));
      }
    }
    return file;
  }

  @Test
  void writeThrough_foreignFile() throws IOException {
    Path file = dir.resolve("foreign.map");
    Files.write(file, "just some text, not a map".repeat(100).getBytes(StandardCharsets.UTF_8));
    assertOpenFails(file, "not a Chronicle Map file");
  }

  @Test
  void writeThrough_truncatedAfterCleanClose() throws IOException {
    Path file = writtenWriteThroughFile();
    byte[] all = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(all, all.length / 2));
    assertOpenFails(file, "cannot open write-through file");
  }

  @Test
  void writeThrough_truncatedAfterCrash() throws IOException {
    Path file = writtenWriteThroughFile();
    Files.writeString(dir.resolve("wt.map.lock"), "pid=1 state=open\n"); // as a killed owner leaves it
    byte[] all = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(all, all.length / 2));
    assertOpenFails(file, "cannot open write-through file");
  }

  @Test
  void writeThrough_corruptHeader() throws IOException {
    Path file = writtenWriteThroughFile();
    byte[] all = Files.readAllBytes(file);
    all[200] ^= 0x01; // inside Chronicle's self-describing header, guarded by its checksum
    Files.write(file, all);
    assertOpenFails(file, "cannot open write-through file");
  }

  @Test
  void writeThrough_aChronicleMapThatIsNotOurs() throws IOException {
    Path file = dir.resolve("snapshot-as-map.map");
    Path snap = savedSnapshot(10);
    byte[] all = Files.readAllBytes(snap);
    Files.write(file, Arrays.copyOf(all, all.length - SnapshotTrailer.BYTES));
    assertOpenFails(file, "not an async-cache write-through file");
  }

  /** Where {@code text} is stored in {@code bytes}; fails unless it is there exactly once. */
  private static int onlyIndexOf(byte[] bytes, String text) {
    byte[] t = text.getBytes(StandardCharsets.US_ASCII);
    int found = -1;
    for (int i = 0; i + t.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + t.length, t, 0, t.length)) {
        assertEquals(-1, found, text + " is stored more than once");
        found = i;
      }
    }
    assertTrue(found >= 0, text + " is not in the file");
    return found;
  }

  /** Flips one bit inside the stored value {@code value-500.}: it still decodes, to a wrong value. */
  private static void flipAByteOfValue500(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    all[onlyIndexOf(all, "value-500.") + 7] ^= 0x40; // "value-500." -> "value-5p0."
    Files.write(file, all);
  }

  @Test
  void writeThrough_flippedByteInAValue_afterCleanClose() throws IOException {
    Path file = dir.resolve("flip-clean.map");
    try (var b = openWriteThrough(file)) {
      for (int i = 0; i < 1_000; i++) {
        b.put(new PersistedEntry<>("k" + i, "value-" + i + ".", PersistedEntry.NEVER));
      }
    }
    flipAByteOfValue500(file);
    assertOpenFails(file, "checksum does not match");
  }

  /** The owner is killed (SIGKILL), so the next open takes the recovery path. */
  @Test
  void writeThrough_flippedByteInAValue_afterKill() throws Exception {
    Path file = dir.resolve("flip-killed.map");
    try (ChildJvm child = ChildJvm.start(dir, "write-through-then-wait", file.toString(), "1000")) {
      child.await("written 1000");
      child.kill();
    }
    assertTrue(Files.readString(dir.resolve("flip-killed.map.lock")).contains("state=open"));
    flipAByteOfValue500(file);
    assertOpenFails(file, "checksum does not match");
  }

  @Test
  void writeThrough_emptyFile() throws IOException {
    Path file = dir.resolve("empty.map");
    Files.write(file, new byte[0]);
    assertOpenFails(file, "empty");
  }

  /**
   * The state a kill leaves when it lands inside a write: the segment's write lock is held in the
   * file and the entry's bytes changed but not its checksum (Chronicle writes it at unlock). Made
   * here by copying the file while this test holds that lock mid-write. That entry was never
   * acknowledged, so the open drops it and succeeds; every other entry is kept.
   */
  @Test
  void writeThrough_writeCutByAKill_isDropped_notRefused() throws IOException {
    Path original = dir.resolve("cut-original.map");
    try (var b = openWriteThrough(original)) {
      for (int i = 0; i < 1_000; i++) {
        b.put(new PersistedEntry<>("k" + i, "value-" + i + ".", PersistedEntry.NEVER));
      }
    }
    Path crashed = dir.resolve("cut.map"); // no lock file: the open takes the recovery path
    byte[] key = ("\u0001k500").getBytes(StandardCharsets.UTF_8); // the backend's tag + key
    try (ChronicleMap<byte[], byte[]> m =
        ChronicleMapBuilder.of(byte[].class, byte[].class).createPersistedTo(original.toFile())) {
      try (ExternalMapQueryContext<byte[], byte[], ?> c = m.queryContext(key)) {
        c.writeLock().lock();
        Data<byte[]> value = java.util.Objects.requireNonNull(c.entry()).value();
        BytesStore<?, ?> bytes = (BytesStore<?, ?>) value.bytes();
        long at = value.offset() + EntryRecord.HEADER_BYTES + 7;
        bytes.writeByte(at, (byte) (bytes.readByte(at) ^ 0x40)); // a write in progress
        Files.copy(original, crashed);
      }
    }
    try (var b = openWriteThrough(crashed)) {
      assertEquals(null, b.get("k500"), "the cut write is dropped");
      for (int i = 0; i < 1_000; i++) {
        if (i != 500) {
          assertEquals("value-" + i + ".", b.get("k" + i).value());
        }
      }
      assertEquals(999, b.load(e -> {}));
    }
  }
}
