package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.chronicle.ChronicleBackends;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistenceException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --persistence-path: the snapshot restored at start and saved at stop, by real servers on a real file. */
class PersistenceTest {
  /**
   * Blocking helpers get threads of their own: on 2 cores the common pool has one worker, and a
   * task blocked there (a slow body) starved the next one (the stop), so the test timed out.
   */
  private static final java.util.concurrent.Executor THREADS = r -> Thread.ofPlatform().daemon().start(r);

  @TempDir Path dir;

  private final AtomicLong clock1 = new AtomicLong(1_000_000_000L);
  private final AtomicLong clock2 = new AtomicLong(7_000_000_000L);

  private ServerConfig config(Path file) {
    return ServerConfig.builder().port(0).persistencePath(file).build();
  }

  @Test
  void entriesAndRemainingTtls_surviveAGracefulRestart() throws Exception {
    Path file = dir.resolve("cache.snap");
    byte[] binary = new byte[10_000];
    new Random(42).nextBytes(binary);

    CacheServer first = CacheServer.start(config(file), clock1::get);
    assertEquals(0, first.restoredEntries(), "no snapshot yet: an empty first start");
    assertTrue(Files.exists(file), "a first start writes an empty snapshot (the path is writable)");
    TestClient c1 = new TestClient(first);
    assertEquals(204, c1.put("/cache/ttl100?ttl=100", "lives 100 s").statusCode());
    assertEquals(204, c1.put("/cache/forever?ttl=0", "never expires").statusCode());
    assertEquals(204, c1.put("/cache/plain", "no ttl").statusCode());
    assertEquals(204, c1.put("/cache/bin%2Fary", binary).statusCode());
    assertEquals(204, c1.put("/cache/deleted", "x").statusCode());
    assertEquals(204, c1.delete("/cache/deleted").statusCode());
    assertEquals(204, c1.put("/cache/expired?ttl=5", "gone before the stop").statusCode());
    clock1.addAndGet(Duration.ofSeconds(6).toNanos()); // 'expired' is past its TTL; ttl100 has 94 s left
    first.stop();
    assertTrue(Files.size(file) > 0, "stop() saved the snapshot");

    CacheServer second = CacheServer.start(config(file), clock2::get);
    try {
      assertEquals(4, second.restoredEntries());
      TestClient c2 = new TestClient(second);
      assertEquals("lives 100 s", TestClient.text(c2.get("/cache/ttl100")));
      assertEquals("never expires", TestClient.text(c2.get("/cache/forever")));
      assertEquals("no ttl", TestClient.text(c2.get("/cache/plain")));
      assertArrayEquals(binary, c2.get("/cache/bin%2Fary").body());
      assertEquals(404, c2.get("/cache/deleted").statusCode());
      assertEquals(404, c2.get("/cache/expired").statusCode());

      // 94 s were left at the save (less the wall-clock time of the restart, well under 10 s).
      clock2.addAndGet(Duration.ofSeconds(84).toNanos());
      assertEquals(200, c2.get("/cache/ttl100").statusCode(), "remaining TTL kept, not reset to 0");
      clock2.addAndGet(Duration.ofSeconds(11).toNanos()); // 95 s after the restore
      assertEquals(404, c2.get("/cache/ttl100").statusCode(), "remaining TTL kept, not restarted at 100 s");
      assertEquals(200, c2.get("/cache/forever").statusCode());
      assertEquals(200, c2.get("/cache/plain").statusCode());
    } finally {
      second.stop();
    }
  }

