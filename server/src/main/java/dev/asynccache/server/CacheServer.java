package dev.asynccache.server;

import dev.asynccache.AsyncCache;
import dev.asynccache.CacheClosedException;
import dev.asynccache.TimeSource;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1 cache server over one {@code AsyncCache<String, byte[]>}, on Helidon SE's WebServer
 * (one virtual thread per request, keep-alive connections).
 *
 * <table>
 *   <caption>Routes</caption>
 *   <tr><td>{@code PUT /cache/{key}[?ttl=s]}</td><td>stores the body: 204; 413 over the value
 *       limit; 400 for a bad key or ttl ({@code ttl=0}: never expires; no ttl: the default)</td></tr>
 *   <tr><td>{@code GET /cache/{key}}</td><td>200 with the value, 404 when absent</td></tr>
 *   <tr><td>{@code DELETE /cache/{key}}</td><td>204, or 404 when absent</td></tr>
 *   <tr><td>{@code GET /stats}</td><td>the counters as JSON</td></tr>
 *   <tr><td>{@code GET /metrics}</td><td>the counters in the Prometheus text format</td></tr>
 *   <tr><td>{@code GET /health}</td><td>200 {@code {"status":"UP"}}</td></tr>
 * </table>
 *
 * <p>Any other path is 404, any other method 405 with an {@code Allow} header. Errors carry a JSON
 * body {@code {"error": "..."}}. The key is the rest of the path after {@code /cache/},
 * percent-decoded, at most {@link ServerConfig#maxKeyBytes()} UTF-8 bytes.
 *
 * <p>Start one with {@link #start(ServerConfig)}; {@link #stop()} is graceful: new requests get
 * 503, requests in flight finish (up to {@link ServerConfig#shutdownGrace()}), then the listener
 * and the cache are closed. {@link #main(String[])} runs it from the command line and stops it on
 * SIGTERM or Ctrl-C. All methods are thread-safe.
 *
 * <p>With a {@link ServerConfig#persistencePath() persistence path}, the Chronicle snapshot there
 * is restored before the listener accepts a request (none yet: an empty start), saved every
 * {@link ServerConfig#saveInterval() save interval} if one is given, and saved once more by
 * {@link #stop()} after the requests in flight have finished. A snapshot that exists but cannot
 * be read stops the start (as Redis refuses to start on a corrupt RDB file), leaving the file as
 * it is.
 */
public final class CacheServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(CacheServer.class.getName());

  private final ServerConfig config;
  private final AsyncCache<String, byte[]> cache;
  private final Optional<SnapshotPersistence> persistence;
  private long restoredEntries;
  private volatile @Nullable String saveReport;
  private final RequestGate gate = new RequestGate();
  private final Connections connections = new Connections();
  private final CacheRoutes routes;
  private final int maxConnections;
  private final WebServer web;
  private final long startNanos = System.nanoTime();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private CacheServer(ServerConfig config, TimeSource clock) {
    this.config = config;
    var builder = AsyncCache.builder().maxSize(config.maxSize()).timeSource(clock);
    config.defaultTtl().ifPresent(builder::defaultTtl);
    this.persistence = SnapshotPersistence.attach(config, builder);
    this.cache = builder.build();
    this.routes = new CacheRoutes(cache, config.maxValueBytes(), config.maxKeyBytes(), this::stats, this::health);
    this.maxConnections = config.maxConnections() > 0 ? config.maxConnections() : derivedMaxConnections();
    var settings =
        new HttpConnection.Settings(
            routes,
            gate,
            connections,
            config.idleTimeout().toNanos(),
            config.headerTimeout().toNanos(),
            config.bodyTimeout().toNanos());
    this.web =
        WebServer.builder()
            .host(config.host())
            .port(config.port())
            .shutdownHook(false) // stop() runs the graceful sequence; main() installs the hook
            // Our HttpConnection parses HTTP/1.1 and 1.0 itself; Helidon accepts and runs it.
            .protocolsDiscoverServices(false)
            .addConnectionSelector(new HttpConnectionSelector(settings))
            // A permit per connection, taken before accept(): at the cap, clients wait in the
            // backlog instead of the accept failing with "Too many open files".
            .maxTcpConnections(maxConnections)
            // our own deadlines close idle connections; Helidon's check is only a backstop
            .idleConnectionTimeout(config.idleTimeout().plusSeconds(60))
            .build();
  }

  /**
   * The default connection cap: the process's open-file limit, less the descriptors open now and
   * a reserve (5 %, at least 64) for the JVM, snapshots and logs; 10,000 if the limit is unknown.
   */
  static int derivedMaxConnections() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
      long max = os.getMaxFileDescriptorCount();
      long open = os.getOpenFileDescriptorCount();
      long cap = max - open - Math.max(64, max / 20);
      return (int) Math.max(1, Math.min(Integer.MAX_VALUE - 1, cap));
    }
    return 10_000;
  }

  /** {@code /health}: UP (200) while a new connection can be accepted, DEGRADED (503) at the cap. */
  private Reply health() {
    int open = connections.count();
    boolean full = open >= maxConnections;
    String files = "";
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
      files = ",\"open_files\":" + os.getOpenFileDescriptorCount() + ",\"max_open_files\":" + os.getMaxFileDescriptorCount();
    }
    String body =
        "{\"status\":\"" + (full ? "DEGRADED" : "UP") + "\",\"connections\":" + open + ",\"max_connections\":"
            + maxConnections + files + "}\n";
    return full ? new Reply(503, Reply.JSON, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), null, false)
        : Reply.ok(Reply.JSON, body);
  }

  /**
   * Returns the connection cap in force: {@link ServerConfig#maxConnections()}, or the one derived
   * from the open-file limit when that is 0.
   *
   * @return the most connections open at once
   */
  public int maxConnections() {
    return maxConnections;
  }

  /**
   * Starts a server with the system clock.
   *
   * @param config the settings
   * @return the running server
   * @throws NullPointerException if {@code config} is null
   * @throws IllegalStateException if the address cannot be bound
   * @throws dev.asynccache.persistence.PersistenceException if the persistence path is in use by
   *     another server, or holds a snapshot that cannot be read (the file is left as it is)
   */
  public static CacheServer start(ServerConfig config) {
    return start(config, TimeSource.system());
  }

  /**
   * Starts a server whose cache reads {@code clock} for expiry: tests move time by hand.
   *
   * @param config the settings
   * @param clock the cache's time source
   * @return the running server
   * @throws NullPointerException if an argument is null
   * @throws IllegalStateException if the address cannot be bound
   * @throws dev.asynccache.persistence.PersistenceException if the persistence path is in use by
   *     another server, or holds a snapshot that cannot be read (the file is left as it is)
   */
  public static CacheServer start(ServerConfig config, TimeSource clock) {
    Objects.requireNonNull(config, "config must not be null");
    Objects.requireNonNull(clock, "clock must not be null");
    CacheServer server = new CacheServer(config, clock);
    try {
      // Restore before the listener exists: no request sees a half-restored cache.
      if (server.persistence.isPresent()) {
        server.restoredEntries = server.persistence.get().restore(server.cache);
      }
      server.web.start();
    } catch (RuntimeException e) {
      server.cache.close();
      server.connections.close();
      throw e;
    }
    if (!server.web.isRunning()) { // Helidon logs a bind failure instead of throwing it
      server.cache.close();
      server.connections.close();
      throw new IllegalStateException(
          "cannot listen on " + config.host() + ":" + config.port() + " (address in use or not local? see the log)");
    }
    server.persistence.ifPresent(p -> p.startPeriodicSaves(server.cache));
    return server;
  }

  ServerStats stats() {
    return new ServerStats(
        cache.metrics(),
        routes.sets(),
        routes.deletes(),
        gate.inFlight(),
        gate.responsesByStatus(),
        (System.nanoTime() - startNanos) / 1e9);
  }

  /**
   * Returns the port listened on (the one chosen when the settings said 0).
   *
   * @return the port
   */
  public int port() {
    return web.port();
  }

  /**
   * Returns the base address, such as {@code http://127.0.0.1:8000}.
   *
   * @return the server's URI, without a trailing slash
   */
  public URI uri() {
    try {
      return new URI("http", null, config.host(), port(), null, null, null);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("bind address is not a valid URI host: " + config.host(), e);
    }
  }

  /**
   * Returns the settings the server was started with.
   *
   * @return the settings
   */
  public ServerConfig config() {
    return config;
  }

  /**
   * Returns how many entries were restored from the snapshot at start (0 without persistence or
   * without a snapshot yet).
   *
   * @return the restored entry count
   */
  public long restoredEntries() {
    return restoredEntries;
  }

  /**
   * Tells whether the server still accepts requests (false once {@link #stop()} has begun).
   *
   * @return {@code true} while running
   */
  public boolean isRunning() {
    return !stopping.get() && web.isRunning();
  }

  /**
   * Stops gracefully: new requests get 503, requests in flight may finish for up to the shutdown
   * grace, then the listener is closed, the snapshot saved (with a persistence path; a failed save
   * is logged and keeps the previous snapshot) and the cache closed. Returns when all of that is
   * done; calling it again (from any thread) waits for the first stop.
   */
  public void stop() {
    if (!stopping.compareAndSet(false, true)) {
      awaitStopUninterruptibly();
      return;
    }
    try {
      boolean idle;
      try {
        idle = gate.drain(config.shutdownGrace().toNanos());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        idle = false;
      }
      if (!idle) {
        LOG.log(System.Logger.Level.WARNING,
            "{0} request(s) still in flight after the shutdown grace of {1}; stopping anyway",
            gate.inFlight(), config.shutdownGrace());
      }
      web.stop();
      connections.close();
      // After the drain: the snapshot holds every write that was answered. Saved here, not by the
      // core's saveOnShutdown hook, which runs beside this one and could save mid-drain.
      persistence.ifPresent(p -> saveReport = p.stopAndSave(cache));
      cache.close();
    } finally {
      stopped.countDown();
    }
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  /**
   * Waits until the server has stopped.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  private void awaitStopUninterruptibly() {
    boolean interrupted = false;
    while (true) {
      try {
        stopped.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Requests being handled now; for tests. */
  int inFlightRequests() {
    return gate.inFlight();
  }

  /** Whether a stop has begun turning requests away; for tests. */
  boolean isDraining() {
    return gate.isDraining();
  }

  /** The cache behind the server; for tests. */
  AsyncCache<String, byte[]> cache() {
    return cache;
  }

  /**
   * Runs the server until SIGTERM or Ctrl-C. See {@link ServerConfig} and {@code --help} for the
   * options. Exits with 2 on a bad option, 1 if the server cannot start.
   *
   * @param args the command line
   */
  public static void main(String[] args) throws InterruptedException {
    int status = run(args, System.out, System.err);
    if (status >= 0) {
      System.exit(status);
    }
  }

  /**
   * Parses the command line and starts the server, or prints help or an error.
   *
   * @return the exit status when the server was not started, or -1 once it has stopped
   */
  static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
    LogConfig.configureRuntime(); // reads logging.properties from the class path
    if (ServerConfig.wantsHelp(args)) {
      out.print(ServerConfig.usage());
      return 0;
    }
    ServerConfig config;
    try {
      config = ServerConfig.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      err.println("async-cache-server: " + e.getMessage());
      err.println("Try --help.");
      return 2;
    }
    CacheServer server;
    try {
      server = start(config);
    } catch (RuntimeException e) {
      err.println("async-cache-server: " + e.getMessage());
      return 1;
    }
    server.persistence.ifPresent(
        p -> out.printf("async-cache server: restored %d entries from %s%s%n", server.restoredEntries, p.file(),
            config.saveInterval().map(i -> "; saving it every " + i.toSeconds() + " s and at stop").orElse("; saving it at stop")));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.stop();
                  // printed here: the JVM may halt before main resumes, and JUL may be reset by now
                  if (server.saveReport != null) {
                    out.println("async-cache server: " + server.saveReport);
                  }
                  out.println("async-cache server stopped");
                  out.flush();
                },
                "async-cache-server-shutdown"));
    out.printf(
        "async-cache server listening on %s (max size %d, default TTL %s, value limit %d bytes); "
            + "stop with Ctrl-C or SIGTERM%n",
        server.uri(),
        config.maxSize(),
        config.defaultTtl().map(d -> d.toSeconds() + " s").orElse("none"),
        config.maxValueBytes());
    server.awaitStop();
    return -1;
  }
}
