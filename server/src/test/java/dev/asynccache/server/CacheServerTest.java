package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real server on a free loopback port, spoken to over HTTP. */
class CacheServerTest {
  private static final int VALUE_LIMIT = 1024;

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private CacheServer server;
  private TestClient client;

  @BeforeEach
  void start() {
    server = start(ServerConfig.builder().port(0).maxValueBytes(VALUE_LIMIT).maxSize(10_000).build());
  }

  private CacheServer start(ServerConfig config) {
    CacheServer s = CacheServer.start(config, nanos::get);
    client = new TestClient(s);
    return s;
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void bindsLoopbackOnAFreePort() {
    assertEquals("127.0.0.1", server.uri().getHost());
    assertTrue(server.port() > 0);
    assertTrue(server.isRunning());
  }

  @Test
  void put_get_delete_roundTrip() throws Exception {
    byte[] value = {0, 1, 2, (byte) 255, 10, 13};
    HttpResponse<byte[]> put = client.put("/cache/k1", value);
    assertEquals(204, put.statusCode());

    HttpResponse<byte[]> get = client.get("/cache/k1");
    assertEquals(200, get.statusCode());
    assertArrayEquals(value, get.body());
    assertEquals("application/octet-stream", get.headers().firstValue("content-type").orElseThrow());

    assertEquals(204, client.put("/cache/k1", "second").statusCode());
    assertEquals("second", TestClient.text(client.get("/cache/k1")));

    assertEquals(204, client.delete("/cache/k1").statusCode());
    HttpResponse<byte[]> gone = client.get("/cache/k1");
    assertEquals(404, gone.statusCode());
    assertEquals("{\"error\":\"no entry for key \\\"k1\\\"\"}\n", TestClient.text(gone));
    assertEquals(404, client.delete("/cache/k1").statusCode());
  }

  @Test
  void emptyValue_isAValue() throws Exception {
    assertEquals(204, client.put("/cache/empty", new byte[0]).statusCode());
    HttpResponse<byte[]> get = client.get("/cache/empty");
    assertEquals(200, get.statusCode());
    assertEquals(0, get.body().length);
  }

  @Test
  void keys_arePercentDecoded_andMayHoldSlashesAndUnicode() throws Exception {
    String key = "user/42:profile é✓";
    String path = "/cache/" + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
    assertEquals(204, client.put(path, "v").statusCode());
    assertEquals("v", TestClient.text(client.get(path)));
    assertEquals(1, server.cache().size());
    assertEquals("v", new String(server.cache().getIfPresent(key), StandardCharsets.UTF_8));
    assertEquals(204, client.put("/cache/a/b/c", "abc").statusCode());
    assertEquals("abc", new String(server.cache().getIfPresent("a/b/c"), StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET", "PUT", "DELETE"})
  void emptyKey_is400(String method) throws Exception {
    for (String path : List.of("/cache/", "/cache")) {
      HttpResponse<byte[]> r = client.send(method, path, BodyPublishers.ofString("v"));
      assertEquals(400, r.statusCode(), method + " " + path);
      assertEquals("{\"error\":\"key must not be empty: use /cache/{key}\"}\n", TestClient.text(r));
    }
    assertEquals(0, server.cache().size());
  }

  @Test
  void keyOf250Bytes_isAccepted_251Bytes_is400AndChangesNothing() throws Exception {
    String k250 = "k".repeat(250);
    assertEquals(204, client.put("/cache/" + k250, "v").statusCode());
    assertEquals(200, client.get("/cache/" + k250).statusCode());

    String k251 = "k".repeat(251);
    for (String method : List.of("PUT", "GET", "DELETE")) {
      HttpResponse<byte[]> r = client.send(method, "/cache/" + k251, BodyPublishers.ofString("v"));
      assertEquals(400, r.statusCode(), method);
      assertEquals("{\"error\":\"key is 251 bytes in UTF-8, the limit is 250\"}\n", TestClient.text(r));
    }
    // 126 chars, but 252 bytes in UTF-8: the limit counts bytes.
    HttpResponse<byte[]> multiByte =
        client.put("/cache/" + URLEncoder.encode("é".repeat(126), StandardCharsets.UTF_8), "v");
    assertEquals(400, multiByte.statusCode());
    assertEquals(1, server.cache().size());
    assertEquals(1, client.stat("sets"));
  }

  @Test
  void valueOverTheLimit_is413_andKeepsTheOldValue() throws Exception {
    assertEquals(204, client.put("/cache/v", "old").statusCode());
    assertEquals(204, client.put("/cache/exact", new byte[VALUE_LIMIT]).statusCode());

    HttpResponse<byte[]> tooBig = client.put("/cache/v", new byte[VALUE_LIMIT + 1]);
    assertEquals(413, tooBig.statusCode());
    assertEquals(
        "{\"error\":\"value is 1025 bytes, the limit is 1024 bytes\"}\n", TestClient.text(tooBig));
    assertEquals("old", TestClient.text(client.get("/cache/v")));
  }

  @Test
  void chunkedValueOverTheLimit_is413_andStoresNothing() throws Exception {
    // No Content-Length: the server reads at most limit + 1 bytes, then refuses.
    byte[] body = new byte[VALUE_LIMIT * 4];
    HttpResponse<byte[]> r =
        client.send("PUT", "/cache/chunked", BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body)));
    assertEquals(413, r.statusCode());
    assertEquals(
        "{\"error\":\"value is more than 1024 bytes, the limit is 1024 bytes\"}\n", TestClient.text(r));
    assertEquals(404, client.get("/cache/chunked").statusCode());

    HttpResponse<byte[]> fits =
        client.send("PUT", "/cache/chunked", BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[VALUE_LIMIT])));
    assertEquals(204, fits.statusCode());
    assertEquals(VALUE_LIMIT, client.get("/cache/chunked").body().length);
  }

