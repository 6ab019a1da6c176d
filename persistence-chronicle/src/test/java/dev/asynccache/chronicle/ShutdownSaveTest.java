package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.persistence.Codecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code saveOnShutdown(true)} on a first start: the shutdown hook is the first use of Chronicle in
 * the JVM, and the JVM refuses new shutdown hooks (which Chronicle's class initialisers register)
 * once it is shutting down. Real child JVMs, ended by returning from main and by System.exit.
 */
class ShutdownSaveTest {
  @TempDir Path dir;

  private void assertShutdownSaved(String how) throws Exception {
    Path file = dir.resolve("first-start-" + how + ".snap");
    int n = 500;
    String stderr;
    try (ChildJvm child =
        ChildJvm.start(dir, "save-on-shutdown", file.toString(), String.valueOf(n), how)) {
      child.await("set " + n);
      child.awaitSuccess();
      stderr = child.stderr();
    }
    assertTrue(Files.exists(file), "no snapshot after the shutdown save; child stderr: " + stderr);
    assertFalse(
        Files.exists(dir.resolve(file.getFileName() + ".saving.tmp")),
        "a temporary file was left behind; child stderr: " + stderr);
    Map<String, String> loaded = new HashMap<>();
    try (var b = ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string())) {
      assertEquals(n, b.load(e -> loaded.put(e.key(), e.value())));
    }
    for (int i = 0; i < n; i++) {
      assertEquals("v" + i, loaded.get("k" + i));
    }
  }

  @Test
  void firstStart_savesOnShutdown_whenMainReturns() throws Exception {
    assertShutdownSaved("return");
  }

  @Test
  void firstStart_savesOnShutdown_onSystemExit() throws Exception {
    assertShutdownSaved("exit");
  }

  /** An Error thrown inside the save (here by a codec) is reported as a failed save. */
  @Test
  void errorDuringShutdownSave_isLoggedAsCouldNotSave() throws Exception {
    Path file = dir.resolve("codec-error.snap");
    String stderr;
    try (ChildJvm child = ChildJvm.start(dir, "save-on-shutdown-codec-error", file.toString())) {
      child.await("set 1");
      child.awaitSuccess();
      stderr = child.stderr();
    }
    assertTrue(stderr.contains("could not save"), "child stderr: " + stderr);
    assertTrue(stderr.contains("codec failure for the test"), "child stderr: " + stderr);
    assertFalse(Files.exists(file), "nothing was saved");
    assertFalse(Files.exists(dir.resolve(file.getFileName() + ".saving.tmp")));
  }
}
