package dev.asynccache.redis.testing;

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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} process on a free loopback port (never 6379), without persistence,
 * for one test class or one benchmark trial. Shared test fixture: published in this module's
 * test-jar ({@code async-cache-redis:tests}), which {@code perf}'s Redis benchmarks use, so the
 * start-up (free port, launch, wait for PONG) lives in one place. Not part of the library's API.
 * Instances are thread-safe ({@link #kill()}, {@link #restart()} and {@link #close()} are
 * synchronized; commands open their own socket). {@link #kill()} and {@link #restart()} simulate an outage on the same port.
 * A missing binary fails the test with how to install it; it never skips.
 */
public final class RedisServer implements AutoCloseable {
  public static final String INSTALL_HINT =
      "redis-server is not installed (not found on PATH); "
          + "install redis-server: apt-get install redis-server";

  private final String binary;
  private final Path dir;
  private final int port;
  private final List<String> extra;
  private Process process;

  /**
   * Servers started and not yet killed. A JVM that exits without closing its servers (a benchmark
   * fork whose setup threw, a test JVM that System.exit ends) kills them on its way out, so that no
   * redis-server outlives it; only a SIGKILL of the JVM itself can still leave one behind.
   */
  private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> RUNNING.forEach(Process::destroyForcibly), "redis-server-reaper"));
  }

  private RedisServer(String binary, Path dir, int port, List<String> extra, Process process) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
    this.extra = extra;
    this.process = process;
  }

  /** Starts a server on a free loopback port; retries another port if one is taken meanwhile. */
  public static RedisServer start() {
    return start(List.of());
  }

  /**
   * Starts a server with extra options (e.g. Cluster mode, which also needs port + 10000 free for
   * the cluster bus; the port chosen leaves it free at the time of the check).
   */
  public static RedisServer start(List<String> extra) {
    String binary = findBinary();
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = freePort();
      Path dir = newDir();
      try {
        Process p = launch(binary, dir, port, extra);
        return new RedisServer(binary, dir, port, List.copyOf(extra), p);
      } catch (IOException e) {
        last = e;
        deleteTree(dir);
      }
    }
    throw new IllegalStateException("redis-server did not start on any of 5 free ports", last);
  }

  /** A new temporary working directory for one redis-server. */
  private static Path newDir() {
    try {
      return Files.createTempDirectory("redis-test-");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create a directory for redis-server", e);
    }
  }

  /**
   * Starts a server on {@code port}, which must be free: for a test that first points a client at a
   * port where nothing listens yet ({@link #freePort()}), then brings Redis up there.
   */
  public static RedisServer startOn(int port) {
    String binary = findBinary();
    Path dir = newDir();
    try {
      return new RedisServer(binary, dir, port, List.of(), launch(binary, dir, port, List.of()));
    } catch (IOException e) {
      deleteTree(dir);
      throw new IllegalStateException("redis-server did not start on port " + port, e);
    }
  }

  public static String findBinary() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      File f = new File(dir, "redis-server");
      if (f.isFile() && f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    throw new AssertionError(INSTALL_HINT);
  }

  public int port() {
    return port;
  }

  /** The process id of the running {@code redis-server}. */
  public synchronized long pid() {
    return process.pid();
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Kills the server at once (SIGKILL), as a crash would. */
  public synchronized void kill() {
    process.destroyForcibly();
    RUNNING.remove(process);
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Starts the server again on the same port, empty. */
  public synchronized void restart() {
    kill();
    IOException last = null;
    for (int attempt = 0; attempt < 20; attempt++) {
      try {
        process = launch(binary, dir, port, extra);
        return;
      } catch (IOException e) {
        last = e; // the port may linger for a moment after the kill
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    throw new IllegalStateException("redis-server did not restart on port " + port, last);
  }

  /** Sends one command in the inline protocol and returns the first line of the reply. */
  public String command(String inline) {
    return exchange(inline, false);
  }

  /** Kills every connection named {@code name} ({@code CLIENT LIST}, then {@code CLIENT KILL ID}). */
  public int killClientsNamed(String name) {
    int killed = 0;
    for (String line : rawCommand("CLIENT LIST").split("\n")) {
      String id = null;
      boolean match = false;
      for (String field : line.trim().split(" ")) {
        if (field.startsWith("id=")) {
          id = field.substring(3);
        } else if (field.equals("name=" + name)) {
          match = true;
        }
      }
      if (match && id != null && command("CLIENT KILL ID " + id).equals(":1")) {
        killed++;
      }
    }
    return killed;
  }

  /** The number of calls of {@code command} since the start, from {@code INFO commandstats}. */
  public long commandStat(String command) {
    String info = rawCommand("INFO commandstats");
    String marker = "cmdstat_" + command.toLowerCase(java.util.Locale.ROOT) + ":calls=";
    int i = info.indexOf(marker);
    if (i < 0) {
      return 0;
    }
    int start = i + marker.length();
    int end = start;
    while (end < info.length() && Character.isDigit(info.charAt(end))) {
      end++;
    }
    return Long.parseLong(info.substring(start, end));
  }

  /** Sends one command in the inline protocol and returns the whole reply (a bulk string's body). */
  public String rawCommand(String inline) {
    return exchange(inline, true);
  }

  /**
   * Sends one binary-safe command (its arguments as bytes, in the RESP protocol, as a client
   * library does) and returns the first line of the reply, e.g. {@code +OK}.
   */
  public String binaryCommand(byte[]... args) {
    return new String(exchange(resp(args), new String(args[0], StandardCharsets.UTF_8), false),
        StandardCharsets.UTF_8);
  }

  /** Sends one binary-safe command and returns a bulk string reply's bytes (empty for nil). */
  public byte[] binaryBulk(byte[]... args) {
    return exchange(resp(args), new String(args[0], StandardCharsets.UTF_8), true);
  }

  private static byte[] resp(byte[]... args) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (byte[] a : args) {
      out.writeBytes(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(a);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    return out.toByteArray();
  }

  /** One command on a socket of its own: the reply's first line, or with {@code bulkBody} a bulk string's body. */
  private String exchange(String inline, boolean bulkBody) {
    return new String(
        exchange((inline + "\r\n").getBytes(StandardCharsets.UTF_8), inline, bulkBody),
        StandardCharsets.UTF_8);
  }

  private byte[] exchange(byte[] request, String what, boolean bulkBody) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder header = new StringBuilder();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        if (c != '\r') {
          header.append((char) c);
        }
      }
      if (!bulkBody || header.length() == 0 || header.charAt(0) != '$') {
        return header.toString().getBytes(StandardCharsets.UTF_8);
      }
      int length = Integer.parseInt(header.substring(1));
      if (length < 0) {
        return new byte[0];
      }
      return in.readNBytes(length);
    } catch (IOException e) {
      throw new IllegalStateException("redis command failed: " + what, e);
    }
  }

  @Override
  public synchronized void close() {
    kill();
    deleteTree(dir);
  }

  private static Process launch(String binary, Path dir, int port, List<String> extra)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(binary, "--port", Integer.toString(port)));
    cmd.addAll(
        List.of(
            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()));
    cmd.addAll(extra);
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    RUNNING.add(p); // from its first moment: the JVM may exit while it starts
    boolean ready = false;
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        if (!p.isAlive()) {
          throw new IOException("redis-server exited at start: " + log(dir));
        }
        if (ping(port)) {
          ready = true;
          return p;
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while redis-server started", e);
        }
      }
      throw new IOException("redis-server not ready on port " + port + " after 10 s: " + log(dir));
    } finally {
      if (!ready) {
        p.destroyForcibly();
        RUNNING.remove(p);
      }
    }
  }

  private static boolean ping(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      s.setSoTimeout(500);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] reply = new byte[7];
      int n = s.getInputStream().read(reply);
      return n > 0 && new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  private static String log(Path dir) {
    try {
      return Files.readString(dir.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** A free loopback port other than 6379 whose cluster-bus port (+10000) is free too; nothing listens there. */
  public static int freePort() {
    for (int i = 0; i < 100; i++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int port = s.getLocalPort();
        if (port != 6379 && port + 10000 <= 65535 && free(port + 10000)) {
          return port;
        }
      } catch (IOException e) {
        throw new IllegalStateException("no free loopback port", e);
      }
    }
    throw new IllegalStateException("no free loopback port");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public static String findTool(String name, String hint) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(File.pathSeparator)) {
      File f = new File(d, name);
      if (f.isFile() && f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    throw new AssertionError(hint);
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temporary directory
    }
  }
}
