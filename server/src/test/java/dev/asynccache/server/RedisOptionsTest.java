package dev.asynccache.server;

import static dev.asynccache.server.ServerProcess.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.redis.testing.RedisServer;
import dev.asynccache.server.ServerProcess.Run;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * {@code --redis}, {@code --redis-cluster}, {@code --redis-namespace}, {@code
 * --redis-max-staleness}, {@code --redis-timeout} and their variables: how they are read and
 * refused, how a process started with a bad value exits, and what the two durations do to a server
 * on a real {@code redis-server}.
 */
class RedisOptionsTest {
  /** One redis-server for the class (the parse-only tests do not use it), stopped after its last test. */
  @AutoClose private static final RedisServer redis = RedisServer.start();

  private static final String URI = "redis://127.0.0.1:7001";

  private static ServerConfig parse(Map<String, String> env, String... args) {
    return ServerConfig.parse(args, env);
  }

  private static String refused(Map<String, String> env, String... args) {
    return assertThrows(IllegalArgumentException.class, () -> parse(env, args)).getMessage();
  }

  @Test
  void withoutRedis_nothingChanges() {
    assertTrue(parse(Map.of()).redis().isEmpty());
    assertEquals(ServerConfig.defaults(), parse(Map.of()));
  }

  @Test
  void flagAndVariable() {
    ServerConfig.Redis r = parse(Map.of(), "--redis", "redis://127.0.0.1:7001").redis().orElseThrow();
    assertEquals(new ServerConfig.Redis("redis://127.0.0.1:7001", false, "asynccache-server"), r);
    r = parse(Map.of("ASYNC_CACHE_REDIS", "redis://10.0.0.1:7000/2", "ASYNC_CACHE_REDIS_NAMESPACE", "fleet")).redis()
        .orElseThrow();
    assertEquals(new ServerConfig.Redis("redis://10.0.0.1:7000/2", false, "fleet"), r);
    r = parse(Map.of("ASYNC_CACHE_REDIS", "redis://10.0.0.1:7000"), "--redis", "redis://10.0.0.2:7000").redis()
        .orElseThrow();
    assertEquals("redis://10.0.0.2:7000", r.uri(), "the flag wins over the variable");
    r = parse(Map.of("ASYNC_CACHE_REDIS_CLUSTER", "redis://10.0.0.3:7000")).redis().orElseThrow();
    assertEquals(new ServerConfig.Redis("redis://10.0.0.3:7000", true, "asynccache-server"), r);
  }

  @Test
  void badUri_namesTheOptionAndWhatIsExpected() {
    assertEquals("--redis: invalid value \"localhost:7000\": expected redis://host:port (or rediss:// for TLS)",
        refused(Map.of(), "--redis", "localhost:7000"));
    assertEquals("ASYNC_CACHE_REDIS: invalid value \"http://x\": expected redis://host:port (or rediss:// for TLS)",
        refused(Map.of("ASYNC_CACHE_REDIS", "http://x")));
    assertTrue(refused(Map.of(), "--redis-cluster", "redis://").startsWith("--redis-cluster: invalid value \"redis://\": "));
    assertTrue(refused(Map.of(), "--redis", "redis://h:99999").startsWith("--redis: invalid value"));
    String withPassword = refused(Map.of(), "--redis", "redis://:s3cret@:x");
    assertFalse(withPassword.contains("s3cret"), withPassword);
  }

  @Test
  void combinations() {
    assertEquals("--redis-cluster: invalid value \"redis://b:1\": give --redis or --redis-cluster, not both",
        refused(Map.of(), "--redis", "redis://a:1", "--redis-cluster", "redis://b:1"));
    assertEquals("--persistence-path cannot be combined with --redis: Redis is the shared store (persist it with"
            + " Redis's own RDB or AOF)",
        refused(Map.of(), "--redis", "redis://a:1", "--persistence-path", "x.snap"));
    assertEquals("--redis-namespace: invalid value \"x\": needs --redis or --redis-cluster",
        refused(Map.of(), "--redis-namespace", "x"));
    assertTrue(refused(Map.of(), "--redis", "redis://a:1", "--redis-namespace", "a b")
        .startsWith("--redis-namespace: invalid value \"a b\": namespace must not contain"));
    assertTrue(refused(Map.of(), "--redis", "redis://a:1", "--max-value-bytes", "600000000")
        .startsWith("--max-value-bytes must be at most 536870912 (Redis's value limit) with --redis"));
  }

