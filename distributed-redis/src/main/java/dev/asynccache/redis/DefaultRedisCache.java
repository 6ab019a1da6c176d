package dev.asynccache.redis;

import dev.asynccache.AsyncCache;
import dev.asynccache.CacheClosedException;
import dev.asynccache.Loader;
import dev.asynccache.Ttl;
import dev.asynccache.persistence.Codec;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two-level cache: L1 is an {@link AsyncCache} of {@link Held} values whose default TTL is
 * {@code maxStaleness}; its single-flight runs {@link #loadThroughRedis} once per key per JVM.
 *
 * <p>Why a fill racing an invalidation never leaves a stale L1 entry: a notification handler calls
 * {@code l1.delete(key)}, and the core keeps the result of a load in flight out of the cache when a
 * delete (or clear) is made during it. A notification for a write that Redis ordered after our read
 * arrives either during our load (the fill is dropped) or after it (the filled entry is deleted).
 * Our own writes drop the local L1 copy after Redis has the new value, for the same reason.
 */
final class DefaultRedisCache<K, V> implements RedisCache<K, V> {
  private static final Logger log = LoggerFactory.getLogger(DefaultRedisCache.class);
  private static final int MAX_LOGGED_DECODE_KEYS = 1024;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Codec<K> keyCodec;
  private final Codec<V> valueCodec;
  private final @Nullable Duration defaultTtl;
  private final long maxStalenessNanos;
  private final int maxValueBytes;
  private final long leaseMillis;
  private final long recheckNanos;
  private final boolean strict;
  private final CircuitBreaker breaker;
  private final AsyncCache<K, Held<V>> l1;
  private final RedisTier redis;
  private final ConcurrentHashMap<ByteKey, CompletableFuture<Void>> waiters =
      new ConcurrentHashMap<>();
  private final Set<ByteKey> loggedDecodeFailures = ConcurrentHashMap.newKeySet();
  private final AtomicLong tokens = new AtomicLong();
  private final byte[] tokenPrefix;
  private volatile boolean closed;

  private final LongAdder l2Hits = new LongAdder();
  private final LongAdder l2Misses = new LongAdder();
  private final LongAdder loads = new LongAdder();
  private final LongAdder directLoads = new LongAdder();
  private final LongAdder leasesAcquired = new LongAdder();
  private final LongAdder leaseWaits = new LongAdder();
  private final LongAdder leaseTakeovers = new LongAdder();
  private final LongAdder invalidationsReceived = new LongAdder();
  private final LongAdder l1Flushes = new LongAdder();
  private final LongAdder decodeFailures = new LongAdder();

  DefaultRedisCache(RedisCacheBuilder<K, V> b, io.lettuce.core.RedisURI uri) {
    this.keyCodec = b.keyCodec;
    this.valueCodec = b.valueCodec;
    this.defaultTtl = b.defaultTtl;
    Duration staleness = b.maxStaleness != null ? b.maxStaleness : Duration.ofMinutes(1);
    this.maxStalenessNanos = saturatedNanos(staleness);
    this.maxValueBytes = b.maxValueBytes != null ? b.maxValueBytes : 1024 * 1024;
    this.leaseMillis = (b.leaseTime != null ? b.leaseTime : Duration.ofSeconds(10)).toMillis();
    this.recheckNanos =
        (b.leaseRecheck != null ? b.leaseRecheck : Duration.ofMillis(200)).toNanos();
    this.strict = Boolean.TRUE.equals(b.strict);
    this.breaker =
        new CircuitBreaker(
            b.breakerFailures != null ? b.breakerFailures : 5,
            (b.breakerOpenTime != null ? b.breakerOpenTime : Duration.ofSeconds(1)).toNanos());
    this.l1 =
        AsyncCache.builder()
            .maxSize(b.l1MaxSize != null ? b.l1MaxSize : 10_000)
            .defaultTtl(staleness)
            .build();
    byte[] sender = new byte[16];
    RANDOM.nextBytes(sender);
    this.tokenPrefix = sender.clone();
    try {
      this.redis =
          new RedisTier(
              uri,
              Objects.requireNonNull(b.namespace),
              b.redisTimeout != null ? b.redisTimeout : Duration.ofSeconds(1),
              breaker,
              sender,
              this::onMessage,
              this::onResubscribed);
    } catch (RuntimeException e) {
      l1.close();
      throw e;
    }
  }

  // ---- reads ----

  @Override
  public @Nullable V get(K key, Loader<? extends V> loader) {
    return get(key, Ttl.cacheDefault(), loader);
  }

  @Override
  public @Nullable V get(K key, Ttl ttl, Loader<? extends V> loader) {
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(ttl, "ttl must not be null");
    Objects.requireNonNull(loader, "loader must not be null");
    checkOpen();
    Held<V> held = l1.get(key, () -> loadThroughRedis(key, ttl, loader));
    if (held == null || held.isFresh()) {
      return Held.valueOf(held);
    }
    // Its Redis TTL ran out before maxStaleness: read again (once; a fresh read is current).
    l1.delete(key);
    return Held.valueOf(l1.get(key, () -> loadThroughRedis(key, ttl, loader)));
  }

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, Loader<? extends V> loader) {
    return getAsync(key, Ttl.cacheDefault(), loader);
  }

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, Ttl ttl, Loader<? extends V> loader) {
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(ttl, "ttl must not be null");
    Objects.requireNonNull(loader, "loader must not be null");
    checkOpen();
    Loader<Held<V>> viaRedis = () -> loadThroughRedis(key, ttl, loader);
    return l1.getAsync(key, viaRedis)
        .thenCompose(
            held -> {
              if (held == null || held.isFresh()) {
                return CompletableFuture.completedFuture(Held.valueOf(held));
              }
              l1.delete(key);
              return l1.getAsync(key, viaRedis).thenApply(Held::valueOf);
            });
  }

  /** Runs once per key per JVM (the L1's single-flight): Redis, else a lease and the loader. */
  private @Nullable Held<V> loadThroughRedis(K key, Ttl ttl, Loader<? extends V> loader)
      throws Exception {
    RedisTier.Keys keys = redis.keys(keyCodec.encode(key));
    try {
      RedisTier.Read read = redis.read(keys);
      Held<V> hit = decodeHit(keys, read);
      if (hit != null) {
        return hit;
      }
      return leaseAndLoad(keys, ttl, loader, undecodable(read));
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while reading: " + e.getMessage(), e);
      }
      return loadDirect(ttl, loader);
    }
  }

  private @Nullable Held<V> leaseAndLoad(
      RedisTier.Keys keys, Ttl ttl, Loader<? extends V> loader, byte[] garbage) throws Exception {
    byte[] token = newToken();
    boolean waited = false;
    ByteKey waitKey = new ByteKey(keys.key());
    while (true) {
      checkOpen();
      if (redis.tryLease(keys, token, leaseMillis)) {
        leasesAcquired.increment();
        if (waited) {
          leaseTakeovers.increment();
        }
        return loadAsOwner(keys, token, ttl, loader, garbage);
      }
      if (!waited) {
        leaseWaits.increment();
        waited = true;
      }
      // Register before flagging, so a notification sent after the flag cannot be missed.
      CompletableFuture<Void> signal = new CompletableFuture<>();
      CompletableFuture<Void> shared = waiters.putIfAbsent(waitKey, signal);
      CompletableFuture<Void> mine = shared != null ? shared : signal;
      try {
        RedisTier.Read read = redis.flagAndRead(keys, leaseMillis);
        Held<V> hit = decodeHit(keys, read);
        if (hit != null) {
          return hit;
        }
        garbage = undecodable(read);
        try {
          mine.get(recheckNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException fallbackReread) {
          // no notification within leaseRecheck: read again anyway
        } catch (ExecutionException impossible) {
          throw new IllegalStateException(impossible);
        }
      } finally {
        waiters.remove(waitKey, mine);
      }
      RedisTier.Read read = redis.read(keys);
      Held<V> hit = decodeHit(keys, read);
      if (hit != null) {
        return hit;
      }
      garbage = undecodable(read);
      // Nothing yet: the holder stored nothing, was revoked, or its lease expired. Try again.
    }
  }

  private @Nullable Held<V> loadAsOwner(
      RedisTier.Keys keys, byte[] token, Ttl ttl, Loader<? extends V> loader, byte[] garbage)
      throws Exception {
    V value;
    try {
      loads.increment();
      value = loader.load();
    } catch (Throwable t) {
      releaseQuietly(keys, token);
      throw t;
    }
    if (value == null) {
      releaseQuietly(keys, token);
      return null;
    }
    byte[] bytes;
    try {
      bytes = encodeChecked(value);
    } catch (RuntimeException e) {
      releaseQuietly(keys, token);
      throw e;
    }
    long ttlMillis = ttlMillis(ttl);
    try {
      // ttl 0: give the value to this load's callers, keep it nowhere.
      redis.fill(keys, token, ttlMillis == 0 ? null : bytes, ttlMillis, garbage);
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while storing: " + e.getMessage(), e);
      }
    }
    return Held.of(value, ttlMillis, maxStalenessNanos);
  }

  private void releaseQuietly(RedisTier.Keys keys, byte[] token) {
    try {
      redis.fill(keys, token, null, 0, RedisTier.EMPTY);
    } catch (RedisUnavailable e) {
      // the lease expires by itself
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private @Nullable Held<V> loadDirect(Ttl ttl, Loader<? extends V> loader) throws Exception {
    loads.increment();
    directLoads.increment();
    V value = loader.load();
    return value == null ? null : Held.of(value, ttlMillis(ttl), maxStalenessNanos);
  }

  /** The bytes of a read that {@link #decodeHit} rejected, else empty. */
  private static byte[] undecodable(RedisTier.Read read) {
    byte[] bytes = read.value();
    return bytes == null ? RedisTier.EMPTY : bytes;
  }

  private @Nullable Held<V> decodeHit(RedisTier.Keys keys, RedisTier.Read read) {
    byte[] bytes = read.value();
    if (bytes == null) {
      l2Misses.increment();
      return null;
    }
    V value;
    try {
      value = valueCodec.decode(bytes);
    } catch (RuntimeException e) {
      // IllegalArgumentException by contract; a ClassCastException or worse from a bad codec too.
      decodeFailures.increment();
      l2Misses.increment();
      ByteKey k = new ByteKey(keys.key());
      if (loggedDecodeFailures.size() < MAX_LOGGED_DECODE_KEYS && loggedDecodeFailures.add(k)) {
        log.warn(
            "undecodable value in Redis under {} ({} bytes), treated as a miss: {}",
            printable(keys.value()),
            bytes.length,
            e.toString());
      }
      return null;
    }
    l2Hits.increment();
    // PTTL -1: no expiry; -2: gone since the GET (return it, keep it nowhere).
    long remaining = read.pttl() == -1 ? -1 : Math.max(read.pttl(), 0);
    return Held.of(value, remaining, maxStalenessNanos);
  }

  // ---- writes ----

  @Override
  public void set(K key, V value) {
    set(key, value, Ttl.cacheDefault());
  }

  @Override
  public void set(K key, V value, Ttl ttl) {
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(value, "value must not be null");
    Objects.requireNonNull(ttl, "ttl must not be null");
    checkOpen();
    byte[] bytes = encodeChecked(value);
    long ttlMillis = ttlMillis(ttl);
    RedisTier.Keys keys = redis.keys(keyCodec.encode(key));
    try {
      redis.write(keys, ttlMillis == 0 ? null : bytes, ttlMillis);
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while writing: " + e.getMessage(), e);
      }
      // Fail-safe: this JVM keeps the value; the others are bounded by their maxStaleness.
      if (ttlMillis == 0) {
        l1.delete(key);
      } else {
        l1.set(key, Held.of(value, ttlMillis, maxStalenessNanos));
      }
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisCacheException("interrupted while writing to Redis", e);
    }
    // After Redis has it: drop the local copy (also keeps an older fill in flight out of L1).
    l1.delete(key);
  }

  @Override
  public boolean delete(K key) {
    Objects.requireNonNull(key, "key must not be null");
    checkOpen();
    RedisTier.Keys keys = redis.keys(keyCodec.encode(key));
    long removed = 0;
    try {
      removed = redis.write(keys, null, 0);
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while deleting: " + e.getMessage(), e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisCacheException("interrupted while deleting in Redis", e);
    }
    boolean local = l1.delete(key);
    return removed > 0 || local;
  }

  // ---- notifications (on a Lettuce thread: short, never blocking) ----

  private void onMessage(byte[] message) {
    if (message.length < RedisTier.HEADER || closed) {
      return;
    }
    byte[] keyBytes = Arrays.copyOfRange(message, RedisTier.HEADER, message.length);
    CompletableFuture<Void> waiter = waiters.get(new ByteKey(keyBytes));
    if (waiter != null) {
      waiter.complete(null);
    }
    if (message[0] != RedisTier.INVALIDATE || redis.fromMe(message)) {
      return;
    }
    K key;
    try {
      key = keyCodec.decode(keyBytes);
    } catch (RuntimeException e) {
      return; // a key this JVM cannot have cached
    }
    try {
      l1.delete(key);
      invalidationsReceived.increment();
    } catch (CacheClosedException e) {
      // closing
    }
  }

  private void onResubscribed() {
    if (closed) {
      return;
    }
    try {
      l1.clear(); // notifications sent while we were not subscribed are lost
      l1Flushes.increment();
    } catch (CacheClosedException e) {
      // closing
    }
    // Anyone waiting for a lease holder re-reads now rather than at the fallback.
    waiters.values().forEach(w -> w.complete(null));
  }

  // ---- helpers ----

  private byte[] encodeChecked(V value) {
    byte[] bytes = valueCodec.encode(value);
    if (bytes.length > maxValueBytes) {
      throw new ValueTooLargeException(bytes.length, maxValueBytes);
    }
    return bytes;
  }

  /** Milliseconds to live in Redis: -1 none, 0 not kept, else at least 1. */
  private long ttlMillis(Ttl ttl) {
    if (ttl.isNever()) {
      return -1;
    }
    Duration d = ttl.isCacheDefault() ? defaultTtl : ttl.duration().orElseThrow();
    if (d == null) {
      return -1;
    }
    if (d.isZero()) {
      return 0;
    }
    try {
      return Math.max(1, d.toMillis());
    } catch (ArithmeticException e) {
      return -1;
    }
  }

  private byte[] newToken() {
    byte[] t = Arrays.copyOf(tokenPrefix, tokenPrefix.length + Long.BYTES);
    ByteBuffer.wrap(t, tokenPrefix.length, Long.BYTES).putLong(tokens.incrementAndGet());
    return t;
  }

  private void checkOpen() {
    if (closed) {
      l1.cleanUp(); // the closed L1 throws the core's CacheClosedException
      throw new IllegalStateException("the Redis cache is closing");
    }
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static String printable(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < bytes.length && i < 100; i++) {
      int c = bytes[i] & 0xff;
      if (c >= 0x20 && c < 0x7f) {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return bytes.length > 100 ? sb + "..." : sb.toString();
  }

  /** Package-private for tests: this JVM's L1 tier. */
  AsyncCache<K, Held<V>> l1() {
    return l1;
  }

  @Override
  public RedisCacheMetrics metrics() {
    return new RedisCacheMetrics(
        l1.metrics(),
        l2Hits.sum(),
        l2Misses.sum(),
        loads.sum(),
        directLoads.sum(),
        leasesAcquired.sum(),
        leaseWaits.sum(),
        leaseTakeovers.sum(),
        invalidationsReceived.sum(),
        l1Flushes.sum(),
        redis.errors.sum(),
        redis.timeouts.sum(),
        decodeFailures.sum(),
        breaker.state());
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    waiters.values().forEach(w -> w.complete(null));
    try {
      l1.close();
    } finally {
      redis.close();
    }
  }

  @Override
  public String toString() {
    return "RedisCache[l1 size " + l1.size() + ", breaker " + breaker.state() + "]";
  }

  /** A byte[] with value equality, for map keys. */
  private record ByteKey(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof ByteKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return printable(bytes);
    }
  }
}