  @Test
  void declaredLengthOverTheLimit_isRefusedBeforeTheBodyIsSent() throws Exception {
    // The client announces 1 GiB and sends nothing: an answer proves the server did not wait to read it.
    try (Socket s = client.socket()) {
      TestClient.write(
          s,
          "PUT /cache/huge HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1073741824\r\n"
              + "Content-Type: application/octet-stream\r\n\r\n");
      TestClient.RawResponse r = TestClient.read(s);
      assertEquals(413, r.status());
      assertEquals("close", r.headers().get("connection"));
      assertEquals("{\"error\":\"value is 1073741824 bytes, the limit is 1024 bytes\"}\n", r.body());
    }
    assertEquals(0, server.cache().size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "abc", "1.5", "", "%2B5", "1e3", "99999999999999999999"})
  void badTtl_is400_andStoresNothing(String ttl) throws Exception {
    HttpResponse<byte[]> r = client.put("/cache/t?ttl=" + ttl, "v");
    assertEquals(400, r.statusCode(), ttl);
    assertTrue(TestClient.text(r).startsWith("{\"error\":\"ttl "), TestClient.text(r));
    assertEquals(404, client.get("/cache/t").statusCode());
  }

  @Test
  void ttlGivenTwice_is400() throws Exception {
    HttpResponse<byte[]> r = client.put("/cache/t?ttl=1&ttl=2", "v");
    assertEquals(400, r.statusCode());
    assertEquals("{\"error\":\"ttl must be given at most once, was given 2 times\"}\n", TestClient.text(r));
  }

  @Test
  void ttl_expiresTheEntry_byTheInjectedClock() throws Exception {
    assertEquals(204, client.put("/cache/t?ttl=5", "v").statusCode());
    advance(Duration.ofMillis(4_999));
    assertEquals(200, client.get("/cache/t").statusCode());
    advance(Duration.ofMillis(1));
    assertEquals(404, client.get("/cache/t").statusCode());
    assertEquals(1, client.stat("expirations"));
  }

  @Test
  void ttlZero_neverExpires_evenWithADefaultTtl() throws Exception {
    server.stop();
    server = start(ServerConfig.builder().port(0).defaultTtl(Duration.ofSeconds(10)).build());
    assertEquals(204, client.put("/cache/default", "v").statusCode());
    assertEquals(204, client.put("/cache/forever?ttl=0", "v").statusCode());
    assertEquals(204, client.put("/cache/longer?ttl=20", "v").statusCode());
    advance(Duration.ofSeconds(10));
    assertEquals(404, client.get("/cache/default").statusCode());
    assertEquals(200, client.get("/cache/longer").statusCode());
    advance(Duration.ofDays(365));
    assertEquals(404, client.get("/cache/longer").statusCode());
    assertEquals(200, client.get("/cache/forever").statusCode());
  }

  @Test
  void maxSize_evictsTheLeastRecentlyUsed() throws Exception {
    server.stop();
    server = start(ServerConfig.builder().port(0).maxSize(2).build());
    client.put("/cache/a", "1");
    client.put("/cache/b", "2");
    client.get("/cache/a");
    client.put("/cache/c", "3");
    assertEquals(404, client.get("/cache/b").statusCode());
    assertEquals(200, client.get("/cache/a").statusCode());
    assertEquals(1, client.stat("evictions"));
    assertEquals(2, client.stat("max_size"));
  }