  @Test
  void stalenessAndTimeout_flagAndVariable() {
    ServerConfig.Redis r = parse(Map.of(), "--redis", URI).redis().orElseThrow();
    assertEquals(Duration.ofMinutes(1), r.maxStaleness(), "the two-level cache's own default");
    assertEquals(Duration.ofSeconds(1), r.timeout(), "the two-level cache's own default");
    r = parse(Map.of(), "--redis", URI, "--redis-max-staleness", "5m", "--redis-timeout=250ms").redis().orElseThrow();
    assertEquals(new ServerConfig.Redis(URI, false, "asynccache-server", Duration.ofMinutes(5), Duration.ofMillis(250)),
        r);
    r = parse(Map.of("ASYNC_CACHE_REDIS_CLUSTER", URI, "ASYNC_CACHE_REDIS_MAX_STALENESS", "1H",
        "ASYNC_CACHE_REDIS_TIMEOUT", " 2s ")).redis().orElseThrow();
    assertEquals(new ServerConfig.Redis(URI, true, "asynccache-server", Duration.ofHours(1), Duration.ofSeconds(2)), r);
    r = parse(Map.of("ASYNC_CACHE_REDIS_TIMEOUT", "2s", "ASYNC_CACHE_REDIS_MAX_STALENESS", "30s"), "--redis", URI,
        "--redis-timeout", "100ms").redis().orElseThrow();
    assertEquals(Duration.ofMillis(100), r.timeout(), "the flag wins over the variable");
    assertEquals(Duration.ofSeconds(30), r.maxStaleness());
    assertTrue(r.toString().endsWith(", maxStaleness=PT30S, timeout=PT0.1S]"), r.toString());
  }

