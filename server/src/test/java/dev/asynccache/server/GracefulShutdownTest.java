package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.asynccache.CacheClosedException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** A stop lets the requests in flight finish, turns new ones away, then closes. */
class GracefulShutdownTest {
  /**
   * Blocking helpers get threads of their own: on 2 cores the common pool has one worker, and a
   * task blocked there (a slow body) starved the next one (the stop), so the test timed out.
   */
  private static final java.util.concurrent.Executor THREADS = r -> Thread.ofPlatform().daemon().start(r);


  @Test
  void stop_letsTheRequestInFlightFinish_thenClosesListenerAndCache() throws Exception {
    CacheServer server =
        CacheServer.start(ServerConfig.builder().port(0).shutdownGrace(Duration.ofSeconds(30)).build());
    TestClient client = new TestClient(server);
    CountDownLatch release = new CountDownLatch(1);

    // A PUT whose body arrives in two parts: the handler is running, blocked on the rest of it.
    InputStream slowBody =
        new InputStream() {
          private final byte[] data = "in-flight value".getBytes(StandardCharsets.UTF_8);
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
            if (pos < 2) {
              b[off] = data[pos++];
              return 1;
            }
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
                return client.send("PUT", "/cache/slow", BodyPublishers.ofInputStream(() -> slowBody));
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            },
            THREADS);
    await(() -> server.inFlightRequests() == 1, "the PUT to reach its handler");

    CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop, THREADS);
    await(server::isDraining, "the stop to begin");
    assertFalse(server.isRunning());

    // New requests are turned away while the old one finishes.
    try (Socket s = client.socket()) {
      TestClient.write(s, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      TestClient.RawResponse r = TestClient.read(s);
      assertEquals(503, r.status());
      assertEquals("{\"error\":\"server is shutting down\"}\n", r.body());
    }
    assertFalse(stopping.isDone(), "stop must wait for the request in flight");
    assertFalse(inFlight.isDone());

    release.countDown();
    HttpResponse<byte[]> response = inFlight.get(30, TimeUnit.SECONDS);
    assertEquals(204, response.statusCode());
    stopping.get(30, TimeUnit.SECONDS);

    // The value was stored before the cache closed; then everything is closed.
    assertThrows(CacheClosedException.class, () -> server.cache().getIfPresent("slow"));
    assertThrows(ConnectException.class, () -> client.get("/health"));
    server.stop(); // twice is fine
  }

  @Test
  void stop_withNothingInFlight_isQuick_andIdempotent() throws Exception {
    CacheServer server = CacheServer.start(ServerConfig.builder().port(0).build());
    TestClient client = new TestClient(server);
    assertEquals(204, client.put("/cache/k", "v").statusCode());
    CompletableFuture<Void> a = CompletableFuture.runAsync(server::stop, THREADS);
    CompletableFuture<Void> b = CompletableFuture.runAsync(server::close, THREADS);
    a.get(30, TimeUnit.SECONDS);
    b.get(30, TimeUnit.SECONDS);
    server.awaitStop();
    assertFalse(server.isRunning());
    assertThrows(ConnectException.class, () -> client.get("/health"));
  }

  @Test
  void stop_givesUpOnARequestThatOutlivesTheGrace() throws Exception {
    CacheServer server = CacheServer.start(ServerConfig.builder().port(0).shutdownGrace(Duration.ZERO).build());
    TestClient client = new TestClient(server);
    try (Socket s = client.socket()) {
      // Headers promise 10 bytes; only 2 come: the handler waits for the rest.
      TestClient.write(s, "PUT /cache/stuck HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nab");
      await(() -> server.inFlightRequests() == 1, "the PUT to reach its handler");
      server.stop(); // returns although the request never completes
      assertFalse(server.isRunning());
      assertThrows(ConnectException.class, () -> client.get("/health"));
    }
  }

  /** Polls a condition that another thread makes true (not a timing assertion). */
  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(1);
    }
  }
}