  @Test
  void unknownRoute_is404() throws Exception {
    for (String path : List.of("/", "/nope", "/cachex/k", "/stats/more")) {
      HttpResponse<byte[]> r = client.get(path);
      assertEquals(404, r.statusCode(), path);
      assertTrue(TestClient.text(r).startsWith("{\"error\":\"no route for GET " + path), TestClient.text(r));
    }
  }

  @Test
  void wrongMethod_is405_withAllow() throws Exception {
    record Case(String method, String path, String allow) {}
    for (Case c :
        List.of(
            new Case("POST", "/cache/k", "GET, HEAD, PUT, DELETE"),
            new Case("PATCH", "/cache/k", "GET, HEAD, PUT, DELETE"),
            new Case("POST", "/cache/", "GET, HEAD, PUT, DELETE"),
            new Case("DELETE", "/stats", "GET, HEAD"),
            new Case("PUT", "/metrics", "GET, HEAD"),
            new Case("POST", "/health", "GET, HEAD"))) {
      HttpResponse<byte[]> r = client.send(c.method(), c.path(), BodyPublishers.ofString("x"));
      assertEquals(405, r.statusCode(), c.toString());
      assertEquals(c.allow(), r.headers().firstValue("allow").orElseThrow(), c.toString());
      assertTrue(TestClient.text(r).contains(c.method() + " is not allowed on " + c.path()), TestClient.text(r));
    }
    assertEquals(0, server.cache().size());
  }

  @Test
  void health_isUp_withTheConnectionCount() throws Exception {
    HttpResponse<byte[]> r = client.get("/health");
    assertEquals(200, r.statusCode());
    String body = TestClient.text(r);
    assertTrue(
        body.startsWith("{\"status\":\"UP\",\"connections\":1,\"max_connections\":" + server.maxConnections()), body);
    assertTrue(server.maxConnections() > 0);
  }

  @Test
  void stats_countHitsMissesSetsDeletes() throws Exception {
    client.put("/cache/a", "1");
    client.put("/cache/b", "2");
    client.get("/cache/a");
    client.get("/cache/a");
    client.get("/cache/a");
    client.get("/cache/missing");
    client.delete("/cache/b");
    client.delete("/cache/b");

    HttpResponse<byte[]> r = client.get("/stats");
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
    String json = TestClient.text(r);
    var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    List<String> names = new java.util.ArrayList<>();
    doc.fieldNames().forEachRemaining(names::add);
    assertEquals(
        List.of("hits", "misses", "hit_rate", "size", "max_size", "max_memory_bytes", "evictions", "expirations",
            "load_successes", "load_failures", "joined_loads", "sets", "deletes", "requests_in_flight", "responses",
            "uptime_seconds", "memory_bytes"),
        names, "the field names and order /stats always had, then memory_bytes");
    assertEquals(3, doc.get("hits").asLong());
    assertEquals(1, doc.get("misses").asLong());
    assertEquals(0.75, doc.get("hit_rate").asDouble());
    assertEquals(1, doc.get("size").asLong());
    assertEquals(10000, doc.get("max_size").asLong());
    for (String zero : List.of("evictions", "expirations", "load_successes", "load_failures", "joined_loads")) {
      assertEquals(0, doc.get(zero).asLong(), zero);
    }
    assertEquals(2, doc.get("sets").asLong());
    assertEquals(1, doc.get("deletes").asLong());
    assertEquals(1, doc.get("requests_in_flight").asLong());
    assertEquals("{\"200\":3,\"204\":3,\"404\":2}", doc.get("responses").toString());
    assertTrue(doc.get("uptime_seconds").isDouble(), json);
    assertTrue(json.startsWith("{") && json.endsWith("}\n"), json);
  }

