package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server probed as an attacker would: raw sockets on loopback, bounded loops, no sleeps. Each
 * test names the defect of issue 12 it covers.
 */
class HostileTrafficTest {
  private static final int LIMIT = 64;
  /** Two requests hidden in a request body: executed, they would delete one key and create another. */
  private static final String SMUGGLED =
      "DELETE /cache/victim HTTP/1.1\r\nHost: x\r\n\r\n"
          + "PUT /cache/smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx";

  private CacheServer server;
  private final List<LogRecord> logged = new ArrayList<>();
  private final Handler capture =
      new Handler() {
        @Override
        public synchronized void publish(LogRecord r) {
          if (r.getLevel().intValue() >= Level.INFO.intValue()) {
            synchronized (logged) {
              logged.add(r);
            }
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void start() {
    server = CacheServer.start(ServerConfig.builder().port(0).maxValueBytes(LIMIT).maxSize(1000).build());
    // After the start: Helidon's own start-up lines are INFO unless logging.properties was loaded
    // (main() loads it; whether another test class ran main() first must not matter here).
    Logger.getLogger("").addHandler(capture);
  }

  @AfterEach
  void stop() {
    server.stop();
    Logger.getLogger("").removeHandler(capture);
  }

  private RawHttp connect() throws IOException {
    return new RawHttp(server.port());
  }

  /** One request on its own connection (Connection: close), its response. */
  private RawHttp.Response exchange(String request) throws IOException {
    try (RawHttp c = connect()) {
      return c.send(request).read(request.startsWith("HEAD "));
    }
  }

  private int get(String path) throws IOException {
    return exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status();
  }

  private void put(String path, String value) throws IOException {
    RawHttp.Response r =
        exchange("PUT " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + value.length() + "\r\n"
            + "Connection: close\r\n\r\n" + value);
    assertEquals(204, r.status(), r.text());
  }

  private void assertNotSmuggled() throws IOException {
    assertEquals(200, get("/cache/victim"), "the smuggled DELETE ran");
    assertEquals(404, get("/cache/smuggled"), "the smuggled PUT ran");
  }

  private int serverErrors() {
    return server.stats().responses().keySet().stream().filter(code -> code >= 500 && code != 501).mapToInt(c -> 1).sum();
  }

  private List<LogRecord> logged() {
    synchronized (logged) {
      return List.copyOf(logged);
    }
  }

  // ---- defect 1: request smuggling after a response that leaves the body unread ----

  @Test
  void d1_413WithContentLength_closesTheConnection_andTheBodyIsNeverExecuted() throws IOException {
    put("/cache/victim", "v");
    assertTrue(SMUGGLED.length() > LIMIT);
    try (RawHttp c = connect()) {
      c.send("PUT /cache/big HTTP/1.1\r\nHost: x\r\nContent-Length: " + (SMUGGLED.length()) + "\r\n\r\n" + SMUGGLED);
      RawHttp.Response r = c.read();
      assertEquals(413, r.status());
      assertEquals("close", r.header("connection"));
      c.assertClosedWithNothingMore();
    }
    assertNotSmuggled();
  }

  @Test
  void d1_413WithChunkedBody_closesTheConnection_andTheRestIsNeverExecuted() throws IOException {
    put("/cache/victim", "v");
    String chunk = "Y".repeat(LIMIT + 10);
    try (RawHttp c = connect()) {
      c.send("PUT /cache/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n"
          + Integer.toHexString(SMUGGLED.length()) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n" + SMUGGLED);
      RawHttp.Response r = c.read();
      assertEquals(413, r.status());
      c.assertClosedWithNothingMore();
    }
    assertNotSmuggled();
  }

  @ParameterizedTest
  @ValueSource(strings = {"PUT /cache/k?ttl=x", "PUT /cache/", "POST /cache/k", "POST /nope", "PUT /stats"})
  void d1_anyRejectionThatLeavesTheBodyUnread_closesTheConnection(String requestLine) throws IOException {
    put("/cache/victim", "v");
    try (RawHttp c = connect()) {
      c.send(requestLine + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED);
      RawHttp.Response r = c.read();
      assertTrue(r.status() >= 400 && r.status() < 500, r.statusLine());
      c.assertClosedWithNothingMore();
    }
    assertNotSmuggled();
  }

  /**
   * A client that writes its whole body before it reads (as {@code HttpURLConnection} does) to a
   * server that has already refused it. Closing with the body unread makes the kernel answer the
   * client's next segments with a reset: its write fails and it never sees the 413. The server
   * must send the 413, half-close, and read and discard the body (up to the linger bounds).
   */
  @Test
  void d1_413ToAClientStillWritingItsBody_isReadWhole_everyTime() throws IOException {
    byte[] body = new byte[512 * 1024]; // over the socket buffers in flight, under the 1 MiB linger bound
    java.util.Arrays.fill(body, (byte) 'x');
    for (int round = 0; round < 20; round++) {
      try (RawHttp c = RawHttp.withSmallSendBuffer(server.port(), 8192)) {
        c.send("PUT /cache/big HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n");
        try {
          c.send(body);
        } catch (IOException e) {
          throw new AssertionError("round " + round + ": the server reset the connection while the body was being sent", e);
        }
        RawHttp.Response r = c.read();
        assertEquals(413, r.status(), "round " + round);
        assertTrue(r.text().contains("the limit is " + LIMIT), r.text());
        c.assertClosedWithNothingMore();
      }
    }
    assertEquals(404, get("/cache/big"));
  }

  /** The discarding is bounded in bytes: a client that never stops sending is cut off. */
  @Test
  void d1_413ToAClientThatNeverStopsSending_isStillRead_andTheConnectionEnds() throws Exception {
    byte[] block = new byte[64 * 1024];
    java.util.Arrays.fill(block, (byte) 'x');
    long announced = 1L << 40;
    try (RawHttp c = connect()) {
      c.send("PUT /cache/big HTTP/1.1\r\nHost: x\r\nContent-Length: " + announced + "\r\n\r\n");
      java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
      Thread writer =
          Thread.ofVirtual().start(() -> {
            try {
              while (sent.get() < 256L * 1024 * 1024) {
                c.send(block);
                sent.addAndGet(block.length);
              }
            } catch (IOException expected) {
              // the server stopped discarding and closed
            }
          });
      RawHttp.Response r = c.read();
      assertEquals(413, r.status());
      assertTrue(writer.join(java.time.Duration.ofSeconds(30)), "the writer was never cut off");
      assertTrue(sent.get() < 256L * 1024 * 1024, "the server discarded " + sent.get() + " bytes");
    }
  }

  /** The discarding is bounded in time: a client that neither sends nor closes is let go. */
  @Test
  void d1_413ToAClientThatGoesQuiet_isLetGoAfterTheLingerTime() throws IOException {
    try (RawHttp c = connect()) {
      c.send("PUT /cache/big HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000));
      assertEquals(413, c.read().status());
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (server.openConnections() > 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
        Thread.yield();
      }
      assertEquals(0, server.openConnections(), "the server still holds the quiet client's connection");
    }
  }

  @Test
  void d1_connectionCloseFromTheClient_isHonoured() throws IOException {
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").read();
      assertEquals(200, r.status());
      assertEquals("close", r.header("connection"));
      c.assertClosedWithNothingMore();
    }
  }

  // ---- the parser keeps the request target across reads ----

  @Test
  void aHeadSplitAcrossReads_afterAPipelinedRequest_routesToItsOwnKey() throws IOException {
    put("/cache/first", "1");
    put("/cache/second-key", "2");
    try (RawHttp c = connect()) {
      // One write holds the first request and the start of the second: the server answers the
      // first when it needs more input for the second, whose request line it has already parsed.
      c.send("GET /cache/first HTTP/1.1\r\nHost: x\r\n\r\nGET /cache/second-key HTTP/1.1\r\nHost: x\r\n");
      RawHttp.Response first = c.read();
      assertEquals(200, first.status(), first.text());
      assertEquals("1", first.text());
      // The rest of the second head arrives in another read, after the buffer has moved on.
      c.send("X-Padding: " + "p".repeat(300) + "\r\n\r\n");
      RawHttp.Response second = c.read();
      assertEquals(200, second.status(), second.text());
      assertEquals("2", second.text());
    }
    assertEquals(0, serverErrors());
  }

  // ---- defect 4: client errors are 400, never 500, and barely logged; bounded header time ----

  @ParameterizedTest
  @ValueSource(strings = {"zz", "3;\u0001=x", "-1", "ffffffffffffffffff", "3 x", ""})
  void d4_malformedChunkSizeOrExtension_is400_atOnce_withoutAStackTrace(String sizeLine) throws IOException {
    try (RawHttp c = connect()) {
      // The rest of the body is not sent: an answer proves the server did not wait for it.
      RawHttp.Response r =
          c.send("PUT /cache/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + sizeLine + "\r\nabc").read();
      assertEquals(400, r.status(), r.text());
      assertEquals("close", r.header("connection"));
      c.assertClosedWithNothingMore();
    }
    assertEquals(0, serverErrors(), server.stats().json());
    assertQuietLog();
  }

  @Test
  void d4_bodyShorterThanAnnounced_thenHalfClose_is400() throws IOException {
    try (RawHttp c = connect()) {
      c.send("PUT /cache/k HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
      c.shutdownOutput();
      RawHttp.Response r = c.read();
      assertEquals(400, r.status(), r.text());
      assertTrue(r.text().contains("3 of 10"), r.text());
    }
    assertEquals(404, get("/cache/k"));
    assertEquals(0, serverErrors(), server.stats().json());
    assertQuietLog();
  }

  @Test
  void d4_droppedConnections_logNothing() throws IOException {
    for (String partial :
        List.of("", "GET /cache/k HTT", "PUT /cache/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab",
            "PUT /cache/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")) {
      try (RawHttp c = connect()) {
        c.send(partial);
      }
    }
    // A last request on a new connection is answered after the dropped ones were handled.
    assertEquals(404, get("/cache/k"));
    assertEquals(0, serverErrors(), server.stats().json());
    assertQuietLog();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "GET /cache/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "PUT /cache/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "PUT /cache/k HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\na",
      "PUT /cache/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "GET /cache/k HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n",
      "GET /cache/k HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n",
      "GET /cache/k HTTP/1.1\r\n\r\n",
      "GET /cache/k\r\n\r\n",
      "\u0001\u0002\u0003 garbage\r\n\r\n"})
  void d4_malformedFraming_isA4xx_andCloses(String request) throws IOException {
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send(request).read();
      // 501: a transfer coding other than chunked (RFC 9112 6.1); any other refusal is a 4xx
      assertTrue(r.status() >= 400 && r.status() < 500 || r.status() == 501, r.statusLine() + " for " + request);
      c.assertClosedWithNothingMore();
    }
    assertEquals(0, serverErrors(), server.stats().json());
    assertQuietLog();
  }

  @Test
  void d4_headersThatNeverEnd_areCutOff_byTheHeaderTimeout() throws IOException {
    // A slowloris: one header byte at a time, each well within any per-read timeout. The server
    // must close the connection once the whole head has taken longer than the header timeout
    // (2 s here, 10 s by default); the loop is bounded (at most 120 reads of up to 250 ms = 30 s).
    server.stop();
    server = CacheServer.start(ServerConfig.builder().port(0).headerTimeout(java.time.Duration.ofSeconds(2)).build());
    synchronized (logged) {
      logged.clear(); // the restart's own Helidon lines
    }
    try (RawHttp c = connect()) {
      c.send("GET /cache/k HTTP/1.1\r\nHost: x\r\n");
      c.setTimeout(250);
      long start = System.nanoTime();
      boolean closed = false;
      for (int i = 0; i < 120 && !closed; i++) {
        try {
          c.send("X");
        } catch (IOException e) {
          closed = true; // written into a closed connection
          break;
        }
        try {
          c.readToClose();
          closed = true;
        } catch (SocketTimeoutException stillOpen) {
          // the server is still waiting: send the next byte
        }
      }
      assertTrue(closed, "the server kept reading headers for 30 s");
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(seconds < 12, "closed after " + seconds + " s");
    }
    assertQuietLog();
  }

  private void assertQuietLog() {
    for (LogRecord r : logged()) {
      assertNull(r.getThrown(), () -> "a stack trace was logged: " + r.getLoggerName() + ": " + r.getMessage());
    }
    assertTrue(logged().size() <= 1, () -> "more than one log line: " + logged().stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList());
  }

  // ---- defect 5: keys that silently alias ----

  @ParameterizedTest
  @ValueSource(strings = {"%FF", "%FE", "a%FFb", "%ED%A0%80", "%C0%AF", "%E0%80%AF", "%F8%88%80%80%80", "%C3", "%G1", "%"})
  void d5_invalidUtf8OrPercentEncoding_is400_andStoresNothing(String key) throws IOException {
    RawHttp.Response r =
        exchange("PUT /cache/" + key + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nv");
    assertEquals(400, r.status(), key + ": " + r.text());
    assertEquals(0, server.cache().size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"/cache/..", "/cache/.", "/cache/a/../b", "/cache/../stats", "/cache/./a", "/cache/a/.",
      "/cache/%2e%2e/stats", "/cache/a/%2E"})
  void d5_dotSegments_are400_neverResolved(String path) throws IOException {
    RawHttp.Response r = exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertEquals(400, r.status(), path + ": " + r.text());
    assertTrue(r.text().contains("dot segment"), r.text());
  }

  @Test
  void d5_dotsInsideASegment_areOrdinaryCharacters() throws IOException {
    put("/cache/a..b/.../x.", "v");
    assertEquals(1, server.cache().size());
    assertEquals("v", new String(server.cache().getIfPresent("a..b/.../x."), StandardCharsets.UTF_8));
  }

  @Test
  void d5_semicolonsAndPlus_areLiteralKeyCharacters() throws IOException {
    put("/cache/a;b=c+d", "v");
    assertEquals(1, server.cache().size());
    assertEquals("v", new String(server.cache().getIfPresent("a;b=c+d"), StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a%0Ab", "a%0Db", "%00", "a%09b", "a%7Fb", "a%C2%85b", "a%E2%80%A8b", "a%E2%80%A9b"})
  void d5_controlAndLineSeparatorCharacters_are400(String key) throws IOException {
    RawHttp.Response r =
        exchange("PUT /cache/" + key + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nv");
    assertEquals(400, r.status(), key + ": " + r.text());
    assertTrue(r.text().contains("control or line-separator character"), r.text());
    assertEquals(0, server.cache().size());
  }

  // ---- defect 6: HEAD and HTTP/1.0 ----

  @Test
  void d6_head_onGetRoutes_hasTheHeadersOfGet_andNoBody_soPipeliningStaysInStep() throws IOException {
    put("/cache/k", "hello");
    try (RawHttp c = connect()) {
      c.send("HEAD /cache/k HTTP/1.1\r\nHost: x\r\n\r\n"
          + "HEAD /cache/missing HTTP/1.1\r\nHost: x\r\n\r\n"
          + "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /cache/k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      RawHttp.Response head = c.read(true);
      assertEquals(200, head.status());
      assertEquals("5", head.header("content-length"));
      assertEquals("application/octet-stream", head.header("content-type"));
      assertEquals(404, c.read(true).status());
      assertEquals(200, c.read(true).status());
      RawHttp.Response get = c.read();
      assertEquals(200, get.status(), get.statusLine());
      assertEquals("hello", get.text());
      c.assertClosedWithNothingMore();
    }
  }

  @Test
  void d6_http10_isServed_andClosedUnlessKeepAliveIsAsked() throws IOException {
    put("/cache/k", "hello");
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send("GET /cache/k HTTP/1.0\r\n\r\n").read();
      assertEquals(200, r.status());
      assertEquals("hello", r.text());
      c.assertClosedWithNothingMore();
    }
    try (RawHttp c = connect()) {
      c.send("PUT /cache/k2 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi");
      RawHttp.Response put = c.read();
      assertEquals(204, put.status());
      assertEquals("keep-alive", put.header("connection"));
      RawHttp.Response get = c.send("GET /cache/k2 HTTP/1.0\r\n\r\n").read();
      assertEquals("hi", get.text());
      c.assertClosedWithNothingMore();
    }
  }

  @Test
  void d6_unknownVersion_is505() throws IOException {
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send("GET /health HTTP/2.7\r\nHost: x\r\n\r\n").read();
      assertEquals(505, r.status());
      c.assertClosedWithNothingMore();
    }
  }
}
