package dev.asynccache.server;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process for the server's tests, on a free loopback port (never
 * 6379), without persistence. A missing binary fails the test with how to install it (never a
 * skip). Not thread-safe: one test thread drives it.
 */
final class RedisProcess implements AutoCloseable {
  static final String MISSING =
      "redis-server is not installed (not found on PATH); install it: apt-get install redis-server"
          + " (Debian/Ubuntu), brew install redis (macOS)";

  private final Path dir;
  private final int port;
  private Process process;

  private RedisProcess(Path dir, int port, Process process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** Starts one in {@code dir} on a free port. */
  static RedisProcess start(Path dir) throws IOException, InterruptedException {
    binary(); // fail first with the install message
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = freePort();
      try {
        return new RedisProcess(dir, port, launch(dir, port));
      } catch (IOException e) {
        last = e; // the port was taken meanwhile: another one
      }
    }
    throw last;
  }

  /** Starts one in {@code dir} on {@code port}, which must be free. */
  static RedisProcess startOn(Path dir, int port) throws IOException, InterruptedException {
    binary();
    return new RedisProcess(dir, port, launch(dir, port));
  }

  /** The URI of the server, {@code redis://127.0.0.1:<port>}. */
  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  /** Kills the process ({@code SIGKILL}) and waits until it is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Starts it again on the same port (after {@link #kill()}), empty. */
  void restart() throws IOException, InterruptedException {
    IOException last = null;
    for (int attempt = 0; attempt < 50; attempt++) {
      try {
        process = launch(dir, port);
        return;
      } catch (IOException e) {
        last = e; // the port may linger a moment
        Thread.sleep(100);
      }
    }
    throw last;
  }

  /** Sends one inline command and returns the first reply line. */
  String command(String inline) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write((inline + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return line.toString();
    }
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  private static Process launch(Path dir, int port) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path log = dir.resolve("redis-" + port + ".log");
    Process p =
        new ProcessBuilder(
                List.of(binary(), "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", dir.toString(), "--logfile", log.toString()))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis-" + port + ".out").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("redis-server exited at start: " + (Files.exists(log) ? Files.readString(log) : ""));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
        s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        s.setSoTimeout(2000);
        byte[] reply = new byte[5];
        if (s.getInputStream().readNBytes(reply, 0, 5) == 5 && new String(reply, StandardCharsets.US_ASCII).equals("+PONG")) {
          return p;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(20);
    }
    p.destroyForcibly();
    throw new IOException("redis-server not ready on port " + port + " after 20 s");
  }

  private static String binary() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(d, "redis-server");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    throw new IllegalStateException(MISSING);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
