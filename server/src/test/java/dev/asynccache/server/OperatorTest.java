package dev.asynccache.server;

import static dev.asynccache.server.ServerProcess.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.server.ServerProcess.Run;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * Defect 7 of issue 12: how the server starts and fails for an operator. {@code main} runs in a
 * child JVM (bounded: at most 60 s, killed otherwise); stdout and stderr are read separately.
 */
class OperatorTest {
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
