package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceException;
import java.nio.file.Path;
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
}
