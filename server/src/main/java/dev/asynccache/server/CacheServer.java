package dev.asynccache.server;

import dev.asynccache.AsyncCache;
import dev.asynccache.CacheClosedException;
import dev.asynccache.TimeSource;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.redis.RedisCache;
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
 * An HTTP/1.1 (and 1.0) cache server over one {@code AsyncCache<String, byte[]>}: Helidon SE's
 * WebServer accepts connections and runs each on a virtual thread; {@link HttpConnection} parses
 * the HTTP (strict framing, bounded time per phase, keep-alive connections), serving the requests
 * that arrive whole on the server's {@link EventLoops event loops} and the others on the
 * connection's own thread.
 *
 * <table>
 *   <caption>Routes</caption>
 *   <tr><td>{@code PUT /cache/{key}[?ttl=s]}</td><td>stores the body: 204; 413 over the value
 *       limit, or when the entry alone is over the memory bound ({@link #maxMemory()}); 400 for a bad key or ttl ({@code ttl=0}: never expires; no ttl: the default)</td></tr>
 *   <tr><td>{@code GET /cache/{key}}</td><td>200 with the value, 404 when absent</td></tr>
 *   <tr><td>{@code DELETE /cache/{key}}</td><td>204, or 404 when absent</td></tr>
 *   <tr><td>{@code GET /stats}</td><td>the counters as JSON</td></tr>
 *   <tr><td>{@code GET /metrics}</td><td>the counters in the Prometheus text format</td></tr>
 *   <tr><td>{@code GET /health}</td><td>200 {@code {"status":"UP",...}} with the connection count;
 *       503 {@code DEGRADED} at the connection cap</td></tr>
 *   <tr><td>{@code HEAD} on a GET route</td><td>the GET's status and headers, no body</td></tr>
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
 *
 * <p>With a {@link ServerConfig#redis() Redis} ({@code --redis} or {@code --redis-cluster}) the
 * cache is a {@code dev.asynccache.redis.RedisCache}: an in-process tier (L1) in front of Redis
 * (L2), shared by every server started on the same Redis and namespace. A {@code PUT} or {@code
 * DELETE} writes Redis, then drops the other servers' L1 copies (they hear it over Redis pub/sub,
 * within milliseconds); a {@code GET} is answered from L1, else from Redis.
 * If Redis fails, requests keep being answered from this server's L1 (fail-safe) and the server
 * reconnects by itself. {@code /stats} and {@code /metrics} then show the tier's figures too.
 */
public final class CacheServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(CacheServer.class.getName());

  private final ServerConfig config;
  private final AsyncCache<String, byte[]> cache;
  /** The same cache as {@link #cache} when it is shared through Redis; else null. */
  private final @Nullable RedisCache<String, byte[]> redisCache;
  /** The entry bound of the in-process tier when the cache is shared through Redis; else 0. */
  private final long l1MaxSize;
  private final Optional<SnapshotPersistence> persistence;
  private long restoredEntries;
  private volatile @Nullable String saveReport;
  private final RequestGate gate = new RequestGate();
  private final Connections connections = new Connections();
  private final CacheRoutes routes;
  /**
   * Made at the first {@code /metrics} (Micrometer and its Prometheus registry load about 300
   * classes, 1-2 MB of resident memory, that a server nobody scrapes does not need); guarded by
   * {@link #metersLock}.
   */
  private @Nullable ServerMeters meters;
  private boolean metersClosed;
  private final Object metersLock = new Object();
  private final int maxConnections;
  private final long maxMemory;
  private final EntryWeigher weigher;
  private final HttpConnectionSelector selector;
  private volatile WebServer web;
  private final @Nullable EventLoops loops;
  private volatile int boundPort;
  private final java.util.logging.Handler listenerWatch = new ListenerWatch();
  private final long startNanos = System.nanoTime();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private CacheServer(ServerConfig config, TimeSource clock) {
    this.config = config;
    this.maxMemory = config.maxMemory() > 0 ? config.maxMemory() : derivedMaxMemory();
    // One weight bound enforces both --max-memory and --max-size (see EntryWeigher).
    this.weigher = EntryWeigher.forThisHeap(maxMemory, config.maxSize());
    if (config.redis().isPresent()) {
      this.l1MaxSize = l1MaxSize(config, weigher);
      this.redisCache = sharedCache(config.redis().get(), config, l1MaxSize);
      this.cache = redisCache;
      this.persistence = Optional.empty(); // refused together with Redis by ServerConfig
    } else {
      var builder =
          AsyncCache.builder().maximumWeight(weigher.maximumWeight()).weigher(weigher).timeSource(clock);
      config.defaultTtl().ifPresent(builder::defaultTtl);
      this.persistence = SnapshotPersistence.attach(config, builder);
      this.cache = builder.build();
      this.redisCache = null;
      this.l1MaxSize = 0;
    }
    this.routes =
        new CacheRoutes(
            cache, config.maxValueBytes(), config.maxKeyBytes(), weigher, this::stats, this::health, this::metrics);
    // With Redis a read can wait on the network (an L1 miss): each connection keeps its thread,
    // so that a slow or unreachable Redis never holds up the other connections of a loop.
    this.loops = EventLoops.COUNT > 0 && redisCache == null ? new EventLoops(EventLoops.COUNT, connections) : null;
    this.maxConnections = config.maxConnections() > 0 ? config.maxConnections() : derivedMaxConnections();
    var settings =
        new HttpConnection.Settings(
            routes,
            gate,
            connections,
            config.idleTimeout().toNanos(),
            config.headerTimeout().toNanos(),
            config.bodyTimeout().toNanos(),
            loops);
    this.selector = new HttpConnectionSelector(settings);
    this.web = newWebServer(config.port());
  }

  /**
   * The entry bound of the in-process tier (L1) in front of Redis. That tier counts entries and
   * does not weigh them, so the memory bound is kept by counting every entry at the weight of the
   * largest one the server accepts (a key of {@code --max-key-bytes}, a value of {@code
   * --max-value-bytes}): {@code --max-memory} over that weight, at most {@code --max-size}.
   */
  static long l1MaxSize(ServerConfig config, EntryWeigher weigher) {
    long largest = weigher.weight("x".repeat(config.maxKeyBytes()), config.maxValueBytes());
    return Math.max(1, Math.min(config.maxSize(), weigher.maximumWeight() / largest));
  }

  /**
   * Connects the two-level cache: L1 of {@code l1MaxSize} entries, Redis (L2) with the server's
   * default TTL and value limit; fail-safe (Redis failures never reach a request).
   *
   * @throws IllegalStateException naming the option if Redis cannot be reached
   */
  private static RedisCache<String, byte[]> sharedCache(ServerConfig.Redis redis, ServerConfig config, long l1MaxSize) {
    var b =
        RedisCache.builder(Codecs.string(), Codecs.bytes())
            .redisUri(redis.uri())
            .cluster(redis.cluster())
            .namespace(redis.namespace())
            .maxStaleness(redis.maxStaleness())
            .redisTimeout(redis.timeout())
            .l1MaxSize(l1MaxSize)
            // the server refuses larger bodies itself, with 413, before they reach the cache
            .maxValueBytes(Math.max(1, config.maxValueBytes()));
    config.defaultTtl().ifPresent(b::defaultTtl);
    try {
      return b.build();
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          redis.option() + ": cannot connect to " + (redis.cluster() ? "the Redis Cluster at " : "Redis at ")
              + redis.redactedUri() + ": " + rootMessage(e), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    String message = String.valueOf(e.getMessage());
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
      if (t.getMessage() != null) {
        message = t.getMessage();
      }
    }
    return message;
  }

  private WebServer newWebServer(int port) {
    return WebServer.builder()
            .host(config.host())
            .port(port)
            .shutdownHook(false) // stop() runs the graceful sequence; main() installs the hook
            // Our HttpConnection parses HTTP/1.1 and 1.0 itself; Helidon accepts and runs it.
            .protocolsDiscoverServices(false)
            .addConnectionSelector(selector)
            // Blocking sockets (Helidon's PlainSocket): HttpConnection reads into its own reused
            // buffer through HelidonSocket.read(BufferData), which the NIO socket serves from an
            // internal buffer that holds stale bytes until its first read; get() would allocate a
            // copy of every read instead (perf/RESULTS.md, "fewer young collections").
            .useNio(false)
            // A permit per connection, taken before accept(): at the cap, clients wait in the
            // backlog instead of the accept failing with "Too many open files".
            .maxTcpConnections(maxConnections)
            // our own deadlines close idle connections; Helidon's check is only a backstop
            .idleConnectionTimeout(config.idleTimeout().plusSeconds(60))
            .build();
  }

  static {
    // Load the time-zone rules now: the log formatter needs them, and at "Too many open files"
    // it could not open tzdb.dat to log the failure (seen in FdExhaustionTest).
    java.time.ZonedDateTime.now().getOffset();
  }

  /** Helidon's listener logger; held here because java.util.logging keeps loggers weakly. */
  private static final java.util.logging.Logger HELIDON_LISTENER_LOG =
      java.util.logging.Logger.getLogger("io.helidon.webserver.ServerListener");

  /**
   * Helidon 4.5.0's accept loop gives up for good on any accept failure (for instance "Too many
   * open files") and only logs it, while the JVM stays up. This handler hears that log record and
   * starts {@link #relisten()}.
   */
  private final class ListenerWatch extends java.util.logging.Handler {
    private final AtomicBoolean relistening = new AtomicBoolean();

    @Override
    public void publish(java.util.logging.LogRecord r) {
      if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()
          && r.getMessage() != null
          && r.getMessage().contains("server socket is terminating")
          && !stopping.get()
          && relistening.compareAndSet(false, true)) {
        Thread.ofPlatform().daemon().name("async-cache-relisten").start(() -> {
          try {
            relisten();
          } finally {
            relistening.set(false);
          }
        });
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  /**
   * Listens again on the same port after Helidon's listener died (see {@link ListenerWatch}):
   * first checks that it is this server's listener that is gone (a connection to the port is
   * refused), then starts a new listener, retrying every 100 ms to 1 s while the failure lasts
   * (at "Too many open files" the new listening socket cannot be opened either), until it
   * listens or the server stops. One line is logged when it fails and one when it listens again.
   */
  private void relisten() {
    long backoffMillis = 100;
    boolean reported = false;
    while (!stopping.get()) {
      try (var probe = new java.net.Socket()) {
        probe.connect(new java.net.InetSocketAddress(config.host(), boundPort), 1000);
        return; // still listening: the failure was another server's in this JVM
      } catch (java.net.ConnectException refused) {
        if (!reported) {
          reported = logQuietly(System.Logger.Level.ERROR, "the listener on port " + boundPort + " failed; listening again");
        }
        WebServer fresh = newWebServer(boundPort);
        try {
          fresh.start();
        } catch (RuntimeException e) {
          // retried below
        }
        if (fresh.isRunning()) {
          WebServer dead = web;
          web = fresh;
          try {
            dead.stop();
          } catch (RuntimeException ignored) {
            // its accept loop is already gone
          }
          logQuietly(System.Logger.Level.WARNING, "listening again on port " + boundPort);
          if (stopping.get()) {
            fresh.stop();
          }
          return;
        }
      } catch (java.io.IOException e) {
        // e.g. no file descriptor for the probe itself: wait and try again
      }
      try {
        Thread.sleep(backoffMillis);
      } catch (InterruptedException e) {
        return;
      }
      backoffMillis = Math.min(1000, backoffMillis * 2);
    }
  }

  /** Logs one line; false if logging itself failed (it may, without file descriptors). */
  private static boolean logQuietly(System.Logger.Level level, String message) {
    try {
      LOG.log(level, message);
      return true;
    } catch (Throwable t) {
      return false;
    }
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

  /**
   * The default memory bound: {@link ServerConfig#DEFAULT_MAX_MEMORY_HEAP_FRACTION half} the heap
   * the JVM may use ({@code -Xmx}, or the JVM's own default, a quarter of the machine's memory); a
   * JVM without a heap limit (never seen on HotSpot) gets {@code Long.MAX_VALUE / 2}.
   */
  static long derivedMaxMemory() {
    long heap = Runtime.getRuntime().maxMemory();
    if (heap == Long.MAX_VALUE) {
      return Long.MAX_VALUE / 2;
    }
    return Math.max(1, (long) (heap * ServerConfig.DEFAULT_MAX_MEMORY_HEAP_FRACTION));
  }

  /**
   * Returns the memory bound in force, in bytes: {@link ServerConfig#maxMemory()}, or the one
   * derived from the heap when that is 0. The cache's entries, weighed by their estimated retained
   * bytes (key, value, and 128 bytes per entry; values of half a G1 region or more rounded up to
   * whole regions), never weigh more in total; an entry that alone weighs more is refused with 413.
   * {@link ServerConfig#maxSize()} shares the budget: every entry weighs at least {@code maxMemory
   * / maxSize}.
   *
   * @return the memory bound in bytes
   */
  public long maxMemory() {
    return maxMemory;
  }

  /** Connections open now (for tests). */
  int openConnections() {
    return connections.count();
  }

  /** {@code /health}: UP (200) while a new connection can be accepted, DEGRADED (503) at the cap. */
  private Reply health() {
    int open = connections.count();
    boolean full = open >= maxConnections;
    Long files = null;
    Long maxFiles = null;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
      files = os.getOpenFileDescriptorCount();
      maxFiles = os.getMaxFileDescriptorCount();
    }
    String status = full ? "DEGRADED" : "UP";
    Long openFiles = files;
    Long maxOpenFiles = maxFiles;
    // {"status", "connections", "max_connections", then the file counts where the JVM reports them}
    byte[] body =
        Json.object(
            g -> {
              g.writeStringField("status", status);
              g.writeNumberField("connections", open);
              g.writeNumberField("max_connections", maxConnections);
              if (openFiles != null) {
                g.writeNumberField("open_files", openFiles.longValue());
              }
              if (maxOpenFiles != null) {
                g.writeNumberField("max_open_files", maxOpenFiles.longValue());
              }
            });
    return new Reply(full ? 503 : 200, Reply.JSON, body, null, false);
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
   * @throws IllegalStateException if the address cannot be bound, or the {@link ServerConfig#redis()
   *     Redis} cannot be reached (the message names the option)
   * @throws dev.asynccache.persistence.PersistenceException if the persistence path is in use by
   *     another server, or holds a snapshot that cannot be read (the file is left as it is)
   */
  public static CacheServer start(ServerConfig config) {
    return start(config, TimeSource.system());
  }

  /**
   * Starts a server whose cache reads {@code clock} for expiry: tests move time by hand. With a
   * {@link ServerConfig#redis() Redis} the clock is not used: Redis's own clock expires entries.
   *
   * @param config the settings
   * @param clock the cache's time source
   * @return the running server
   * @throws NullPointerException if an argument is null
   * @throws IllegalStateException if the address cannot be bound, or the {@link ServerConfig#redis()
   *     Redis} cannot be reached (the message names the option)
   * @throws dev.asynccache.persistence.PersistenceException if the persistence path is in use by
   *     another server, or holds a snapshot that cannot be read (the file is left as it is)
   */
  public static CacheServer start(ServerConfig config, TimeSource clock) {
    Objects.requireNonNull(config, "config must not be null");
    Objects.requireNonNull(clock, "clock must not be null");
    checkBindable(config.host(), config.port());
    CacheServer server = new CacheServer(config, clock);
    try {
      // Restore before the listener exists: no request sees a half-restored cache.
      if (server.persistence.isPresent()) {
        server.restoredEntries = server.persistence.get().restore(server.cache);
      }
      server.web.start();
      server.boundPort = server.web.port();
      HELIDON_LISTENER_LOG.addHandler(server.listenerWatch);
    } catch (RuntimeException e) {
      server.closeUnstarted();
      throw e;
    }
    if (!server.web.isRunning()) { // Helidon logs a bind failure instead of throwing it
      server.closeUnstarted();
      throw new IllegalStateException(
          "cannot listen on " + config.host() + ":" + config.port() + " (address in use or not local?)");
    }
    server.persistence.ifPresent(p -> p.startPeriodicSaves(server.cache));
    return server;
  }

  /** Releases what the constructor made, when the server could not start. */
  private void closeUnstarted() {
    cache.close();
    if (loops != null) {
      loops.close();
    }
    connections.close();
    closeMeters();
  }

  /**
   * Binds the address once before Helidon does, so that a busy port or a foreign address gives
   * one clear message instead of Helidon's logged stack trace.
   */
  private static void checkBindable(String host, int port) {
    try (var channel = java.nio.channels.ServerSocketChannel.open()) {
      channel.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
      channel.bind(new java.net.InetSocketAddress(host, port));
    } catch (java.net.BindException e) {
      throw new IllegalStateException(
          "cannot listen on " + host + ":" + port + ": " + String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT)
              + (port == 0 ? "" : " (is another server on this port? choose another with --port)"));
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
    }
  }

  /** {@code /metrics}: every meter in the Prometheus text format. */
  private Reply metrics() {
    String text;
    synchronized (metersLock) {
      if (metersClosed) {
        return Reply.error(503, "the server is stopping");
      }
      ServerMeters m = meters;
      if (m == null) {
        m = new ServerMeters(
            cache, redisCache, routes, gate, connections, config.maxSize(), maxMemory, maxConnections, startNanos);
        meters = m;
      }
      text = m.scrape();
    }
    return Reply.ok(ServerMeters.CONTENT_TYPE, text);
  }

  private void closeMeters() {
    synchronized (metersLock) {
      metersClosed = true;
      if (meters != null) {
        meters.close();
      }
    }
  }

  ServerStats stats() {
    RedisCache<String, byte[]> redis = redisCache;
    var tier = redis == null ? null : redis.tierMetrics();
    return new ServerStats(
        tier == null ? cache.metrics() : tier.l1(),
        tier,
        redis == null ? null : config.redis().orElseThrow().cluster() ? "cluster" : "standalone",
        l1MaxSize,
        routes.sets(),
        routes.deletes(),
        config.maxSize(),
        maxMemory,
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
    return boundPort;
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
      HELIDON_LISTENER_LOG.removeHandler(listenerWatch);
      web.stop();
      if (loops != null) {
        loops.close();
      }
      connections.close();
      // After the drain: the snapshot holds every write that was answered. Saved here, not by the
      // core's saveOnShutdown hook, which runs beside this one and could save mid-drain.
      persistence.ifPresent(p -> saveReport = p.stopAndSave(cache));
      cache.close();
      closeMeters();
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

  /** What the event loops did (zeros without loops); for tests. */
  EventLoops.Counts loopCounts() {
    return loops == null ? new EventLoops.Counts(0, 0, 0) : loops.counts();
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
    if (ServerCommandLine.wantsVersion(args)) {
      out.print(ServerCommandLine.version());
      return 0;
    }
    ServerConfig config;
    try {
      config = ServerConfig.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      err.println("async-cache-server: " + e.getMessage());
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
        "async-cache server listening on %s (max size %d, max memory %d bytes, default TTL %s, value limit %d"
            + " bytes%s); stop with Ctrl-C or SIGTERM%n",
        server.uri(),
        config.maxSize(),
        server.maxMemory(),
        config.defaultTtl().map(d -> d.toSeconds() + " s").orElse("none"),
        config.maxValueBytes(),
        config.redis()
            .map(r -> ", shared through " + (r.cluster() ? "the Redis Cluster at " : "Redis at ") + r.redactedUri()
                + " (namespace " + r.namespace() + ", " + server.l1MaxSize + " entries in this process)")
            .orElse(""));
    server.awaitStop();
    return -1;
  }
}
