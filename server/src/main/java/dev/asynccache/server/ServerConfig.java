package dev.asynccache.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The cache server's settings: where it listens, how big the cache is, what it accepts.
 *
 * <p>Read them from the command line and the environment with {@link #parse(String[], Map)} (a
 * flag wins over its environment variable, which wins over the default; picocli reads them), or build them in code
 * with {@link #builder()}. Every value is checked when the settings are made: a bad one throws
 * {@link IllegalArgumentException} naming the option and the value.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>flag</th><th>environment</th><th>default</th></tr>
 *   <tr><td>{@code --bind}</td><td>{@code ASYNC_CACHE_BIND}</td><td>{@code 127.0.0.1}</td></tr>
 *   <tr><td>{@code --port}</td><td>{@code ASYNC_CACHE_PORT}</td><td>{@code 8000} (0: any free
 *       port)</td></tr>
 *   <tr><td>{@code --max-size}</td><td>{@code ASYNC_CACHE_MAX_SIZE}</td><td>100000 entries</td></tr>
 *   <tr><td>{@code --default-ttl}</td><td>{@code ASYNC_CACHE_DEFAULT_TTL}</td><td>none (seconds;
 *       0 = none)</td></tr>
 *   <tr><td>{@code --max-value-bytes}</td><td>{@code ASYNC_CACHE_MAX_VALUE_BYTES}</td><td>1048576
 *       (1 MiB)</td></tr>
 *   <tr><td>{@code --max-key-bytes}</td><td>{@code ASYNC_CACHE_MAX_KEY_BYTES}</td><td>250</td></tr>
 *   <tr><td>{@code --shutdown-grace}</td><td>{@code ASYNC_CACHE_SHUTDOWN_GRACE}</td><td>10
 *       seconds</td></tr>
 *   <tr><td>{@code --persistence-path}</td><td>{@code ASYNC_CACHE_PERSISTENCE_PATH}</td><td>none:
 *       no snapshot (a file: restored at start, saved at stop)</td></tr>
 *   <tr><td>{@code --save-interval}</td><td>{@code ASYNC_CACHE_SAVE_INTERVAL}</td><td>none
 *       (seconds; 0 = none): periodic snapshots, needs a persistence path</td></tr>
 *   <tr><td>{@code --max-connections}</td><td>{@code ASYNC_CACHE_MAX_CONNECTIONS}</td><td>0: the
 *       open-file limit less a reserve</td></tr>
 *   <tr><td>{@code --idle-timeout}</td><td>{@code ASYNC_CACHE_IDLE_TIMEOUT}</td><td>300 s</td></tr>
 *   <tr><td>{@code --header-timeout}</td><td>{@code ASYNC_CACHE_HEADER_TIMEOUT}</td><td>10 s</td></tr>
 *   <tr><td>{@code --body-timeout}</td><td>{@code ASYNC_CACHE_BODY_TIMEOUT}</td><td>30 s</td></tr>
 *   <tr><td>{@code --max-memory}</td><td>{@code ASYNC_CACHE_MAX_MEMORY}</td><td>0: half the heap
 *       ({@code Runtime.maxMemory()}); a size such as {@code 256m}, {@code 1g} or bytes</td></tr>
 *   <tr><td>{@code --redis}</td><td>{@code ASYNC_CACHE_REDIS}</td><td>none: the cache is this
 *       process's own; {@code redis://host:port[/db]}: share it with every server using that
 *       Redis (see {@link Redis})</td></tr>
 *   <tr><td>{@code --redis-cluster}</td><td>{@code ASYNC_CACHE_REDIS_CLUSTER}</td><td>none; the
 *       same on a Redis Cluster, {@code redis://host:port} of any of its nodes</td></tr>
 *   <tr><td>{@code --redis-namespace}</td><td>{@code ASYNC_CACHE_REDIS_NAMESPACE}</td><td>{@code
 *       asynccache-server}: the prefix of the Redis keys</td></tr>
 *   <tr><td>{@code --redis-max-staleness}</td><td>{@code ASYNC_CACHE_REDIS_MAX_STALENESS}</td><td>1
 *       minute: the longest an entry stays in this process's tier (L1) without a look at Redis</td></tr>
 *   <tr><td>{@code --redis-timeout}</td><td>{@code ASYNC_CACHE_REDIS_TIMEOUT}</td><td>1 s: the bound
 *       of every Redis call</td></tr>
 * </table>
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param host the address to bind: a literal IP address or a host name
 * @param port the TCP port, 0 for any free one
 * @param maxSize the most entries the cache holds; beyond it entries are evicted (it shares one
 *     weight budget with {@code maxMemory}, see {@link CacheServer#maxMemory()})
 * @param defaultTtl how long entries written without {@code ttl} live; empty: forever
 * @param maxValueBytes the largest value a {@code PUT} may store
 * @param maxKeyBytes the longest key, in UTF-8 bytes
 * @param shutdownGrace how long a graceful stop waits for requests in flight
 * @param persistencePath the Chronicle snapshot file restored at start and saved at stop; empty:
 *     no persistence
 * @param saveInterval the period of extra snapshots while running; empty: only at stop. Set only
 *     together with {@code persistencePath} (checked by {@link Builder#build()} and {@link #parse})
 * @param maxConnections the most client connections open at once (further clients wait in the
 *     accept backlog); 0: derived from the process's open-file limit at start, see
 *     {@link CacheServer#maxConnections()}
 * @param idleTimeout how long a connection may wait for its next request
 * @param headerTimeout how long a client may take to send a request's head (request line and
 *     headers), from its first byte
 * @param bodyTimeout how long a client may take to send a request's body, and to take the response
 * @param maxMemory the most heap bytes the cache's entries may keep alive, by an estimate (key,
 *     value and a per-entry overhead); beyond it entries are evicted, and a single entry over it is
 *     refused with 413. 0: derived from the heap at start. See {@link CacheServer#maxMemory()}
 * @param redis the Redis (or Redis Cluster) the cache is shared through; empty: the cache is this
 *     process's own. Not together with {@code persistencePath}, and only with {@code maxValueBytes}
 *     at most {@link Redis#MAX_VALUE_BYTES}
 */
public record ServerConfig(
    String host,
    int port,
    long maxSize,
    Optional<Duration> defaultTtl,
    int maxValueBytes,
    int maxKeyBytes,
    Duration shutdownGrace,
    Optional<Path> persistencePath,
    Optional<Duration> saveInterval,
    int maxConnections,
    Duration idleTimeout,
    Duration headerTimeout,
    Duration bodyTimeout,
    long maxMemory,
    Optional<Redis> redis) {

  /** The default bind address: loopback only. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** The default port, as the seed's benchmark kit expects. */
  public static final int DEFAULT_PORT = 8000;

  /** The default cache bound. */
  public static final long DEFAULT_MAX_SIZE = 100_000;

  /** The default value limit: 1 MiB. */
  public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;

  /** The default key limit, as memcached's. */
  public static final int DEFAULT_MAX_KEY_BYTES = 250;

  /** The default time a graceful stop waits for requests in flight. */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

  /** The default idle time of a keep-alive connection before it is closed. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(300);

  /** The default time a client has to send a request's head. */
  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);

  /** The default time a client has to send a request's body (and to take the response). */
  public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The default memory bound, as a fraction of the heap ({@code Runtime.maxMemory()}): the rest is
   * for the server itself, request bodies being read, and the collector's headroom.
   */
  public static final double DEFAULT_MAX_MEMORY_HEAP_FRACTION = 0.5;

  /** The most a value limit may be (the largest Java array). */
  static final int MAX_VALUE_LIMIT = Integer.MAX_VALUE - 16;

  /**
   * Checks the values.
   *
   * @throws NullPointerException if an object is null
   * @throws IllegalArgumentException if a value is out of range
   */
  public ServerConfig {
    Objects.requireNonNull(host, "host must not be null");
    Objects.requireNonNull(defaultTtl, "defaultTtl must not be null");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace must not be null");
    Objects.requireNonNull(persistencePath, "persistencePath must not be null");
    Objects.requireNonNull(saveInterval, "saveInterval must not be null");
    Objects.requireNonNull(idleTimeout, "idleTimeout must not be null");
    Objects.requireNonNull(headerTimeout, "headerTimeout must not be null");
    Objects.requireNonNull(bodyTimeout, "bodyTimeout must not be null");
    Objects.requireNonNull(redis, "redis must not be null");
    if (maxMemory < 0) {
      throw new IllegalArgumentException("max memory must not be negative, was " + maxMemory);
    }
    if (maxConnections < 0) {
      throw new IllegalArgumentException("max connections must not be negative, was " + maxConnections);
    }
    for (Duration d : new Duration[] {idleTimeout, headerTimeout, bodyTimeout}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("timeouts must be positive, was " + d);
      }
    }
    if (host.isBlank()) {
      throw new IllegalArgumentException("bind address must not be blank");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
    }
    if (maxSize < 1) {
      throw new IllegalArgumentException("max size must be at least 1, was " + maxSize);
    }
    defaultTtl.ifPresent(
        ttl -> {
          if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("default TTL must be positive, was " + ttl);
          }
        });
    if (maxValueBytes < 0 || maxValueBytes > MAX_VALUE_LIMIT) {
      throw new IllegalArgumentException(
          "max value bytes must be between 0 and " + MAX_VALUE_LIMIT + ", was " + maxValueBytes);
    }
    if (maxKeyBytes < 1) {
      throw new IllegalArgumentException("max key bytes must be at least 1, was " + maxKeyBytes);
    }
    if (shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("shutdown grace must not be negative, was " + shutdownGrace);
    }
    saveInterval.ifPresent(
        interval -> {
          if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("save interval must be positive, was " + interval);
          }
        });
    if (saveInterval.isPresent() && persistencePath.isEmpty()) {
      throw new IllegalArgumentException(
          "a save interval needs a persistence path (--persistence-path / ASYNC_CACHE_PERSISTENCE_PATH)");
    }
    if (redis.isPresent() && persistencePath.isPresent()) {
      throw new IllegalArgumentException(
          "--persistence-path cannot be combined with " + redis.get().option() + ": Redis is the shared store"
              + " (persist it with Redis's own RDB or AOF)");
    }
    if (redis.isPresent() && maxValueBytes > Redis.MAX_VALUE_BYTES) {
      throw new IllegalArgumentException(
          "--max-value-bytes must be at most " + Redis.MAX_VALUE_BYTES + " (Redis's value limit) with "
              + redis.get().option() + ", was " + maxValueBytes);
    }
  }

  /**
   * Where the server shares its cache: a Redis, or a Redis Cluster, that several servers use
   * together. Each server then keeps its own in-process cache (L1) in front of Redis (L2), through
   * {@code dev.asynccache.redis.RedisCache}: a {@code PUT} or {@code DELETE} on one server is
   * written to Redis and drops the other servers' L1 copies. Immutable.
   *
   * @param uri a Lettuce URI, {@code redis://[[user]:password@]host[:port][/database]} or {@code
   *     rediss://...} (TLS); for a Cluster, any one node of it (the others are discovered)
   * @param cluster whether {@code uri} is a node of a Redis Cluster
   * @param namespace the prefix of this cache's Redis keys and the name of its notification
   *     channel: servers that share one cache use the same; 1 to 100 characters, no braces, spaces
   *     or control characters
   * @param maxStaleness the longest an entry stays in this server's in-process tier (L1) without a
   *     look at Redis, whatever its Redis TTL: the safety net for invalidations that never arrived
   *     (a write to Redis by another program, say); positive
   * @param timeout the bound of every Redis call: a call that overruns counts as a timeout for the
   *     circuit breaker and the request is answered without Redis (fail-safe); at least 1 ms
   */
  public record Redis(String uri, boolean cluster, String namespace, Duration maxStaleness, Duration timeout) {
    /** The default namespace. */
    public static final String DEFAULT_NAMESPACE = "asynccache-server";

    /** The default L1 staleness bound (the two-level cache's own default): 1 minute. */
    public static final Duration DEFAULT_MAX_STALENESS = Duration.ofMinutes(1);

    /** The default bound of a Redis call (the two-level cache's own default): 1 second. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

    /** The largest value Redis holds (its {@code proto-max-bulk-len}): 512 MiB. */
    public static final int MAX_VALUE_BYTES = 512 * 1024 * 1024;

    /**
     * Checks the values; the URI is parsed here, so a bad one fails with the settings.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the URI cannot be parsed or has no host, the namespace
     *     is not allowed, or a duration is out of range
     */
    public Redis {
      Objects.requireNonNull(uri, "uri must not be null");
      Objects.requireNonNull(namespace, "namespace must not be null");
      Objects.requireNonNull(maxStaleness, "maxStaleness must not be null");
      Objects.requireNonNull(timeout, "timeout must not be null");
      RedisUris.check(uri);
      checkNamespace(namespace);
      checkMaxStaleness(maxStaleness);
      checkTimeout(timeout);
    }

    /**
     * A Redis with the default {@link #DEFAULT_MAX_STALENESS staleness bound} and {@link
     * #DEFAULT_TIMEOUT call timeout}.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the URI cannot be parsed or has no host, or the
     *     namespace is not allowed
     */
    public Redis(String uri, boolean cluster, String namespace) {
      this(uri, cluster, namespace, DEFAULT_MAX_STALENESS, DEFAULT_TIMEOUT);
    }

    /** Checks an L1 staleness bound: positive. */
    static void checkMaxStaleness(Duration maxStaleness) {
      if (maxStaleness.isNegative() || maxStaleness.isZero()) {
        throw new IllegalArgumentException("max staleness must be positive");
      }
    }

    /** Checks a Redis call timeout: at least 1 ms (the two-level cache's own bound). */
    static void checkTimeout(Duration timeout) {
      if (timeout.compareTo(Duration.ofMillis(1)) < 0) {
        throw new IllegalArgumentException("timeout must be at least 1 ms");
      }
    }

    /** Checks a namespace (see the class description). */
    static void checkNamespace(String namespace) {
      if (namespace.isEmpty() || namespace.length() > 100) {
        throw new IllegalArgumentException("namespace must have 1 to 100 characters");
      }
      for (int i = 0; i < namespace.length(); i++) {
        char c = namespace.charAt(i);
        if (c == '{' || c == '}' || c <= ' ' || c == 0x7f) {
          throw new IllegalArgumentException("namespace must not contain braces, spaces or control characters");
        }
      }
    }

    /** The option that set it: {@code --redis} or {@code --redis-cluster}. */
    String option() {
      return cluster ? "--redis-cluster" : "--redis";
    }

    /** The URI without its password, for messages. */
    String redactedUri() {
      return RedisUris.redact(uri);
    }

    @Override
    public String toString() {
      return "Redis[uri=" + redactedUri() + ", cluster=" + cluster + ", namespace=" + namespace + ", maxStaleness="
          + maxStaleness + ", timeout=" + timeout + "]";
    }
  }

  /**
   * Returns the defaults: loopback, port 8000, 100,000 entries, no default TTL, 1 MiB values,
   * 250-byte keys, 10 s shutdown grace.
   *
   * @return the default settings
   */
  public static ServerConfig defaults() {
    return builder().build();
  }

  /**
   * Returns a builder starting from the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder starting from these settings.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.host = host;
    b.port = port;
    b.maxSize = maxSize;
    b.defaultTtl = defaultTtl.orElse(null);
    b.maxValueBytes = maxValueBytes;
    b.maxKeyBytes = maxKeyBytes;
    b.shutdownGrace = shutdownGrace;
    b.persistencePath = persistencePath.orElse(null);
    b.saveInterval = saveInterval.orElse(null);
    b.maxConnections = maxConnections;
    b.idleTimeout = idleTimeout;
    b.headerTimeout = headerTimeout;
    b.bodyTimeout = bodyTimeout;
    b.maxMemory = maxMemory;
    b.redis = redis.orElse(null);
    return b;
  }

  /**
   * Reads the settings from command-line flags and environment variables (see the class
   * description). Flags are {@code --name value} or {@code --name=value}; a repeated flag's last
   * value wins; {@code @file} is an ordinary value. An unknown flag's message suggests the flags
   * that start alike.
   *
   * @param args the command line
   * @param env the environment, usually {@link System#getenv()}
   * @return the settings
   * @throws IllegalArgumentException for an unknown flag, a flag without a value, or a bad value
   *     (the one-line message names the flag or variable)
   */
  public static ServerConfig parse(String[] args, Map<String, String> env) {
    return ServerCommandLine.parse(Objects.requireNonNull(args, "args"), Objects.requireNonNull(env, "env"));
  }

  /**
   * Tells whether the command line asks for help ({@code --help} or {@code -h}).
   *
   * @param args the command line
   * @return {@code true} if help was asked for
   */
  public static boolean wantsHelp(String[] args) {
    return ServerCommandLine.wantsHelp(args);
  }

  /**
   * Returns the usage text printed by {@code --help}: the routes, then each flag with its
   * environment variable and default.
   *
   * @return the usage text
   */
  public static String usage() {
    return ServerCommandLine.usage();
  }

  /** Builds a {@link ServerConfig}; starts from the defaults. Not thread-safe. */
  public static final class Builder {
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private long maxSize = DEFAULT_MAX_SIZE;
    private @Nullable Duration defaultTtl;
    private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
    private int maxKeyBytes = DEFAULT_MAX_KEY_BYTES;
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private @Nullable Path persistencePath;
    private @Nullable Duration saveInterval;
    private int maxConnections;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private Duration headerTimeout = DEFAULT_HEADER_TIMEOUT;
    private Duration bodyTimeout = DEFAULT_BODY_TIMEOUT;
    private long maxMemory;
    private @Nullable Redis redis;

    private Builder() {}

    /**
     * Shares the cache through a Redis or Redis Cluster (default: none, the cache is this
     * process's own). See {@link Redis}.
     *
     * @param redis the Redis, or {@code null} for none
     * @return this builder
     */
    public Builder redis(@Nullable Redis redis) {
      this.redis = redis;
      return this;
    }

    /**
     * Sets the memory bound of the cache's entries in bytes (default 0: {@link
     * #DEFAULT_MAX_MEMORY_HEAP_FRACTION half} the heap, read at start). An entry weighs its key,
     * its value and a per-entry overhead (see {@link CacheServer#maxMemory()}); beyond the bound
     * the cache evicts, and a {@code PUT} whose entry alone is over it gets 413.
     *
     * @param bytes 0 (derived from the heap) or more
     * @return this builder
     */
    public Builder maxMemory(long bytes) {
      this.maxMemory = bytes;
      return this;
    }

    /**
     * Sets the most client connections open at once (default 0: the process's open-file limit
     * less a reserve, read at start). Clients beyond it wait in the listen backlog until one
     * closes; the server never runs out of file descriptors for its own listener.
     *
     * @param maxConnections 0 (derived) or more
     * @return this builder
     */
    public Builder maxConnections(int maxConnections) {
      this.maxConnections = maxConnections;
      return this;
    }

    /**
     * Sets how long a connection may wait for its next request before it is closed (default
     * 300 s).
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = Objects.requireNonNull(timeout, "idleTimeout must not be null");
      return this;
    }

    /**
     * Sets how long a client may take to send a request's head, from its first byte (default
     * 10 s); then the connection is closed, however the bytes are paced.
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder headerTimeout(Duration timeout) {
      this.headerTimeout = Objects.requireNonNull(timeout, "headerTimeout must not be null");
      return this;
    }

    /**
     * Sets how long a client may take to send a request's body, and to take the response
     * (default 30 s).
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder bodyTimeout(Duration timeout) {
      this.bodyTimeout = Objects.requireNonNull(timeout, "bodyTimeout must not be null");
      return this;
    }

    /**
     * Sets the bind address (default {@code 127.0.0.1}; {@code 0.0.0.0} listens on all
     * interfaces).
     *
     * @param host an IP address or host name
     * @return this builder
     */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host must not be null");
      return this;
    }

    /**
     * Sets the port (default 8000; 0 picks a free one, see {@link CacheServer#port()}).
     *
     * @param port 0 to 65535
     * @return this builder
     */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /**
     * Sets the most entries held (default 100,000).
     *
     * @param maxSize at least 1
     * @return this builder
     */
    public Builder maxSize(long maxSize) {
      this.maxSize = maxSize;
      return this;
    }

    /**
     * Sets the time to live of entries stored without {@code ?ttl} (default: none).
     *
     * @param ttl positive, or {@code null} for none
     * @return this builder
     */
    public Builder defaultTtl(@Nullable Duration ttl) {
      this.defaultTtl = ttl;
      return this;
    }

    /**
     * Sets the largest value accepted (default 1 MiB); bigger {@code PUT}s get 413.
     *
     * @param maxValueBytes zero or more
     * @return this builder
     */
    public Builder maxValueBytes(int maxValueBytes) {
      this.maxValueBytes = maxValueBytes;
      return this;
    }

    /**
     * Sets the longest key in UTF-8 bytes (default 250); longer keys get 400.
     *
     * @param maxKeyBytes at least 1
     * @return this builder
     */
    public Builder maxKeyBytes(int maxKeyBytes) {
      this.maxKeyBytes = maxKeyBytes;
      return this;
    }

    /**
     * Sets how long a graceful stop waits for requests in flight (default 10 s).
     *
     * @param grace zero or more
     * @return this builder
     */
    public Builder shutdownGrace(Duration grace) {
      this.shutdownGrace = Objects.requireNonNull(grace, "shutdownGrace must not be null");
      return this;
    }

    /**
     * Sets the Chronicle snapshot file (default: none, nothing persisted). The server restores it
     * before accepting requests and saves it when it stops; a missing file is a first start.
     *
     * @param file the snapshot file, or {@code null} for none
     * @return this builder
     */
    public Builder persistencePath(@Nullable Path file) {
      this.persistencePath = file;
      return this;
    }

    /**
     * Sets the period of extra snapshots while the server runs (default: none, only at stop).
     * Needs a {@link #persistencePath(Path) persistence path}.
     *
     * @param interval positive, or {@code null} for none
     * @return this builder
     */
    public Builder saveInterval(@Nullable Duration interval) {
      this.saveInterval = interval;
      return this;
    }

    /**
     * Builds the settings.
     *
     * @return the settings
     * @throws IllegalArgumentException if a value is out of range, a save interval is set
     *     without a persistence path, or a Redis is set together with a persistence path
     */
    public ServerConfig build() {
      return new ServerConfig(
          host,
          port,
          maxSize,
          Optional.ofNullable(defaultTtl),
          maxValueBytes,
          maxKeyBytes,
          shutdownGrace,
          Optional.ofNullable(persistencePath),
          Optional.ofNullable(saveInterval),
          maxConnections,
          idleTimeout,
          headerTimeout,
          bodyTimeout,
          maxMemory,
          Optional.ofNullable(redis));
    }

    /**
     * Checks each value's range, but not the combination of options (a flag may still supply the
     * persistence path a save interval needs).
     */
    void checkRanges() {
      new ServerConfig(
          host,
          port,
          maxSize,
          Optional.ofNullable(defaultTtl),
          maxValueBytes,
          maxKeyBytes,
          shutdownGrace,
          Optional.ofNullable(persistencePath),
          Optional.empty(),
          maxConnections,
          idleTimeout,
          headerTimeout,
          bodyTimeout,
          maxMemory,
          Optional.empty());
      if (saveInterval != null && (saveInterval.isNegative() || saveInterval.isZero())) {
        throw new IllegalArgumentException("save interval must be positive, was " + saveInterval);
      }
    }
  }
}