  @Test
  void stalenessAndTimeout_badValues_nameTheOption() {
    String unit = "must be a duration with its unit, such as 500ms, 30s, 5m or 1h";
    assertEquals("--redis-timeout: invalid value \"500\": " + unit, refused(Map.of(), "--redis", URI, "--redis-timeout",
        "500"));
    assertEquals("ASYNC_CACHE_REDIS_MAX_STALENESS: invalid value \"1.5s\": " + unit,
        refused(Map.of("ASYNC_CACHE_REDIS_MAX_STALENESS", "1.5s"), "--redis", URI));
    assertEquals("--redis-max-staleness: invalid value \"-5s\": " + unit,
        refused(Map.of(), "--redis", URI, "--redis-max-staleness=-5s"));
    assertEquals("--redis-timeout: invalid value \"2d\": " + unit, refused(Map.of(), "--redis", URI, "--redis-timeout",
        "2d"));
    assertEquals("--redis-timeout: invalid value \"99999999999999999h\": too large",
        refused(Map.of(), "--redis", URI, "--redis-timeout", "99999999999999999h"));
    assertEquals("--redis-max-staleness: invalid value \"0s\": max staleness must be positive",
        refused(Map.of(), "--redis", URI, "--redis-max-staleness", "0s"));
    assertEquals("--redis-timeout: invalid value \"0ms\": timeout must be at least 1 ms",
        refused(Map.of(), "--redis-cluster", URI, "--redis-timeout", "0ms"));
    assertEquals("--redis-timeout: invalid value \"2s\": needs --redis or --redis-cluster",
        refused(Map.of(), "--redis-timeout", "2s"));
    assertEquals("ASYNC_CACHE_REDIS_MAX_STALENESS: invalid value \"30s\": needs --redis or --redis-cluster",
        refused(Map.of("ASYNC_CACHE_REDIS_MAX_STALENESS", "30s")));
    assertThrows(IllegalArgumentException.class,
        () -> new ServerConfig.Redis(URI, false, "n", Duration.ofSeconds(-1), Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class,
        () -> new ServerConfig.Redis(URI, false, "n", Duration.ofSeconds(1), Duration.ofNanos(999_999)));
  }

  @Test
  void usageListsTheOptions() {
    String usage = ServerConfig.usage();
    for (String s : new String[] {"--redis URI", "ASYNC_CACHE_REDIS ", "--redis-cluster URI", "ASYNC_CACHE_REDIS_CLUSTER",
      "--redis-namespace NAME", "ASYNC_CACHE_REDIS_NAMESPACE", "--redis-max-staleness DURATION",
      "ASYNC_CACHE_REDIS_MAX_STALENESS", "--redis-timeout DURATION", "ASYNC_CACHE_REDIS_TIMEOUT"}) {
      assertTrue(usage.contains(s), s + " in\n" + usage);
    }
  }

  // ---------------------------------------------------------------- the process

  @Test
  void process_badUri_isOneLine_exitStatus2() throws Exception {
    Run r = run("--port", "0", "--redis", "127.0.0.1:7000");
    assertEquals(2, r.status(), r.toString());
    assertEquals("", r.stdout());
    assertEquals("async-cache-server: --redis: invalid value \"127.0.0.1:7000\": expected redis://host:port"
        + " (or rediss:// for TLS)\n", r.stderr());
  }

  @Test
  void process_badDuration_andDurationWithoutRedis_areOneLine_exitStatus2() throws Exception {
    Run r = run("--port", "0", "--redis", redis.uri(), "--redis-timeout", "soon");
    assertEquals(2, r.status(), r.toString());
    assertEquals("", r.stdout());
    assertEquals("async-cache-server: --redis-timeout: invalid value \"soon\": must be a duration with its unit,"
        + " such as 500ms, 30s, 5m or 1h\n", r.stderr());
    r = run("--port", "0", "--redis-max-staleness", "1m");
    assertEquals(2, r.status(), r.toString());
    assertEquals("", r.stdout());
    assertEquals("async-cache-server: --redis-max-staleness: invalid value \"1m\": needs --redis or --redis-cluster\n",
        r.stderr());
  }

  // ---------------------------------------------------------------- what they do (in-process servers)

  private static CacheServer serverOnRedis(String namespace, String... options) {
    String[] args = new String[options.length + 6];
    System.arraycopy(new String[] {"--port", "0", "--redis", redis.uri(), "--redis-namespace", namespace}, 0, args, 0,
        6);
    System.arraycopy(options, 0, args, 6, options.length);
    return CacheServer.start(ServerConfig.parse(args, Map.of()));
  }

  /**
   * A Redis silent for 2 s (paused, as under a long stall): with {@code --redis-timeout 30s} the
   * read waits for it and no timeout is counted, where the default 1 s would have given up.
   */
  @Test
  void redisTimeout_boundsEachRedisCall() throws Exception {
    CacheServer server = serverOnRedis("timeout", "--redis-timeout", "30s");
    try {
      TestClient client = new TestClient(server);
      assertEquals(404, client.get("/cache/warm").statusCode()); // a Redis read: connected
      assertEquals("+OK", redis.command("CLIENT PAUSE 2000 ALL"));
      assertEquals(404, client.get("/cache/cold").statusCode()); // an L1 miss: waits for Redis
      assertEquals(0, client.stat("timeouts"), TestClient.text(client.get("/stats")));
      assertEquals(0, client.stat("errors"), TestClient.text(client.get("/stats")));
    } finally {
      server.stop();
    }
  }

  /**
   * A value changed in Redis by another program (not announced): this server's L1 copy is dropped
   * once it is {@code --redis-max-staleness} old, where the default would keep it a minute (the
   * poll's liveness bound is 30 s). Real time: the two-level cache's clock cannot be set from here.
   */
  @Test
  void redisMaxStaleness_boundsHowLongL1KeepsACopy() throws Exception {
    CacheServer server = serverOnRedis("staleness", "--redis-max-staleness", "200ms");
    try {
      TestClient client = new TestClient(server);
      assertEquals(204, client.put("/cache/k", "one").statusCode());
      assertEquals("one", TestClient.text(client.get("/cache/k")));
      // Another value, copied under k without any announcement (a plain SET would lack the
      // stored-value header and be read as undecodable).
      assertEquals(204, client.put("/cache/other", "two").statusCode());
      assertEquals(":1", redis.command("COPY staleness:{other} staleness:{k} REPLACE"));
      SharedRedisTest.awaitTrue("the server reads Redis again once its copy is 200 ms old",
          () -> "two".equals(TestClient.text(client.get("/cache/k"))));
      assertTrue(client.stat("l2_hits") >= 1);
    } finally {
      server.stop();
    }
  }
}
