package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 3 of issue 12: one client could exhaust the heap (4,517 PUTs of 1 MiB reached
 * {@code OutOfMemoryError}). A child JVM with a 96 MiB heap and the <em>default</em> memory bound
 * (derived from the heap) takes 400 PUTs of 1 MiB, four times its heap, over one raw keep-alive
 * connection: every one is stored (204), the server keeps answering, evicts, never logs an
 * {@code OutOfMemoryError}; a single PUT larger than the bound is refused with 413 before its body
 * is read, and that connection is closed. Bounded: one connection, 400 requests, 15 s per read,
 * the child killed after 180 s at most.
 */
class MaxMemoryTest {
  private static final Pattern LISTENING = Pattern.compile("listening on (http://[^ ]+) ");
  private static final int MIB = 1 << 20;
  private static final int PUTS = 400;

  @TempDir Path dir;

  @Test
  void smallHeap_manyOneMibPuts_staysUpAndEvicts_andAnOversizedPutGets413() throws Exception {
    // The value limit is raised to 128 MiB so that only the memory bound can refuse the 64 MiB PUT.
    Process child = startChild("-Xmx96m", "--max-value-bytes", Integer.toString(128 * MIB));
    // A write to a server that stopped reading would block for good: the watchdog kills the child
    // (which fails the blocked write) if the test is not done within 180 s.
    Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
      try {
        if (!child.waitFor(180, TimeUnit.SECONDS)) {
          child.destroyForcibly();
        }
      } catch (InterruptedException done) {
        // the test finished first
      }
    });
    try {
      int port = port(child);

      // 1. 400 PUTs of 1 MiB (four times the heap) on one keep-alive connection: each 204.
      byte[] value = new byte[MIB];
      Arrays.fill(value, (byte) 'v');
      try (RawHttp raw = new RawHttp(port, 15_000)) {
        for (int i = 0; i < PUTS; i++) {
          value[0] = (byte) i;
          raw.send(("PUT /cache/k" + i + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + MIB + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
          raw.send(value);
          RawHttp.Response r;
          try {
            r = raw.read();
          } catch (IOException e) {
            throw new AssertionError("PUT " + i + " got no answer; child stderr:\n" + stderr(), e);
          }
          assertEquals(204, r.status(), "PUT " + i + ": " + r.text() + "\nchild stderr:\n" + stderr());
        }

        // 2. Still answering, and evicting: /stats counts every PUT as held or evicted, and a GET
        //    of each key finds exactly the ones held, with their own contents. (Which ones are held
        //    is the eviction policy's choice: W-TinyLFU may keep older entries over a scan.)
        raw.send("GET /stats HTTP/1.1\r\nHost: t\r\n\r\n");
        String stats = raw.read().text();
        long evictions = field(stats, "evictions");
        long size = field(stats, "size");
        long maxMemory = field(stats, "max_memory_bytes");
        assertTrue(evictions > 0, stats);
        assertEquals(PUTS, size + evictions, stats);
        int found = 0;
        for (int i = 0; i < PUTS; i++) {
          raw.send("GET /cache/k" + i + " HTTP/1.1\r\nHost: t\r\n\r\n");
          RawHttp.Response r = raw.read();
          if (r.status() == 200) {
            found++;
            assertEquals(MIB, r.body().length, "k" + i);
            assertEquals((byte) i, r.body()[0], "k" + i);
          } else {
            assertEquals(404, r.status(), "k" + i + ": " + r.text());
          }
        }
        assertEquals(size, found, stats);
        assertTrue(found > 0, stats);
        assertTrue(size < 96, "more 1 MiB values held than the heap has MiB: " + stats);
        assertTrue(maxMemory > 0 && maxMemory < 96L * MIB, stats);
        raw.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n");
        assertEquals(200, raw.read().status());
      }
      // 3. One PUT over the bound (the default bound is a fraction of the 96 MiB heap, so 64 MiB is
      //    over it): refused before the body is sent, and the connection is closed.
      try (RawHttp raw = new RawHttp(port, 15_000)) {
        raw.send("PUT /cache/huge HTTP/1.1\r\nHost: t\r\nContent-Length: " + 64 * MIB + "\r\n\r\n");
        RawHttp.Response r;
        try {
          r = raw.read();
        } catch (SocketTimeoutException e) {
          throw new AssertionError("no answer to a 64 MiB PUT before its body was sent (expected 413)", e);
        }
        assertEquals(413, r.status(), r.text());
        assertTrue(r.text().contains("max-memory"), r.text());
        assertEquals("close", r.header("connection"));
        raw.assertClosedWithNothingMore();
      }

      assertTrue(child.isAlive(), "the server died; stderr:\n" + stderr());
      assertFalse(stderr().contains("OutOfMemoryError"), "stderr:\n" + stderr());
    } finally {
      watchdog.interrupt();
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** In process: a 64 KiB bound, with Content-Length and chunked bodies. */
  @Test
  void inProcess_anEntryOverTheBoundGets413AndTheConnectionIsClosed_smallerOnesEvict() throws Exception {
    try (CacheServer server =
        CacheServer.start(ServerConfig.builder().port(0).maxMemory(64 * 1024).maxSize(1000).build())) {
      assertEquals(64 * 1024, server.maxMemory());
      byte[] big = new byte[100_000];
      try (RawHttp raw = new RawHttp(server.port())) {
        raw.send("PUT /cache/big HTTP/1.1\r\nHost: t\r\nContent-Length: " + big.length + "\r\n\r\n");
        RawHttp.Response r = raw.read();
        assertEquals(413, r.status());
        assertTrue(r.text().contains("value is 100000 bytes: with its key and the per-entry overhead it is over"
            + " the cache's memory bound (--max-memory) of 65000 bytes"), r.text());
        assertEquals("close", r.header("connection"));
        raw.assertClosedWithNothingMore();
      }
      try (RawHttp raw = new RawHttp(server.port())) {
        // Only the chunk's size line: the server refuses a chunk larger than the bound as soon as
        // it reads the size, so no body is ever left unread (closing with unread bytes would reset
        // the connection and could destroy the 413 before this client reads it).
        raw.send("PUT /cache/big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            + Integer.toHexString(big.length) + "\r\n");
        RawHttp.Response r = raw.read();
        assertEquals(413, r.status(), r.text());
        assertTrue(r.text().contains("--max-memory"), r.text());
        raw.assertClosedWithNothingMore();
      }
      byte[] value = new byte[10_000];
      try (RawHttp raw = new RawHttp(server.port())) {
        for (int i = 0; i < 50; i++) {
          raw.send("PUT /cache/v" + i + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + value.length + "\r\n\r\n");
          raw.send(value);
          assertEquals(204, raw.read().status(), "PUT " + i);
        }
        raw.send("GET /stats HTTP/1.1\r\nHost: t\r\n\r\n");
        String stats = raw.read().text();
        assertEquals(65536, field(stats, "max_memory_bytes"), stats);
        assertEquals(1000, field(stats, "max_size"), stats);
        // 10,000-byte values weigh 10,168 + key: at most 6 fit in 65,000
        assertTrue(field(stats, "size") <= 6 && field(stats, "size") >= 1, stats);
        assertEquals(50, field(stats, "size") + field(stats, "evictions"), stats);
        raw.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
        String metrics = raw.read().text();
        // Micrometer writes samples as floating point
        assertTrue(metrics.contains("\nasynccache_max_memory_bytes 65536.0\n"), metrics);
        assertTrue(metrics.contains("\nasynccache_max_entries 1000.0\n"), metrics);
      }
    }
    try (CacheServer server = CacheServer.start(ServerConfig.builder().port(0).build())) {
      assertEquals(Runtime.getRuntime().maxMemory() / 2, server.maxMemory(), "default: half the heap");
    }
  }

  private static long field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(json);
    if (!m.find()) {
      throw new AssertionError("no " + name + " in " + json);
    }
    return Long.parseLong(m.group(1));
  }

  private String stderr() throws IOException {
    return Files.readString(dir.resolve("child.err"));
  }

  private Process startChild(String heap, String... args) throws IOException {
    String flags = System.getProperty("asynccache.test.childJvmFlags", "").trim();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (!flags.isEmpty()) {
      cmd.addAll(Arrays.asList(flags.split("\\s+")));
    }
    cmd.addAll(List.of(heap, "-cp", System.getProperty("java.class.path"), CacheServer.class.getName(), "--port", "0"));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd)
        .redirectOutput(dir.resolve("child.out").toFile())
        .redirectError(dir.resolve("child.err").toFile())
        .start();
  }

  private int port(Process p) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && p.isAlive()) {
      Matcher m = LISTENING.matcher(Files.readString(dir.resolve("child.out")));
      if (m.find()) {
        return java.net.URI.create(m.group(1)).getPort();
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the server did not start: stdout " + Files.readString(dir.resolve("child.out"))
        + ", stderr " + stderr());
  }
}
