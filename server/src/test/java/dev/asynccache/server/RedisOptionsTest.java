package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code --redis}, {@code --redis-cluster}, {@code --redis-namespace} and their variables: how
 * they are read and refused, and how a process started with a bad or unreachable Redis exits.
 */
class RedisOptionsTest {

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
  void usageListsTheOptions() {
    String usage = ServerConfig.usage();
    for (String s : new String[] {"--redis URI", "ASYNC_CACHE_REDIS ", "--redis-cluster URI", "ASYNC_CACHE_REDIS_CLUSTER",
      "--redis-namespace NAME", "ASYNC_CACHE_REDIS_NAMESPACE"}) {
      assertTrue(usage.contains(s), s + " in\n" + usage);
    }
  }

  // ---------------------------------------------------------------- the process

  private record Run(int status, String stdout, String stderr) {}

  private static Run run(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx128m", "-cp", System.getProperty("java.class.path"), CacheServer.class.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the server did not exit");
    }
    return new Run(p.exitValue(), new String(out.join(), StandardCharsets.UTF_8),
        new String(err.join(), StandardCharsets.UTF_8));
  }

  private static byte[] readAll(java.io.InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  @Test
  void process_badUri_isOneLine_exitStatus2() throws Exception {
    Run r = run("--port", "0", "--redis", "127.0.0.1:7000");
    assertEquals(2, r.status(), r.toString());
    assertEquals("", r.stdout());
    assertEquals("async-cache-server: --redis: invalid value \"127.0.0.1:7000\": expected redis://host:port"
        + " (or rediss:// for TLS)\n", r.stderr());
  }
}
