package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The connection's allocation-free read path: input read into the connection's own buffer, a body
 * longer than that buffer read straight into its value, a GET hit written without a reply object.
 * Requests that span reads, bodies split across writes and pipelined requests behind a body must
 * come out byte for byte.
 */
class ReadPathTest {
  private CacheServer server;

  @BeforeEach
  void start() {
    server = CacheServer.start(ServerConfig.builder().port(0).maxValueBytes(1 << 20).maxSize(10_000).build());
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void aBodyLongerThanTheReadBuffer_sentInTwoParts_withTheNextRequestBehindIt_isStoredWhole() throws IOException {
    byte[] value = new byte[100_000];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (i * 31);
    }
    try (RawHttp c = new RawHttp(server.port())) {
      c.send(ascii("PUT /cache/big HTTP/1.1\r\nHost: x\r\nContent-Length: " + value.length + "\r\n\r\n"));
      c.send(Arrays.copyOfRange(value, 0, 30_000));
      ByteArrayOutputStream rest = new ByteArrayOutputStream();
      rest.write(value, 30_000, value.length - 30_000);
      rest.write(ascii("GET /cache/big HTTP/1.1\r\nHost: x\r\n\r\n"));
      c.send(rest.toByteArray());
      assertEquals(204, c.read().status());
      RawHttp.Response got = c.read();
      assertEquals(200, got.status());
      assertArrayEquals(value, got.body());
    }
  }

  @Test
  void hundredsOfPipelinedPuts_spanningManyReads_areAllStored() throws IOException {
    int n = 300;
    ByteArrayOutputStream puts = new ByteArrayOutputStream();
    for (int i = 0; i < n; i++) {
      String v = "value-" + i + "-" + "v".repeat(100);
      puts.write(ascii("PUT /cache/k" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + v.length() + "\r\n\r\n" + v));
    }
    try (RawHttp c = new RawHttp(server.port())) {
      c.send(puts.toByteArray());
      for (int i = 0; i < n; i++) {
        assertEquals(204, c.read().status(), "PUT " + i);
      }
      StringBuilder gets = new StringBuilder();
      for (int i = 0; i < n; i++) {
        gets.append("GET /cache/k").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
      }
      c.send(gets.toString());
      for (int i = 0; i < n; i++) {
        RawHttp.Response r = c.read();
        assertEquals(200, r.status(), "GET " + i);
        assertEquals("value-" + i + "-" + "v".repeat(100), r.text());
      }
    }
  }

  @Test
  void aHit_askedToClose_isAnsweredWithItsValue_andCloses() throws IOException {
    try (RawHttp c = new RawHttp(server.port())) {
      c.send("PUT /cache/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
      assertEquals(204, c.read().status());
      c.send("GET /cache/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      RawHttp.Response r = c.read();
      assertEquals(200, r.status());
      assertEquals("abc", r.text());
      assertEquals("close", r.header("Connection"));
      assertEquals("application/octet-stream", r.header("Content-Type"));
      c.assertClosedWithNothingMore();
    }
  }
}
