package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The event loops: whole requests are served on a loop's thread; a request that does not arrive
 * whole moves its connection to a thread of its own, which goes on where the loop stopped; a
 * response the client does not take at once waits for it without holding up the loop; idle
 * connections are closed by the loop's sweep. Everything over raw sockets on 127.0.0.1.
 */
class EventLoopTest {
  private CacheServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
    }
  }

  private CacheServer start(ServerConfig.Builder b) {
    server = CacheServer.start(b.port(0).build());
    return server;
  }

  private CacheServer start() {
    return start(ServerConfig.builder().maxValueBytes(1 << 20));
  }

  private static String get(String key) {
    return "GET /cache/" + key + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }

  private static String put(String key, String value) {
    return "PUT /cache/" + key + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + value.length() + "\r\n\r\n" + value;
  }

  private static void await(BooleanSupplier condition, String what) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() - end < 0, "timed out waiting: " + what);
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
    }
  }

  @Test
  void theServerRunsEventLoopsByDefault() {
    assertTrue(EventLoops.COUNT >= 1, "one loop per processor unless asynccache.eventLoops says otherwise");
  }

  @Test
  void keepAliveRequests_arriving_whole_areServedByTheLoop_withNoHandOff() throws IOException {
    start();
    try (RawHttp c = new RawHttp(server.port())) {
      c.send(put("a", "hello"));
      assertEquals(204, c.read().status());
      for (int i = 0; i < 1_000; i++) {
        RawHttp.Response r = c.send(get("a")).read();
        assertEquals(200, r.status());
        assertEquals("hello", r.text());
      }
    }
    // counted just after each response is written: the last count may come a moment later
    await(() -> server.loopCounts().requests() >= 1_001, "1,001 requests served in the loop: " + server.loopCounts());
    assertEquals(0, server.loopCounts().handOffs(), "no request needed a thread");
  }

  @Test
  void aHeadSplitAcrossTwoWrites_movesTheConnectionToAThread_whichAnswersIt_andKeepsServing() throws Exception {
    start();
    try (RawHttp c = new RawHttp(server.port())) {
      c.send(put("a", "hello"));
      assertEquals(204, c.read().status());
      c.send("GET /cache/a HTTP/1.1\r\nHo");
      await(() -> server.loopCounts().handOffs() == 1, "the loop hands the half request to a thread");
      c.send("st: x\r\n\r\n");
      assertEquals("hello", c.read().text());
      for (int i = 0; i < 20; i++) {
        assertEquals("hello", c.send(get("a")).read().text());
      }
      RawHttp.Response missing = c.send(get("nope")).read();
      assertEquals(404, missing.status());
    }
    assertEquals(1, server.loopCounts().handOffs());
  }

  @Test
  void healthStatsAndMetrics_areServedOnTheConnectionsThread_notInTheLoop() throws Exception {
    start();
    for (String path : new String[] {"/health", "/stats", "/metrics"}) {
      long before = server.loopCounts().handOffs();
      try (RawHttp c = new RawHttp(server.port())) {
        assertEquals(200, c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").read().status(), path);
        assertEquals(404, c.send(get("absent")).read().status(), "the connection goes on, on its thread");
      }
      assertEquals(before + 1, server.loopCounts().handOffs(), path + " left the loop");
    }
  }

  @Test
  void aBodyThatArrivesLater_isReadByTheThread_andStoredWhole() throws Exception {
    start();
    try (RawHttp c = new RawHttp(server.port())) {
      c.send("PUT /cache/late HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234");
      await(() -> server.loopCounts().handOffs() == 1, "the loop hands the PUT to a thread");
      c.send("56789" + get("late"));
      assertEquals(204, c.read().status());
      assertEquals("0123456789", c.read().text());
    }
  }

  @Test
  void pipelinedRequestsInOneWrite_areAnsweredInOrder_byTheLoop() throws IOException {
    start();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      b.append(put("p" + i, "v" + i));
    }
    for (int i = 0; i < 20; i++) {
      b.append(get("p" + i));
    }
    try (RawHttp c = new RawHttp(server.port())) {
      c.send(b.toString());
      for (int i = 0; i < 20; i++) {
        assertEquals(204, c.read().status(), "PUT " + i);
      }
      for (int i = 0; i < 20; i++) {
        assertEquals("v" + i, c.read().text(), "GET " + i);
      }
    }
    assertEquals(0, server.loopCounts().handOffs());
  }

  @Test
  void aClientThatDoesNotRead_getsALargeValueWhole_andTheResponseBehindIt_whileOthersAreServed() throws Exception {
    // 16 MiB: four times the most a loopback send buffer grows to (tcp_wmem's 4 MiB), so the loop
    // sends each response in many parts, each when the client has taken the previous one.
    start(ServerConfig.builder().maxValueBytes(16 << 20).maxMemory(256L << 20));
    byte[] big = new byte[16 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 7 + (i >> 11));
    }
    server.cache().set("big", big);
    server.cache().set("small", "after".getBytes(StandardCharsets.US_ASCII));
    Socket s = new Socket();
    s.setReceiveBufferSize(8192);
    s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
    s.setSoTimeout(15_000);
    try (s) {
      s.getOutputStream().write((get("big").repeat(2) + get("small")).getBytes(StandardCharsets.US_ASCII));
      await(() -> server.loopCounts().outputWaits() >= 1, "the response waits for the client");
      // The loop is not held up: another connection is served while this one does not read.
      try (RawHttp other = new RawHttp(server.port())) {
        assertEquals("after", other.send(get("small")).read().text());
      }
      var in = new java.io.BufferedInputStream(s.getInputStream());
      for (int i = 0; i < 2; i++) {
        RawHttp.Response r = readResponse(in);
        assertEquals(200, r.status());
        assertArrayEquals(big, r.body(), "response " + i);
      }
      assertEquals("after", readResponse(in).text());
    }
    assertEquals(0, server.loopCounts().handOffs());
    // Backpressure: a response is produced only once the one before it is taken, so each big one
    // found the channel empty and waited on its own (queued behind the first, they would count 1).
    assertTrue(server.loopCounts().outputWaits() >= 2, "one response at a time: " + server.loopCounts());
  }

  private static RawHttp.Response readResponse(java.io.InputStream in) throws IOException {
    String status = line(in);
    java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), h.substring(colon + 1).trim());
    }
    byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
    return new RawHttp.Response(status, Integer.parseInt(status.split(" ")[1]), headers, body);
  }

  private static String line(java.io.InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        throw new IOException("closed mid-line");
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  @Test
  void aMalformedRequest_inTheLoop_gets400_andTheConnectionCloses() throws IOException {
    start();
    try (RawHttp c = new RawHttp(server.port())) {
      c.send("GET /cache/a HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n");
      RawHttp.Response r = c.read();
      assertEquals(400, r.status());
      assertEquals("close", r.header("connection"));
      assertEquals("", c.readToClose());
    }
  }

  @Test
  void aConnectionIdleInTheLoop_isClosedByTheSweep() throws Exception {
    start(ServerConfig.builder().idleTimeout(Duration.ofSeconds(1)));
    try (RawHttp c = new RawHttp(server.port())) {
      assertEquals(404, c.send(get("x")).read().status());
      assertEquals("", c.readToClose()); // closed by the server within the socket timeout (15 s)
    }
    await(() -> server.openConnections() == 0, "the closed connection is forgotten");
  }

  @Test
  void clientsThatCloseRightAfterARequest_leaveNoConnectionBehind() throws Exception {
    start();
    for (int i = 0; i < 200; i++) {
      try (Socket s = new Socket("127.0.0.1", server.port())) {
        s.getOutputStream().write(get("k" + i).getBytes(StandardCharsets.US_ASCII));
      }
    }
    await(() -> server.openConnections() == 0, "every connection is closed");
  }

  @Test
  void stop_closesTheConnectionsWaitingInTheLoops() throws Exception {
    start();
    List<RawHttp> open = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        RawHttp c = new RawHttp(server.port());
        open.add(c);
        assertEquals(404, c.send(get("k")).read().status());
      }
      server.stop();
      for (RawHttp c : open) {
        assertEquals("", c.readToClose());
      }
      assertEquals(0, server.openConnections());
    } finally {
      for (RawHttp c : open) {
        c.close();
      }
    }
  }

  @Test
  void manyClientsAtOnce_writingAndReadingSharedKeys_eachGetsItsOwnAnswers() throws Exception {
    start();
    int clients = 64;
    int rounds = 200;
    CountDownLatch go = new CountDownLatch(1);
    AtomicInteger wrong = new AtomicInteger();
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < clients; t++) {
        int id = t;
        done.add(pool.submit(() -> {
          try (RawHttp c = new RawHttp(server.port())) {
            go.await();
            for (int i = 0; i < rounds; i++) {
              String own = "c" + id + "-" + i;
              if (c.send(put("own" + id, own)).read().status() != 204) {
                wrong.incrementAndGet();
              }
              c.send(put("shared" + (i % 8), own));
              if (c.read().status() != 204) {
                wrong.incrementAndGet();
              }
              // Pipelined: its own key, then a shared one.
              c.send(get("own" + id) + get("shared" + (i % 8)));
              if (!c.read().text().equals(own)) {
                wrong.incrementAndGet();
              }
              RawHttp.Response shared = c.read();
              if (shared.status() != 200 || !shared.text().startsWith("c")) {
                wrong.incrementAndGet();
              }
            }
          }
          return null;
        }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
    }
    assertEquals(0, wrong.get());
    // counted just after each response is written: the last counts may come a moment later
    long all = (long) clients * rounds * 4;
    await(() -> server.loopCounts().requests() >= all, all + " requests served in the loops: " + server.loopCounts());
  }
}
