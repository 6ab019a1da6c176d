package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.chronicle.ChronicleBackends;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.server.ServerProcess.Child;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM ({@link Process#destroy()}) on a real {@code CacheServer} process saves the snapshot:
 * the server's {@code main} runs in a child JVM with the Chronicle flags surefire got.
 */
class SigtermSnapshotTest {
  private static final int ENTRIES = 200;

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

  @Test
  void sigterm_savesTheSnapshot_andTheNextProcessRestoresIt() throws Exception {
    Path file = dir.resolve("sigterm.snap");

    Child first = start(file, "first");
    for (int i = 0; i < ENTRIES; i++) {
      put(first.base(), "k" + i + (i % 2 == 0 ? "?ttl=3600" : ""), value(i));
    }
    first.process().destroy(); // SIGTERM
    assertTrue(first.process().waitFor(60, TimeUnit.SECONDS), "the server exits after SIGTERM");
    String out = first.output();
    assertEquals(143, first.process().exitValue(), "128 + SIGTERM; " + out);
    assertTrue(out.contains("async-cache server: final snapshot: saved " + ENTRIES + " entries to "), out);
    assertTrue(out.contains("async-cache server stopped"), out);
    assertTrue(Files.exists(file));

    // Read the file directly through the backend: every entry, the TTL'd ones with their expiry.
    try (AsyncCache<String, byte[]> cache =
        AsyncCache.builder()
            .maxSize(10_000)
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.bytes()))
            .build()) {
      assertEquals(ENTRIES, cache.loadFromBackend());
      for (int i = 0; i < ENTRIES; i++) {
        assertArrayEquals(value(i), cache.getIfPresent("k" + i), "k" + i);
      }
    }

    // And a second server process restores it.
    Child second = start(file, "second");
    try {
      assertTrue(second.output().contains("restored " + ENTRIES + " entries from " + file), second.output());
      for (int i = 0; i < ENTRIES; i += 37) {
        var response = http.send(
            HttpRequest.newBuilder(second.base().resolve("/cache/k" + i)).GET().build(), BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), "k" + i);
        assertArrayEquals(value(i), response.body());
      }
    } finally {
      second.stop();
    }
  }

  private static byte[] value(int i) {
    byte[] v = new byte[50 + i % 100];
    Arrays.fill(v, (byte) i);
    return v;
  }

  private void put(URI base, String pathAndQuery, byte[] value) throws IOException, InterruptedException {
    var response = http.send(
        HttpRequest.newBuilder(base.resolve("/cache/" + pathAndQuery)).PUT(BodyPublishers.ofByteArray(value)).build(),
        BodyHandlers.discarding());
    assertEquals(204, response.statusCode());
  }

  /** A server process restoring and saving {@code file}, with the Chronicle flags surefire got. */
  private Child start(Path file, String name) throws IOException, InterruptedException {
    String flags = System.getProperty("asynccache.test.childJvmFlags", "").trim();
    if (flags.isEmpty()) {
      throw new IllegalStateException("system property asynccache.test.childJvmFlags is not set: run through Maven");
    }
    return Child.start(dir, name, List.of(flags.split("\\s+")), Map.of(), "--persistence-path", file.toString());
  }
}