  @Test
  void aPutInFlightWhenStopBegins_isInTheSnapshot() throws Exception {
    Path file = dir.resolve("drain.snap");
    CacheServer server =
        CacheServer.start(config(file).toBuilder().shutdownGrace(Duration.ofSeconds(30)).build());
    TestClient client = new TestClient(server);
    CountDownLatch release = new CountDownLatch(1);
    byte[] data = "written while stopping".getBytes(StandardCharsets.UTF_8);
    InputStream slowBody = // the first 2 bytes, then waits for the latch
        new InputStream() {
          private int pos;

          @Override
          public int read() throws IOException {
            if (pos == 2) {
              try {
                release.await();
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
            }
            return pos < data.length ? data[pos++] & 0xff : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            int c = read();
            if (c < 0) {
              return -1;
            }
            b[off] = (byte) c;
            return 1;
          }
        };
    CompletableFuture<HttpResponse<byte[]>> inFlight =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return client.send("PUT", "/cache/late", BodyPublishers.ofInputStream(() -> slowBody));
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            },
            THREADS);
    await(() -> server.inFlightRequests() == 1, "the PUT to reach its handler");
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop, THREADS);
    await(server::isDraining, "the stop to begin");
    assertFalse(copyHolds(file, dir.resolve("copy.snap"), "late"), "not saved while the PUT is in flight");

    release.countDown();
    assertEquals(204, inFlight.get(30, TimeUnit.SECONDS).statusCode());
    stopping.get(60, TimeUnit.SECONDS);

    CacheServer again = CacheServer.start(config(file));
    try {
      assertEquals(1, again.restoredEntries());
      assertArrayEquals(data, new TestClient(again).get("/cache/late").body());
    } finally {
      again.stop();
    }
  }

  @Test
  void aCorruptSnapshot_stopsTheStart_andIsLeftAsItWas() throws Exception {
    Path file = dir.resolve("corrupt.snap");
    CacheServer writer = CacheServer.start(config(file));
    new TestClient(writer).put("/cache/k", "v");
    writer.stop();
    byte[] good = Files.readAllBytes(file);
    byte[] flipped = good.clone();
    flipped[flipped.length / 2] ^= 0x55;
    byte[] truncated = Arrays.copyOf(good, good.length / 3);

    for (byte[] bad : new byte[][] {flipped, truncated, "not a snapshot".getBytes(StandardCharsets.UTF_8)}) {
      Files.write(file, bad);
      PersistenceException e =
          assertThrows(PersistenceException.class, () -> CacheServer.start(config(file)));
      assertTrue(e.getMessage().startsWith("cannot restore the snapshot " + file.toAbsolutePath() + ": "),
          e.getMessage());
      assertTrue(e.getMessage().contains("move it aside"), e.getMessage());
      assertArrayEquals(bad, Files.readAllBytes(file), "the file is not touched");
      try (var files = Files.list(dir)) {
        assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".corrupt-")), "nor moved");
      }
    }

    // The command line: exit status 1, the reason on stderr, nothing listening.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        CacheServer.run(
            new String[] {"--port", "0", "--persistence-path", file.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(1, status);
    String message = err.toString(StandardCharsets.UTF_8);
    assertTrue(message.startsWith("async-cache-server: cannot restore the snapshot " + file.toAbsolutePath()), message);
    assertEquals("", out.toString(StandardCharsets.UTF_8));

    // The lock was released by the failed start: once the file is moved aside, a server starts empty.
    Files.move(file, dir.resolve("corrupt.snap.bad"));
    CacheServer fresh = CacheServer.start(config(file));
    try {
      assertEquals(0, fresh.restoredEntries());
      assertEquals(404, new TestClient(fresh).get("/cache/k").statusCode());
    } finally {
      fresh.stop();
    }
  }

  @Test
  void anUnwritablePath_stopsTheStart() {
    Path file = dir.resolve("no-such-dir").resolve("cache.snap");
    PersistenceException e = assertThrows(PersistenceException.class, () -> CacheServer.start(config(file)));
    assertTrue(e.getMessage().contains(file.toAbsolutePath().getParent().toString()), e.getMessage());
    assertFalse(Files.exists(file.getParent()), "nothing created");
  }

  @Test
  void twoServersOnOnePath_theSecondIsRefused() {
    Path file = dir.resolve("shared.snap");
    CacheServer first = CacheServer.start(config(file));
    try {
      PersistenceException e = assertThrows(PersistenceException.class, () -> CacheServer.start(config(file)));
      assertTrue(e.getMessage().startsWith(file.toAbsolutePath() + " is already open by another backend"),
          e.getMessage());
      assertTrue(first.isRunning());
    } finally {
      first.stop();
    }
  }

  @Test
  void saveInterval_writesSnapshotsWhileRunning() throws Exception {
    Path file = dir.resolve("periodic.snap");
    CacheServer server =
        CacheServer.start(config(file).toBuilder().saveInterval(Duration.ofSeconds(1)).build());
    try {
      assertEquals(204, new TestClient(server).put("/cache/p", "periodic").statusCode());
      Path copy = dir.resolve("copy.snap");
      // The server holds the file's lock: read a copy of each snapshot it renames into place.
      await(() -> copyHolds(file, copy, "p"), "a periodic snapshot holding the PUT");
    } finally {
      server.stop();
    }
  }

  private static boolean copyHolds(Path file, Path copy, String key) {
    try {
      if (!Files.exists(file)) {
        return false;
      }
      Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
      try (AsyncCache<String, byte[]> cache =
          AsyncCache.builder()
              .maxSize(100)
              .persistence(ChronicleBackends.snapshot(copy, Codecs.string(), Codecs.bytes()))
              .build()) {
        cache.loadFromBackend();
        return cache.getIfPresent(key) != null;
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Polls a condition that another thread makes true (not a timing assertion). */
  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }
}
