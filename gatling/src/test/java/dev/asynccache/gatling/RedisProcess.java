package dev.asynccache.gatling;

import java.io.File;
import java.io.IOException;
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
 * A {@code redis-server} process for {@code -Dredis=start}: a free loopback port (never 6379), no
 * persistence, stopped by {@link #close()}. A missing binary fails the run with how to install it.
 */
final class RedisProcess implements AutoCloseable {
  private final Process process;
  private final int port;

  private RedisProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static RedisProcess start() {
    String binary = binary();
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("gatling-redis");
        Process p =
            new ProcessBuilder(List.of(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", dir.toString(), "--logfile", dir.resolve("redis.log").toString()))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.out").toFile())
                .start();
        if (ready(p, port)) {
          return new RedisProcess(p, port);
        }
        p.destroyForcibly();
      } catch (IOException e) {
        last = e;
      }
    }
    throw new IllegalStateException("redis-server did not start on a free port", last);
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static boolean ready(Process p, int port) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline && p.isAlive()) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
        s.setSoTimeout(2000);
        s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        if (new String(s.getInputStream().readNBytes(5), StandardCharsets.US_ASCII).equals("+PONG")) {
          return true;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private static String binary() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(d, "redis-server");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    throw new IllegalStateException(
        "-Dredis=start: redis-server is not installed (not found on PATH); install it: apt-get install redis-server");
  }
}
