package dev.asynccache.redis;

import dev.asynccache.TimeSource;
import dev.asynccache.persistence.Codec;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Builds a {@link RedisCache}. Obtain one with {@link RedisCache#builder(Codec, Codec)}.
 *
 * <p>Each option may be set once ({@link IllegalStateException} otherwise); a bad value fails at
 * once with {@link IllegalArgumentException} naming the option and the value; the Redis URI is
 * parsed at {@link #build()}, which names the option if it cannot. {@code redisUri} and {@code
 * namespace} are required. Defaults: {@code l1MaxSize} 10,000, {@code maxStaleness} 1 minute, no
 * {@code defaultTtl}, {@code redisTimeout} 1 s, {@code maxValueBytes} 1 MiB, {@code leaseTime} 3
 * s (renewed by a watchdog while the loader runs), {@code leaseRecheck} 200 ms, breaker after 5 consecutive failures, open for 1 s, fail-safe
 * (not strict).
 *
 * <p>A builder is not thread-safe; the caches it builds are.
 *
 * <pre>{@code
 * RedisCache<String, String> names = RedisCache.builder(Codecs.string(), Codecs.string())
 *     .redisUri("redis://127.0.0.1:6379")
 *     .namespace("names")
 *     .defaultTtl(Duration.ofMinutes(5))
 *     .build();
 * }</pre>
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class RedisCacheBuilder<K, V> {
  final Codec<K> keyCodec;
  final Codec<V> valueCodec;
  @Nullable String redisUri;
  @Nullable String namespace;
  @Nullable Long l1MaxSize;
  @Nullable Duration maxStaleness;
  @Nullable Duration defaultTtl;
  @Nullable Duration redisTimeout;
  @Nullable Integer maxValueBytes;
  @Nullable Duration leaseTime;
  @Nullable Duration leaseRecheck;
  @Nullable Integer breakerFailures;
  @Nullable Duration breakerOpenTime;
  @Nullable Boolean strict;
  @Nullable Boolean cluster;
  @Nullable Duration clusterTopologyRefresh;
  @Nullable Duration staleIfError;
  /** Package-private: tests move a manual clock instead of sleeping. */
  @Nullable TimeSource timeSource;
  /** Package-private: tests give caches wall clocks that disagree (clock skew between hosts). */
  @Nullable InstantSource wallClock;
  @Nullable ClientResources clientResources;

  RedisCacheBuilder(Codec<K> keyCodec, Codec<V> valueCodec) {
    this.keyCodec = Objects.requireNonNull(keyCodec, "keyCodec");
    this.valueCodec = Objects.requireNonNull(valueCodec, "valueCodec");
  }

  /**
   * Sets the Redis server, as a Lettuce URI such as {@code redis://127.0.0.1:6379} or {@code
   * rediss://user:password@host:6380/0}. Parsed at {@link #build()}.
   *
   * @param uri the URI
   * @return this builder
   * @throws NullPointerException if {@code uri} is null
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> redisUri(String uri) {
    Objects.requireNonNull(uri, "redisUri must not be null");
    once(redisUri, "redisUri");
    this.redisUri = uri;
    return this;
  }

  /**
   * Sets the namespace: the prefix of every Redis key of this cache and the name of its
   * notification channel. JVMs that share a cache use the same namespace and codecs.
   *
   * @param namespace 1 to 100 characters, none of them <code>{</code>, <code>}</code>, a space or a
   *     control character
   * @return this builder
   * @throws NullPointerException if {@code namespace} is null
   * @throws IllegalArgumentException if {@code namespace} is empty, too long or has a forbidden
   *     character
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> namespace(String namespace) {
    Objects.requireNonNull(namespace, "namespace must not be null");
    once(this.namespace, "namespace");
    if (namespace.isEmpty() || namespace.length() > 100) {
      throw new IllegalArgumentException(
          "namespace must have 1 to 100 characters: \"" + namespace + "\"");
    }
    for (int i = 0; i < namespace.length(); i++) {
      char c = namespace.charAt(i);
      if (c == '{' || c == '}' || c <= ' ' || c == 0x7f) {
        throw new IllegalArgumentException(
            "namespace must not contain braces, spaces or control characters: \""
                + namespace
                + "\"");
      }
    }
    this.namespace = namespace;
    return this;
  }

  /**
   * Bounds this JVM's L1 tier to {@code maxSize} entries (least recently used evicted).
   *
   * @param maxSize at least 1 (default 10,000)
   * @return this builder
   * @throws IllegalArgumentException if {@code maxSize < 1}
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> l1MaxSize(long maxSize) {
    once(l1MaxSize, "l1MaxSize");
    if (maxSize < 1) {
      throw new IllegalArgumentException("l1MaxSize must be at least 1: " + maxSize);
    }
    this.l1MaxSize = maxSize;
    return this;
  }

  /**
   * Sets the longest an entry stays in L1, whatever its time to live in Redis: the safety net for
   * a change this JVM was not told about (a write made by a program other than a {@code
   * RedisCache}, a notification lost in a way not detected).
   *
   * @param maxStaleness positive (default 1 minute)
   * @return this builder
   * @throws NullPointerException if {@code maxStaleness} is null
   * @throws IllegalArgumentException if it is zero or negative
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> maxStaleness(Duration maxStaleness) {
    once(this.maxStaleness, "maxStaleness");
    this.maxStaleness = positive(maxStaleness, "maxStaleness");
    return this;
  }

  /**
   * Sets the time to live in Redis of values stored without an explicit {@code Ttl} (default:
   * none, they stay until deleted or evicted by Redis).
   *
   * @param ttl positive, at least 1 ms
   * @return this builder
   * @throws NullPointerException if {@code ttl} is null
   * @throws IllegalArgumentException if it is shorter than 1 ms
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> defaultTtl(Duration ttl) {
    once(defaultTtl, "defaultTtl");
    this.defaultTtl = millis(ttl, "defaultTtl");
    return this;
  }

  /**
   * Bounds every Redis call; a call that overruns counts as a failure for the circuit breaker.
   *
   * @param timeout at least 1 ms (default 1 s)
   * @return this builder
   * @throws NullPointerException if {@code timeout} is null
   * @throws IllegalArgumentException if it is shorter than 1 ms
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> redisTimeout(Duration timeout) {
    once(redisTimeout, "redisTimeout");
    this.redisTimeout = millis(timeout, "redisTimeout");
    return this;
  }

  /**
   * Shares Lettuce's client resources (its I/O event loops, timers and reconnect delay) with the
   * application and its other caches, as Lettuce advises for many clients in one JVM. Without it
   * each cache makes its own (two I/O threads, two computation threads, and a reconnect delay of
   * 10 ms doubling to 1 s), so an application with a cache per name pays those threads for every
   * name. Shared resources belong to the caller: closing the cache does not shut them down; shut
   * them down after the last cache using them is closed. Their reconnect delay is theirs: a long
   * one (Lettuce's default reaches 30 s) keeps this cache on its loaders (fail-safe) that long
   * after an outage.
   *
   * @param resources the resources, not shut down
   * @return this builder
   * @throws NullPointerException if {@code resources} is null
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> clientResources(ClientResources resources) {
    once(clientResources, "clientResources");
    this.clientResources = Objects.requireNonNull(resources, "clientResources must not be null");
    return this;
  }

  /**
   * Refuses values that encode to more than {@code bytes}, before they reach Redis.
   *
   * @param bytes at least 1, at most 512 MiB (Redis's own limit; default 1 MiB)
   * @return this builder
   * @throws IllegalArgumentException if out of range
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> maxValueBytes(int bytes) {
    once(maxValueBytes, "maxValueBytes");
    if (bytes < 1 || bytes > 512 * 1024 * 1024) {
      throw new IllegalArgumentException("maxValueBytes must be 1 to 536870912: " + bytes);
    }
    this.maxValueBytes = bytes;
    return this;
  }

  /**
   * Sets how long a load lease lasts without renewal: the longest other JVMs wait for a lease
   * holder that died before one of them takes over. While its loader runs, the holder's watchdog
   * renews the lease every third of this time (a script that extends it only if it is still the
   * holder's), so a loader slower than this still runs once in the fleet; the watchdog stops when
   * the load ends, fails, or the cache closes. Keep it well above a renewal's worst round trip.
   *
   * @param leaseTime at least 3 ms (default 3 s)
   * @return this builder
   * @throws NullPointerException if {@code leaseTime} is null
   * @throws IllegalArgumentException if it is shorter than 1 ms
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> leaseTime(Duration leaseTime) {
    once(this.leaseTime, "leaseTime");
    Objects.requireNonNull(leaseTime, "leaseTime must not be null");
    if (leaseTime.compareTo(Duration.ofMillis(3)) < 0) {
      throw new IllegalArgumentException("leaseTime must be at least 3 ms: " + leaseTime);
    }
    this.leaseTime = leaseTime;
    return this;
  }

  /**
   * Sets how long a JVM waiting for another's load waits for the notification before it reads
   * Redis again anyway (the fallback when a notification is lost).
   *
   * @param recheck at least 1 ms (default 200 ms)
   * @return this builder
   * @throws NullPointerException if {@code recheck} is null
   * @throws IllegalArgumentException if it is shorter than 1 ms
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> leaseRecheck(Duration recheck) {
    once(leaseRecheck, "leaseRecheck");
    this.leaseRecheck = millis(recheck, "leaseRecheck");
    return this;
  }

  /**
   * Sets the circuit breaker: it opens after {@code failures} consecutive failed or timed-out
   * Redis calls and then lets no call through for {@code openTime}, after which one probe call
   * decides whether it closes again.
   *
   * @param failures at least 1 (default 5)
   * @param openTime at least 1 ms (default 1 s)
   * @return this builder
   * @throws NullPointerException if {@code openTime} is null
   * @throws IllegalArgumentException if out of range
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> circuitBreaker(int failures, Duration openTime) {
    once(breakerFailures, "circuitBreaker");
    if (failures < 1) {
      throw new IllegalArgumentException("circuitBreaker failures must be at least 1: " + failures);
    }
    this.breakerOpenTime = millis(openTime, "circuitBreaker openTime");
    this.breakerFailures = failures;
    return this;
  }

  /**
   * Chooses strict mode: Redis failures, timeouts and an open breaker reach callers as {@link
   * RedisCacheException} instead of being absorbed (default {@code false}: fail-safe).
   *
   * @param strict whether to throw Redis failures at callers
   * @return this builder
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> strict(boolean strict) {
    once(this.strict, "strict");
    this.strict = strict;
    return this;
  }

  /**
   * Turns on stale-if-error: when reading a key again fails (Redis is unavailable and the loader
   * throws or overruns), callers get the key's expired L1 value instead of the failure, if it
   * expired less than {@code grace} ago, and {@link RedisCacheMetrics#staleServed()} counts it.
   * An L1 value expires when its Redis time to live or {@code maxStaleness} runs out, and when L1
   * is flushed because invalidations may have been lost (a lost connection, a flush of Redis):
   * with this option such a flush keeps the entries (never served as hits) for the grace period.
   * A value deleted or replaced by a known write ({@code set}, {@code delete}, {@code clear}, in
   * this JVM or another) is never served stale. Batch reads ({@code get}/{@code getAsync} with a
   * batch loader, {@code getAll}, {@code getAllAsync}, a {@code batcher}'s methods) follow the same
   * rule per key; when the batch fails, a {@code getAll} (or {@code getAllAsync}) is answered only
   * if every key the caller lacks has an expired value within {@code grace} (the fresh values and
   * those), otherwise it fails with the batch's failure: never a partial map. A batch loader that
   * broke its contract ({@link dev.asynccache.BatchLoadException}) is never answered stale.
   * Default: off.
   *
   * @param grace how long after expiry a value may still be served on error; positive
   * @return this builder
   * @throws NullPointerException if {@code grace} is null
   * @throws IllegalArgumentException if it is zero or negative
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> staleIfError(Duration grace) {
    once(staleIfError, "staleIfError");
    this.staleIfError = positive(grace, "staleIfError");
    return this;
  }

  /** Package-private for tests: the clock of L1 expiry and of stale-if-error. */
  RedisCacheBuilder<K, V> timeSource(TimeSource clock) {
    this.timeSource = Objects.requireNonNull(clock, "timeSource");
    return this;
  }

  /**
   * Package-private for tests: the wall clock that writes a stored value's expiry and reads the
   * time it has left (default {@link InstantSource#system()}).
   */
  RedisCacheBuilder<K, V> wallClock(InstantSource clock) {
    this.wallClock = Objects.requireNonNull(clock, "wallClock");
    return this;
  }

  /**
   * Chooses Redis Cluster: {@code redisUri} is then one seed node of the cluster, the topology is
   * discovered from it (and refreshed on MOVED/ASK redirects and reconnects), commands go to the
   * master of each key's hash slot, and notifications use the cluster-wide {@code PUBLISH}
   * (default {@code false}: a standalone Redis).
   *
   * @param cluster whether {@code redisUri} is a Redis Cluster node
   * @return this builder
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> cluster(boolean cluster) {
    once(this.cluster, "cluster");
    this.cluster = cluster;
    return this;
  }

  /**
   * Cluster: how often the topology is re-read (it is also re-read on MOVED/ASK redirects and
   * reconnects, at most once per this period). After a failover or when masters are added or
   * removed, the flush watch moves to the current masters and L1 is dropped (a failover may lose
   * writes and their notifications); until the change is seen, a {@code FLUSHALL} on a new master
   * goes unnoticed, so this bounds that window for a JVM that sends no commands. Each refresh asks
   * every node for its view ({@code CLUSTER NODES}). Ignored for a standalone Redis.
   *
   * @param period at least 100 ms (default 5 s)
   * @return this builder
   * @throws NullPointerException if {@code period} is null
   * @throws IllegalArgumentException if it is shorter than 100 ms
   * @throws IllegalStateException if it was already set
   */
  public RedisCacheBuilder<K, V> clusterTopologyRefresh(Duration period) {
    once(clusterTopologyRefresh, "clusterTopologyRefresh");
    Objects.requireNonNull(period, "clusterTopologyRefresh must not be null");
    if (period.compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("clusterTopologyRefresh must be at least 100 ms: " + period);
    }
    this.clusterTopologyRefresh = period;
    return this;
  }

  /**
   * Connects to Redis (or, in fail-safe mode, starts connecting) and builds the cache.
   *
   * @return the cache
   * @throws IllegalStateException if {@code redisUri} or {@code namespace} was not set
   * @throws IllegalArgumentException if {@code redisUri} cannot be parsed (the message names the
   *     option)
   * @throws RedisCacheException in strict mode, if Redis cannot be reached (the message names
   *     {@code redisUri}); in fail-safe mode the cache is built anyway, serves loads through the
   *     loader and connects in the background as soon as Redis answers
   */
  public RedisCache<K, V> build() {
    if (redisUri == null) {
      throw new IllegalStateException("redisUri must be set");
    }
    if (namespace == null) {
      throw new IllegalStateException("namespace must be set");
    }
    return new DefaultRedisCache<>(this, parseUri(redisUri));
  }

  static RedisURI parseUri(String uri) {
    RedisURI parsed;
    try {
      parsed = RedisURI.create(uri);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "redisUri cannot be parsed: \"" + uri + "\" (" + e.getMessage() + ")", e);
    }
    if (parsed.getHost() == null || parsed.getHost().isEmpty()) {
      throw new IllegalArgumentException(
          "redisUri has no host: \"" + uri + "\" (expected redis://host:port)");
    }
    return parsed;
  }

  @Override
  public String toString() {
    List<String> set = new ArrayList<>();
    add(set, "redisUri", redisUri == null ? null : "(set)"); // may hold a password
    add(set, "namespace", namespace);
    add(set, "l1MaxSize", l1MaxSize);
    add(set, "maxStaleness", maxStaleness);
    add(set, "defaultTtl", defaultTtl);
    add(set, "redisTimeout", redisTimeout);
    add(set, "maxValueBytes", maxValueBytes);
    add(set, "leaseTime", leaseTime);
    add(set, "leaseRecheck", leaseRecheck);
    add(set, "breakerFailures", breakerFailures);
    add(set, "breakerOpenTime", breakerOpenTime);
    add(set, "strict", strict);
    add(set, "cluster", cluster);
    add(set, "clusterTopologyRefresh", clusterTopologyRefresh);
    add(set, "staleIfError", staleIfError);
    add(set, "clientResources", clientResources == null ? null : "(shared)");
    return "RedisCacheBuilder" + set;
  }

  private static void add(List<String> out, String name, @Nullable Object value) {
    if (value != null) {
      out.add(name + "=" + value);
    }
  }

  private static void once(@Nullable Object current, String option) {
    if (current != null) {
      throw new IllegalStateException(option + " was already set");
    }
  }

  private static Duration positive(Duration d, String option) {
    Objects.requireNonNull(d, option + " must not be null");
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(option + " must be positive: " + d);
    }
    return d;
  }

  private static Duration millis(Duration d, String option) {
    Objects.requireNonNull(d, option + " must not be null");
    if (d.compareTo(Duration.ofMillis(1)) < 0) {
      throw new IllegalArgumentException(option + " must be at least 1 ms: " + d);
    }
    return d;
  }
}