  @Test
  void metrics_arePrometheusText() throws Exception {
    client.put("/cache/a", "1");
    client.get("/cache/a");
    client.get("/cache/b");
    HttpResponse<byte[]> r = client.get("/metrics");
    assertEquals(200, r.statusCode());
    assertEquals(
        "text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
    String text = TestClient.text(r);
    // name{labels} -> value, and name -> type, as a Prometheus scraper reads them
    java.util.Map<String, Double> samples = new java.util.HashMap<>();
    java.util.Map<String, String> types = new java.util.HashMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.split(" ");
        types.put(parts[2], parts[3]);
      } else if (!line.startsWith("#") && !line.isBlank()) {
        int space = line.lastIndexOf(' ');
        samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    java.util.Map<String, Double> expected = new java.util.LinkedHashMap<>();
    expected.put("asynccache_hits_total", 1.0);
    expected.put("asynccache_misses_total", 1.0);
    expected.put("asynccache_sets_total", 1.0);
    expected.put("asynccache_deletes_total", 0.0);
    expected.put("asynccache_evictions_total", 0.0);
    expected.put("asynccache_expirations_total", 0.0);
    expected.put("asynccache_load_successes_total", 0.0);
    expected.put("asynccache_load_failures_total", 0.0);
    expected.put("asynccache_entries", 1.0);
    expected.put("asynccache_max_entries", 10000.0);
    expected.put("asynccache_max_memory_bytes", (double) server.maxMemory());
    expected.put("asynccache_hit_ratio", 0.5);
    expected.put("asynccache_http_requests_in_flight", 1.0);
    expected.put("asynccache_http_connections_max", (double) server.maxConnections());
    expected.put("asynccache_http_responses_total{code=\"200\"}", 1.0);
    expected.put("asynccache_http_responses_total{code=\"204\"}", 1.0);
    expected.put("asynccache_http_responses_total{code=\"404\"}", 1.0);
    expected.forEach((name, value) -> assertEquals(value, samples.get(name), name + " in\n" + text));
    assertTrue(samples.get("asynccache_uptime_seconds") > 0, text);
    assertTrue(samples.get("asynccache_http_connections") >= 1, text);
    assertTrue(samples.keySet().stream().anyMatch(n -> n.startsWith("jvm_memory_used_bytes{")), text);
    // Counters are typed counter and end in _total; gauges are typed gauge; every sample is declared.
    for (String name : samples.keySet()) {
      String family = name.split("\\{")[0];
      if (family.startsWith("asynccache_")) {
        String type = types.get(family);
        assertEquals(family.endsWith("_total") ? "counter" : "gauge", type, family);
      }
    }
  }

  @Test
  void keepAlive_servesManyRequestsOnOneConnection() throws Exception {
    try (Socket s = client.socket()) {
      TestClient.write(s, "PUT /cache/ka HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
      assertEquals(204, TestClient.read(s).status());
      for (int i = 0; i < 3; i++) {
        TestClient.write(s, "GET /cache/ka HTTP/1.1\r\nHost: localhost\r\n\r\n");
        TestClient.RawResponse r = TestClient.read(s);
        assertEquals(200, r.status());
        assertEquals("hello", r.body());
        assertEquals(null, r.headers().get("connection")); // HTTP/1.1: persistent unless "close"
      }
      // Errors keep the connection too (except 413, which closes it rather than drain a body).
      TestClient.write(s, "GET /cache/missing HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assertEquals(404, TestClient.read(s).status());
      TestClient.write(s, "GET /stats HTTP/1.1\r\nHost: localhost\r\n\r\n");
      TestClient.RawResponse stats = TestClient.read(s);
      assertTrue(stats.body().contains("\"hits\":3,"), stats.body());
    }
  }

  @Test
  void concurrentClients_loseNoWrite() throws Exception {
    int threads = 32;
    int perThread = 40;
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Integer>> results = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < threads; t++) {
        int id = t;
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  int ok = 0;
                  for (int i = 0; i < perThread; i++) {
                    String key = "/cache/t" + id + "-" + i;
                    if (client.put(key, key).statusCode() == 204 && TestClient.text(client.get(key)).equals(key)) {
                      ok++;
                    }
                  }
                  return ok;
                }));
      }
      go.countDown();
      int ok = 0;
      for (Future<Integer> f : results) {
        ok += f.get(60, TimeUnit.SECONDS);
      }
      assertEquals(threads * perThread, ok);
    }
    assertEquals(threads * perThread, client.stat("sets"));
    assertEquals(threads * perThread, client.stat("hits"));
    assertEquals(threads * perThread, client.stat("size"));
  }

  @Test
  void run_printsHelp_andRejectsBadFlags() throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    var err = new java.io.ByteArrayOutputStream();
    var outStream = new java.io.PrintStream(out, true, StandardCharsets.UTF_8);
    var errStream = new java.io.PrintStream(err, true, StandardCharsets.UTF_8);
    assertEquals(0, CacheServer.run(new String[] {"--help"}, outStream, errStream));
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: run-server"));
    assertEquals(2, CacheServer.run(new String[] {"--port", "x"}, outStream, errStream));
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("--port: invalid value \"x\""),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void portInUse_failsToStart_withAClearMessage() {
    ServerConfig taken = ServerConfig.builder().port(server.port()).build();
    var e = assertThrows(IllegalStateException.class, () -> CacheServer.start(taken).stop());
    assertEquals(
        "cannot listen on 127.0.0.1:" + server.port() + ": address already in use (is another server on this port?"
            + " choose another with --port)",
        e.getMessage());
  }
}
