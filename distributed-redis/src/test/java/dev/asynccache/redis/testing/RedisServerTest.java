package dev.asynccache.redis.testing;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fixture itself: a real server that starts, answers, dies and comes back. */
@Timeout(30)
class RedisServerTest {

  @Test
  void startsOnAFreeLoopbackPortAndStops() {
    try (RedisServer redis = RedisServer.start()) {
      assertNotEquals(6379, redis.port());
      assertEquals("+PONG", redis.command("PING"));
      redis.kill();
      assertThrows(IllegalStateException.class, () -> redis.command("PING"));
      redis.restart();
      assertEquals("+PONG", redis.command("PING"));
    }
  }

  /** Run in a forked JVM: starts a server, prints its pid, exits without closing it. */
  public static void main(String[] args) {
    RedisServer redis = RedisServer.start();
    System.out.println(redis.pid());
    System.out.flush();
    System.exit(0); // as a JMH fork whose setup threw, or a test JVM ended by System.exit
  }

  @Test
  void aServerNotClosedDiesWithTheJvmThatStartedIt() throws Exception {
    List<String> cmd =
        List.of(
            ProcessHandle.current().info().command().orElseThrow(),
            "-Xmx64m",
            "-cp",
            System.getProperty("java.class.path"),
            RedisServerTest.class.getName());
    Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    long pid;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      assertTrue(child.waitFor(20, TimeUnit.SECONDS), "the forked JVM exits");
      assertNotNull(line, "the forked JVM printed no pid");
      pid = Long.parseLong(line.trim());
    }
    ProcessHandle server = ProcessHandle.of(pid).orElse(null);
    boolean gone =
        server == null
            || server.onExit().completeOnTimeout(null, 10, TimeUnit.SECONDS).join() != null;
    if (server != null && server.isAlive()) {
      server.destroyForcibly(); // do not leak it from this test either
    }
    assertTrue(gone, "redis-server " + pid + " outlived the JVM that started it");
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
  }
}
