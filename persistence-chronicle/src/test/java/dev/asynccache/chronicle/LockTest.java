package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One owner per file: a second backend on the same path is refused until the first is gone. */
class LockTest {
  @TempDir Path dir;

  @Test
  void secondProcess_isRefusedWithTheHoldersPid_untilTheHolderLetsGo() throws Exception {
    Path file = dir.resolve("shared.snap");
    try (ChildJvm child = ChildJvm.start(dir, "hold-lock", file.toString())) {
      String pid = child.await("locked").substring("locked pid=".length());
      PersistenceException e =
          assertThrows(
              PersistenceException.class,
              () -> ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string()));
      assertTrue(e.getMessage().contains("in use by another process"), e.getMessage());
      assertTrue(e.getMessage().contains("pid=" + pid), e.getMessage());
      assertTrue(e.getMessage().contains(file.toString()), e.getMessage());

      child.closeStdin();
      child.await("released");
      child.awaitSuccess();
    }
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      assertEquals(1, b.save(List.of(new PersistedEntry<>("a", "b", PersistedEntry.NEVER))));
    }
  }

  @Test
  void killedHolder_leavesNoStaleLock() throws Exception {
    Path file = dir.resolve("killed.snap");
    try (ChildJvm child = ChildJvm.start(dir, "hold-lock", file.toString())) {
      child.await("locked");
      child.kill();
    }
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      assertEquals(0, b.save(List.of()));
    }
  }

  @Test
  void secondBackendInTheSameJvm_isRefused_thenAllowedAfterClose() {
    Path file = dir.resolve("same-jvm.snap");
    var first = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string());
    PersistenceException e =
        assertThrows(
            PersistenceException.class,
            () -> ChronicleBackends.writeThrough(file, Codecs.string(), Codecs.string())
                .maxEntries(10)
                .open());
    assertTrue(e.getMessage().contains("already open by another backend in this JVM"), e.getMessage());
    first.save(List.of(new PersistedEntry<>("a", "b", PersistedEntry.NEVER)));
    first.close();
    try (var again = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      assertEquals(1, again.load(x -> {}));
    }
  }

  /** A symbolic link to a file another process holds is the same file: refused. */
  @Test
  void secondProcessThroughASymlink_isRefused_snapshot() throws Exception {
    Path file = dir.resolve("real.snap");
    Path link = Files.createSymbolicLink(dir.resolve("link.snap"), file.getFileName());
    try (ChildJvm child = ChildJvm.start(dir, "hold-lock", file.toString())) {
      String pid = child.await("locked").substring("locked pid=".length());
      PersistenceException e =
          assertThrows(
              PersistenceException.class,
              () -> ChronicleBackends.snapshot(link, Codecs.string(), Codecs.string()));
      assertTrue(e.getMessage().contains("in use by another process"), e.getMessage());
      assertTrue(e.getMessage().contains("pid=" + pid), e.getMessage());
      assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
  }

  /**
   * The same through a link in another directory, for a write-through file. Without the lock,
   * Chronicle's recovery would run on a map another process has open (and block meanwhile).
   */
  @Test
  void secondProcessThroughASymlink_isRefused_writeThrough() throws Exception {
    Path file = dir.resolve("real.map");
    Path linkDir = Files.createDirectory(dir.resolve("elsewhere"));
    Path link = Files.createSymbolicLink(linkDir.resolve("link.map"), file);
    try (ChildJvm child = ChildJvm.start(dir, "write-through-then-wait", file.toString(), "10")) {
      child.await("written 10");
      PersistenceException e =
          assertTimeoutPreemptively(
              Duration.ofSeconds(60),
              () ->
                  assertThrows(
                      PersistenceException.class,
                      () ->
                          ChronicleBackends.writeThrough(link, Codecs.string(), Codecs.string())
                              .maxEntries(10)
                              .open()),
              "the open through the link did not return");
      assertTrue(e.getMessage().contains("in use by another process"), e.getMessage());
      assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }
  }

  @Test
  void secondBackendInTheSameJvmThroughASymlink_isRefused() throws Exception {
    Path file = dir.resolve("same-jvm-real.snap");
    Path link = Files.createSymbolicLink(dir.resolve("same-jvm-link.snap"), file);
    try (var first = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      PersistenceException e =
          assertThrows(
              PersistenceException.class,
              () -> ChronicleBackends.snapshot(link, Codecs.string(), Codecs.string()));
      assertTrue(e.getMessage().contains("already open by another backend in this JVM"), e.getMessage());
    }
  }

  /** Saving through a link replaces the file it points to and keeps the link. */
  @Test
  void snapshotThroughASymlink_savesToItsTarget() throws Exception {
    Path file = dir.resolve("target.snap");
    Path link = Files.createSymbolicLink(dir.resolve("via-link.snap"), file.getFileName());
    try (var b = ChronicleBackends.snapshot(link, Codecs.string(), Codecs.string())) {
      assertEquals(1, b.save(List.of(new PersistedEntry<>("a", "b", PersistedEntry.NEVER))));
      assertEquals(1, b.save(List.of(new PersistedEntry<>("a", "c", PersistedEntry.NEVER))));
    }
    assertTrue(Files.isSymbolicLink(link), "the link is still a link");
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      List<String> values = new java.util.ArrayList<>();
      assertEquals(1, b.load(e -> values.add(e.value())));
      assertEquals(List.of("c"), values);
    }
  }
}
