package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Defect 7 of issue 12: how the server starts and fails for an operator. {@code main} runs in a
 * child JVM (bounded: at most 60 s, killed otherwise); stdout and stderr are read separately.
 */
class OperatorTest {
  /**
   * Blocking helpers get threads of their own: on 2 cores the common pool has one worker, and a
   * task blocked there (a slow body) starved the next one (the stop), so the test timed out.
   */
  private static final java.util.concurrent.Executor THREADS = r -> Thread.ofPlatform().daemon().start(r);

  private record Run(int status, String stdout, String stderr) {}

  private static Run run(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-Xmx128m", "-cp", System.getProperty("java.class.path"), CacheServer.class.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()), THREADS);
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()), THREADS);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the server did not exit");
    }
    return new Run(
        p.exitValue(),
        new String(out.join(), StandardCharsets.UTF_8),
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
  void busyPort_isOneLineOnStderr_exitStatus1() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      Run r = run("--port", Integer.toString(taken.getLocalPort()));
      assertEquals(1, r.status(), r.toString());
      assertEquals("", r.stdout(), "nothing on stdout");
      assertEquals(
          "async-cache-server: cannot listen on 127.0.0.1:" + taken.getLocalPort()
              + ": address already in use (is another server on this port? choose another with --port)\n",
          r.stderr());
    }
  }

  @Test
  void unknownOption_isOneLineOnStderr_exitStatus2() throws Exception {
    Run r = run("--colour", "red");
    assertEquals(2, r.status(), r.toString());
    assertEquals("", r.stdout());
    assertEquals("async-cache-server: unknown option: --colour (see --help)\n", r.stderr());
  }

  @Test
  void misspelledOption_isOneLineOnStderr_withTheLikelyFlag_exitStatus2() throws Exception {
    Run r = run("--persistance-path", "x.snap");
    assertEquals(2, r.status(), r.toString());
    assertEquals("", r.stdout());
    assertEquals(
        "async-cache-server: unknown option: --persistance-path (did you mean --persistence-path? see --help)\n",
        r.stderr());
  }

  @Test
  void helpAndVersion_goToStdout_exitStatus0() throws Exception {
    Run help = run("--help");
    assertEquals(0, help.status(), help.toString());
    assertEquals("", help.stderr());
    assertTrue(help.stdout().startsWith("Usage: run-server [options]"), help.stdout());
    assertTrue(help.stdout().contains("--max-memory SIZE"), help.stdout());
    Run version = run("--version");
    assertEquals(0, version.status(), version.toString());
    assertEquals("", version.stderr());
    assertTrue(version.stdout().startsWith("async-cache-server 0.1.0"), version.stdout());
  }

  @Test
  void badValue_isOneLineOnStderr_exitStatus2() throws Exception {
    Run r = run("--port", "x");
    assertEquals(2, r.status(), r.toString());
    assertEquals("", r.stdout());
    assertEquals("async-cache-server: --port: invalid value \"x\": must be a non-negative integer\n", r.stderr());
  }
}
