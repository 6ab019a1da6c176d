package dev.asynccache.redis;

import dev.asynccache.AsyncBatchLoader;
import dev.asynccache.AsyncCache;
import dev.asynccache.AsyncCacheBuilder;
import dev.asynccache.AsyncLoader;
import dev.asynccache.BatchLoadException;
import dev.asynccache.BatchLoader;
import dev.asynccache.Batcher;
import dev.asynccache.CacheClosedException;
import dev.asynccache.CacheMetrics;
import dev.asynccache.LoadExpiry;
import dev.asynccache.Loader;
import dev.asynccache.RecursiveLoadException;
import dev.asynccache.TimeSource;
import dev.asynccache.Ttl;
import dev.asynccache.WaitInterruptedException;
import dev.asynccache.WarmupResult;
import dev.asynccache.persistence.Codec;
import io.lettuce.core.resource.ClientResources;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two-level cache: L1 is an {@link AsyncCache} of the values themselves, whose default TTL is
 * {@code maxStaleness}; its single-flight runs {@link #loadThroughRedis} once per key per JVM. A
 * load that learns a shorter Redis TTL gives its L1 entry that TTL ({@link LoadExpiry}), so an L1
 * hit is the core's hit and nothing more: no wrapper to dereference, no clock or epoch to check.
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
  private final AsyncCache<K, V> l1;
  /** Null until connected when {@code build()} found Redis down (fail-safe mode). */
  private volatile @Nullable RedisTier redis;
  private final java.util.function.Supplier<RedisTier> connect;
  private final byte[] keyPrefix;
  private final String clientName;
  private final LongAdder connectAttemptsFailed = new LongAdder();
  private final ConcurrentHashMap<ByteKey, CompletableFuture<Void>> waiters =
      new ConcurrentHashMap<>();
  private final Set<ByteKey> loggedDecodeFailures = ConcurrentHashMap.newKeySet();
  private final AtomicLong tokens = new AtomicLong();
  private final byte[] tokenPrefix;
  private volatile boolean closed;

  private final TimeSource clock;
  /** Writes the expiry into stored values and reads the time left from it (see StoredValue). */
  private final InstantSource wallClock;
  private final long staleGraceNanos;
  /**
   * With stale-if-error, the L1 values an L1 flush dropped (they may have missed invalidations, so
   * they are never hits), kept for the grace period to answer a read that fails. The values that
   * expired in L1 are kept by L1 itself (the core's stale-if-error).
   */
  private final ConcurrentHashMap<K, StaleCopy<V>> staleCopies = new ConcurrentHashMap<>();
  private final long staleCopiesMax;
  private final LeaseWatchdog watchdog;

  private final LongAdder l2Hits = new LongAdder();
  private final LongAdder l2Misses = new LongAdder();
  private final LongAdder loads = new LongAdder();
  private final LongAdder directLoads = new LongAdder();
  private final LongAdder leasesAcquired = new LongAdder();
  private final LongAdder leaseWaits = new LongAdder();
  private final LongAdder leaseTakeovers = new LongAdder();
  private final LongAdder invalidationsReceived = new LongAdder();
  private final LongAdder l1Flushes = new LongAdder();
  private final LongAdder clearsReceived = new LongAdder();
  private final LongAdder decodeFailures = new LongAdder();
  private final LongAdder staleServed = new LongAdder();
  /** L1 misses of a quick look before the L1 lookup that counts them again (see {@link #peek}). */
  private final LongAdder peekMisses = new LongAdder();
  /** L1 hits of the second look of {@link #staleAllAfter}: the failed lookup counted them. */
  private final LongAdder peekHits = new LongAdder();

  DefaultRedisCache(RedisCacheBuilder<K, V> b, io.lettuce.core.RedisURI uri) {
    this.keyCodec = b.keyCodec;
    this.valueCodec = b.valueCodec;
    this.defaultTtl = b.defaultTtl;
    Duration staleness = b.maxStaleness != null ? b.maxStaleness : Duration.ofMinutes(1);
    this.maxStalenessNanos = saturatedNanos(staleness);
    this.maxValueBytes = b.maxValueBytes != null ? b.maxValueBytes : 1024 * 1024;
    this.leaseMillis = (b.leaseTime != null ? b.leaseTime : Duration.ofSeconds(3)).toMillis();
    this.recheckNanos =
        (b.leaseRecheck != null ? b.leaseRecheck : Duration.ofMillis(200)).toNanos();
    this.strict = Boolean.TRUE.equals(b.strict);
    this.breaker =
        new CircuitBreaker(
            b.breakerFailures != null ? b.breakerFailures : 5,
            (b.breakerOpenTime != null ? b.breakerOpenTime : Duration.ofSeconds(1)).toNanos());
    this.clock = b.timeSource != null ? b.timeSource : TimeSource.system();
    this.wallClock = b.wallClock != null ? b.wallClock : InstantSource.system();
    this.staleGraceNanos = b.staleIfError != null ? saturatedNanos(b.staleIfError) : 0;
    long maxSize = b.l1MaxSize != null ? b.l1MaxSize : 10_000;
    this.staleCopiesMax = maxSize;
    AsyncCacheBuilder l1Builder =
        AsyncCache.builder().maxSize(maxSize).defaultTtl(staleness).timeSource(clock);
    if (b.staleIfError != null) {
      // The core keeps an entry past its expiry (maxStaleness, or its Redis TTL) for the grace
      // period and serves it when the reload fails; entries an L1 flush drops are set aside.
      l1Builder.staleIfError(b.staleIfError);
    }
    this.l1 = l1Builder.build();
    this.watchdog =
        new LeaseWatchdog(leaseMillis, this::renewLease);
    byte[] sender = new byte[16];
    RANDOM.nextBytes(sender);
    this.tokenPrefix = sender.clone();
    String namespace = Objects.requireNonNull(b.namespace);
    this.keyPrefix = RedisTier.prefix(namespace);
    this.clientName = RedisTier.clientName(namespace, sender);
    boolean cluster = Boolean.TRUE.equals(b.cluster);
    Duration timeout = b.redisTimeout != null ? b.redisTimeout : Duration.ofSeconds(1);
    RedisTier.Events events =
        new RedisTier.Events() {
          @Override
          public void message(byte[] message) {
            onMessage(message);
          }

          @Override
          public void lost(String why) {
            flushL1(why);
          }
        };
    ClientResources shared = b.clientResources;
    Duration topologyRefresh =
        b.clusterTopologyRefresh != null ? b.clusterTopologyRefresh : RedisTier.TOPOLOGY_REFRESH;
    this.connect =
        () ->
            new RedisTier(
                uri, cluster, namespace, timeout, breaker, sender, events, topologyRefresh,
                shared);
    try {
      this.redis = connect.get();
    } catch (RedisCacheException e) {
      if (strict) {
        watchdog.close();
        l1.close();
        throw e;
      }
      // Fail-safe: serve through the loader meanwhile, connect as soon as Redis answers.
      log.warn("{}; serving without Redis and connecting in the background", e.getMessage());
      Thread.ofVirtual().name("async-cache-redis-connect").start(this::connectInBackground);
    } catch (RuntimeException e) {
      watchdog.close();
      l1.close();
      throw e;
    }
  }

  /** Retries the connection (10 ms doubling to 1 s) until it succeeds or the cache closes. */
  private void connectInBackground() {
    long delayMillis = 10;
    while (!closed) {
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        return;
      }
      delayMillis = Math.min(delayMillis * 2, 1000);
      RedisTier tier;
      try {
        tier = connect.get();
      } catch (RuntimeException e) {
        connectAttemptsFailed.increment();
        continue;
      }
      synchronized (this) {
        if (closed) {
          tier.close();
          return;
        }
        redis = tier;
      }
      // Entries loaded without Redis heard no invalidation: drop them.
      flushL1("connected to Redis");
      log.info("connected to Redis");
      return;
    }
  }

  /** The Redis tier; unavailable while the first connection has not been made yet. */
  private RedisTier tier() throws RedisUnavailable {
    RedisTier t = redis;
    if (t == null) {
      throw new RedisUnavailable("not connected to Redis yet (connecting in the background)");
    }
    return t;
  }

  private RedisTier.Keys keysOf(K key) {
    return RedisTier.keys(keyPrefix, keyCodec.encode(key));
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
    // No closed check of ours: L1 is closed by close() and then throws CacheClosedException itself.
    V hit = l1.getIfPresent(key);
    if (hit != null) {
      return hit; // the hit path: the core's hit, nothing more
    }
    // Kept out of this method, so that the JIT compiles the hit path alone, lookup inlined.
    return miss(key, ttl, loader);
  }

  /** {@link #get(Object, Ttl, Loader)} after L1 lacked {@code key}. */
  private @Nullable V miss(K key, Ttl ttl, Loader<? extends V> loader) {
    checkOpen();
    peekMisses.increment(); // the L1 lookup below counts this miss again
    try {
      return l1.get(key, () -> intoL1(key, loadThroughRedis(key, ttl, loader)));
    } catch (RuntimeException e) {
      return staleOrThrow(key, e);
    }
  }

  /**
   * L1's value for {@code key}, or null, before an asynchronous L1 lookup. A hit counts as L1's
   * hit. A miss is counted once more by the L1 lookup that follows, so it is also recorded in
   * {@link #peekMisses}, which {@link #metrics()} takes off L1's miss count.
   */
  private @Nullable V peek(K key) {
    V hit = l1.getIfPresent(key);
    if (hit == null) {
      peekMisses.increment();
    }
    return hit;
  }

  /**
   * Called by the load of {@code key} (inside the L1's single-flight) with what it got: gives the
   * L1 entry the time the value has left in Redis when that is shorter than {@code maxStaleness},
   * forgets a stale copy the read supersedes, and returns the value for L1.
   */
  private @Nullable V intoL1(K key, @Nullable Loaded<V> loaded) {
    if (loaded == null) {
      return null;
    }
    forgetStaleCopy(key); // a current answer wins over a copy set aside
    long left = loaded.ttlNanosAt(clock.nanoTime());
    if (left >= 0 && left < maxStalenessNanos) {
      LoadExpiry.expireAfter(l1, key, loaded.value(), Ttl.of(Duration.ofNanos(left)));
    }
    return loaded.value();
  }

  /** {@code values} got by a batch load, for L1 (each as {@link #intoL1}). */
  private Map<K, V> intoL1(Map<K, Loaded<V>> values) {
    Map<K, V> out = new HashMap<>(values.size() * 2);
    values.forEach((k, loaded) -> out.put(k, intoL1(k, loaded)));
    return out;
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
    V hit = peek(key);
    if (hit != null) {
      return CompletableFuture.completedFuture(hit);
    }
    Loader<V> viaRedis = () -> intoL1(key, loadThroughRedis(key, ttl, loader));
    return staleIfFailed(key, l1.getAsync(key, viaRedis));
  }

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, Ttl ttl, AsyncLoader<? extends V> loader) {
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(ttl, "ttl must not be null");
    Objects.requireNonNull(loader, "loader must not be null");
    checkOpen();
    V hit = peek(key);
    if (hit != null) {
      return CompletableFuture.completedFuture(hit);
    }
    // The Redis calls block: they run on a virtual thread of the L1 cache; the caller's loader is
    // started there only when Redis lacks the key, and its stage is awaited (cancelled if the L1
    // cancels ours, on loadTimeout or close).
    AsyncLoader<V> viaRedis =
        executor ->
            onCacheThread(
                executor,
                stageOwner ->
                    intoL1(
                        key,
                        loadThroughRedis(
                            key,
                            ttl,
                            () -> Stages.await(stageOwner.started(loader.load(executor))))));
    return staleIfFailed(key, l1.getAsync(key, Ttl.cacheDefault(), viaRedis));
  }

  /** {@code lookup}, its failure answered with the key's stale copy if stale-if-error allows. */
  private CompletableFuture<@Nullable V> staleIfFailed(
      K key, CompletableFuture<@Nullable V> lookup) {
    if (staleGraceNanos == 0) {
      return lookup;
    }
    return lookup
        .handle(
            (value, failure) ->
                failure == null
                    ? CompletableFuture.completedFuture(value)
                    : staleOrFailed(key, failure))
        .thenCompose(f -> f);
  }

  // ---- stale-if-error ----

  /** A value an L1 flush dropped, and when (a clock reading): served on failure within grace. */
  private record StaleCopy<V>(V value, long expiredAt) {}

  /** Whether a copy set aside may still be served: within the grace period of its drop. */
  private boolean withinGrace(StaleCopy<V> copy, long now) {
    return now - copy.expiredAt() < staleGraceNanos;
  }

  /** The key's dropped value if stale-if-error allows serving it instead of {@code failure}. */
  private @Nullable StaleCopy<V> staleFor(K key, Throwable failure) {
    if (!mayServeStale(failure)) {
      return null;
    }
    StaleCopy<V> stale = staleCopies.get(key);
    if (stale == null) {
      return null;
    }
    if (!withinGrace(stale, clock.nanoTime())) {
      staleCopies.remove(key, stale);
      return null;
    }
    staleServed.increment();
    return stale;
  }

  /**
   * Whether stale-if-error may answer {@code failure}: not a closing, a recursion, a wait cut short,
   * nor a batch loader breaking its contract (as the core's rule: misuse is never hidden).
   */
  private boolean mayServeStale(Throwable failure) {
    return staleGraceNanos != 0
        && !closed
        && !(failure instanceof CacheClosedException)
        && !(failure instanceof RecursiveLoadException)
        && !(failure instanceof WaitInterruptedException)
        && !(failure instanceof BatchLoadException);
  }

  /**
   * The stale copies of every key in {@code lacking} if stale-if-error may answer {@code failure}
   * with them (each counted in {@code staleServed}), or null if one key has no copy within the
   * grace period: a batch is answered whole or fails, never silently partial.
   */
  private @Nullable Map<K, V> staleAll(Collection<K> lacking, Throwable failure) {
    if (!mayServeStale(failure)) {
      return null;
    }
    long now = clock.nanoTime();
    Map<K, V> out = new LinkedHashMap<>();
    for (K key : lacking) {
      StaleCopy<V> stale = staleCopies.get(key);
      if (stale == null) {
        return null;
      }
      if (!withinGrace(stale, now)) {
        staleCopies.remove(key, stale);
        return null;
      }
      out.put(key, stale.value());
    }
    staleServed.add(out.size());
    return out;
  }

  /** Forgets the stale copy of a key read afresh (the read is current). */
  private void forgetStaleCopy(K key) {
    if (staleGraceNanos != 0 && !staleCopies.isEmpty()) {
      staleCopies.remove(key);
    }
  }

  private static Throwable causeOf(Throwable failure) {
    return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  private @Nullable V staleOrThrow(K key, RuntimeException failure) {
    StaleCopy<V> stale = staleFor(key, failure);
    if (stale == null) {
      throw failure;
    }
    return stale.value();
  }

  private CompletableFuture<@Nullable V> staleOrFailed(K key, Throwable failure) {
    Throwable cause = causeOf(failure);
    StaleCopy<V> stale = staleFor(key, cause);
    return stale == null
        ? CompletableFuture.failedFuture(cause)
        : CompletableFuture.completedFuture(stale.value());
  }

  /** Runs {@code work} on a thread of {@code executor}, completing the returned stage with it. */
  private static <T> CompletableFuture<T> onCacheThread(
      Executor executor, Stages.Work<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Stages.Owner owner = new Stages.Owner(result);
    executor.execute(
        () -> {
          try {
            result.complete(work.run(owner));
          } catch (Throwable t) {
            result.completeExceptionally(t);
          }
        });
    return result;
  }

  @Override
  public @Nullable V getIfPresent(K key) {
    Objects.requireNonNull(key, "key must not be null");
    checkOpen();
    V hit = peek(key); // a miss is counted again by the L1 lookup below
    if (hit != null) {
      return hit;
    }
    // L1 lacks it: Redis, through the L1's single-flight (a hit fills L1; a miss caches nothing).
    return l1.get(key, () -> intoL1(key, readThroughRedis(key)));
  }

  /** Reads Redis only: the value (decodable) or null; null also when Redis is unavailable. */
  private @Nullable Loaded<V> readThroughRedis(K key) throws InterruptedException {
    RedisTier.Keys keys = keysOf(key);
    try {
      return decodeHit(keys, tier().read(keys));
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while reading: " + e.getMessage(), e);
      }
      return null;
    }
  }

  /** Runs once per key per JVM (the L1's single-flight): Redis, else a lease and the loader. */
  private @Nullable Loaded<V> loadThroughRedis(K key, Ttl ttl, Loader<? extends V> loader)
      throws Exception {
    RedisTier.Keys keys = keysOf(key);
    try {
      byte[] read = tier().read(keys);
      Loaded<V> hit = decodeHit(keys, read);
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

  private @Nullable Loaded<V> leaseAndLoad(
      RedisTier.Keys keys, Ttl ttl, Loader<? extends V> loader, byte[] garbage) throws Exception {
    byte[] token = newToken();
    boolean waited = false;
    ByteKey waitKey = new ByteKey(keys.key());
    while (true) {
      checkOpen();
      RedisTier.Lease lease = tier().lease(keys, token, leaseMillis);
      Loaded<V> found = afterLease(keys, lease, garbage);
      if (found != null) {
        if (lease.acquired()) {
          // A holder stored the value and left between our miss and our lease: no load.
          releaseQuietly(keys, token);
        }
        return found;
      }
      if (lease.acquired()) {
        if (waited) {
          leaseTakeovers.increment();
        }
        return loadAsOwner(keys, token, ttl, loader, undecodable(lease.value()));
      }
      if (!waited) {
        leaseWaits.increment();
        waited = true;
      }
      awaitHolder(keys, waitKey);
      byte[] read = tier().read(keys);
      Loaded<V> hit = decodeHit(keys, read);
      if (hit != null) {
        return hit;
      }
      garbage = undecodable(read);
      // Nothing yet: the holder stored nothing, was revoked, or its lease expired. Try again.
    }
  }

  /**
   * Flags that this JVM waits for the key's lease holder, then waits for its notification (or a
   * flush, or {@code leaseRecheck}). Returns early if the value is already there.
   */
  private void awaitHolder(RedisTier.Keys keys, ByteKey waitKey)
      throws RedisUnavailable, InterruptedException {
    // Register before flagging, so a notification sent after the flag cannot be missed.
    CompletableFuture<Void> signal = new CompletableFuture<>();
    CompletableFuture<Void> shared = waiters.putIfAbsent(waitKey, signal);
    CompletableFuture<Void> mine = shared != null ? shared : signal;
    try {
      if (tier().flagAndRead(keys, leaseMillis) != null) {
        return;
      }
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
  }

  private @Nullable Loaded<V> loadAsOwner(
      RedisTier.Keys keys, byte[] token, Ttl ttl, Loader<? extends V> loader, byte[] garbage)
      throws Exception {
    V value;
    try (LeaseWatchdog.Watch watch = watchdog.watch(List.of(keys), List.of(token))) {
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
      byte @Nullable [] toStore = ttlMillis == 0 ? null : stored(bytes, ttlMillis);
      tier().fill(keys, token, toStore, ttlMillis, garbage);
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while storing: " + e.getMessage(), e);
      }
    }
    return loaded(value, ttlMillis);
  }

  private CompletableFuture<Boolean> renewLease(RedisTier.Keys keys, byte[] token) {
    RedisTier t = redis;
    return t == null
        ? CompletableFuture.failedFuture(new RedisUnavailable("not connected to Redis yet"))
        : t.renew(keys, token, leaseMillis);
  }

  private void releaseQuietly(RedisTier.Keys keys, byte[] token) {
    try {
      tier().fillMany(List.of(RedisTier.Fill.release(keys, token)));
    } catch (RedisUnavailable e) {
      // the lease expires by itself
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private @Nullable Loaded<V> loadDirect(Ttl ttl, Loader<? extends V> loader) throws Exception {
    loads.increment();
    directLoads.increment();
    V value = loader.load();
    return value == null ? null : loaded(value, ttlMillis(ttl));
  }

  // ---- batches ----

  @Override
  public @Nullable V get(K key, BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    checkOpen();
    V hit = peek(key);
    if (hit != null) {
      return hit; // no batch-loader wrapper allocated for a hit
    }
    try {
      return l1.get(key, new TierBatchLoader(batchLoader));
    } catch (RuntimeException e) {
      return staleOrThrow(key, e);
    }
  }

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    checkOpen();
    V hit = peek(key);
    if (hit != null) {
      return CompletableFuture.completedFuture(hit);
    }
    return staleIfFailed(key, l1.getAsync(key, new TierBatchLoader(batchLoader)));
  }

  @Override
  public Map<K, V> getAll(Collection<? extends K> keys, BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(keys, "keys must not be null");
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    checkOpen();
    return staleAllIfFailed(keys, () -> l1.getAll(keys, new TierBatchLoader(batchLoader)));
  }

  @Override
  public CompletableFuture<Map<K, V>> getAllAsync(
      Collection<? extends K> keys, BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(keys, "keys must not be null");
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    checkOpen();
    return staleAllIfFailedAsync(keys, l1.getAllAsync(keys, new TierBatchLoader(batchLoader)));
  }

  @Override
  public Batcher<K, V> batcher(BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    checkOpen();
    return new TierBatcher(l1.batcher(new TierBatchLoader(batchLoader)));
  }

  @Override
  public Batcher<K, V> batcher(AsyncBatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    checkOpen();
    AsyncBatchLoader<K, V> tier =
        (keys, executor) ->
            onCacheThread(
                executor,
                owner ->
                    nullIfBroken(
                        () ->
                            intoL1(
                                loadManyThroughRedis(
                                    keys,
                                    missing ->
                                        Collections.unmodifiableMap(
                                            Stages.await(
                                                owner.started(
                                                    batchLoader.load(missing, executor))))))));
    return new TierBatcher(l1.batcher(tier));
  }

  /**
   * The answer of a batch lookup. With stale-if-error, a failed lookup is answered from the values
   * L1 holds and the stale copies of the others, only when every key the caller lacks has one
   * within the grace period; otherwise the failure is thrown.
   */
  private Map<K, V> staleAllIfFailed(
      Collection<? extends K> keys, java.util.function.Supplier<Map<K, V>> lookup) {
    try {
      return lookup.get();
    } catch (RuntimeException e) {
      Map<K, V> served = staleAllAfter(keys, e);
      if (served == null) {
        throw e;
      }
      return served;
    }
  }

  /** As {@link #staleAllIfFailed}, for a lookup's stage. */
  private CompletableFuture<Map<K, V>> staleAllIfFailedAsync(
      Collection<? extends K> keys, CompletableFuture<Map<K, V>> lookup) {
    if (staleGraceNanos == 0) {
      return lookup;
    }
    return lookup
        .handle(
            (map, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(map);
              }
              Throwable cause = causeOf(failure);
              Map<K, V> served = staleAllAfter(keys, cause);
              return served == null
                  ? CompletableFuture.<Map<K, V>>failedFuture(cause)
                  : CompletableFuture.completedFuture(served);
            })
        .thenCompose(f -> f);
  }

  /**
   * After a batch lookup of {@code keys} failed with {@code failure}: the keys L1 holds, and the
   * stale copies of all the others, or null (then the failure stands) if stale-if-error may not
   * answer it or one of those keys has no copy within the grace period. Without stale-if-error
   * nothing is looked up.
   */
  private @Nullable Map<K, V> staleAllAfter(Collection<? extends K> keys, Throwable failure) {
    if (!mayServeStale(failure)) {
      return null;
    }
    Map<K, V> out = new LinkedHashMap<>();
    Set<K> lacking = new java.util.LinkedHashSet<>();
    for (K key : keys) {
      if (key == null) {
        return null; // the caller's mistake: its exception stands
      }
      if (out.containsKey(key) || lacking.contains(key)) {
        continue; // a duplicate
      }
      V value = l1.getIfPresent(key);
      if (value == null) {
        peekMisses.increment(); // the failed lookup counted this miss already
        lacking.add(key);
      } else {
        peekHits.increment(); // and this hit
        out.put(key, value);
      }
    }
    Map<K, V> stale = staleAll(lacking, failure);
    if (stale == null) {
      return null;
    }
    out.putAll(stale);
    return out;
  }

  /**
   * Runs once per batch of keys that L1 lacks (the L1's batching and single-flight): one pipelined
   * MGET, one pipeline of leases for the keys Redis lacks, one call of {@code batchLoader} for the
   * keys leased, one pipeline of fills. Keys another JVM holds a lease for are waited for, each as
   * a single {@code get} would (on virtual threads, concurrently).
   */
  private Map<K, Loaded<V>> loadManyThroughRedis(
      List<K> keys, BatchLoader<K, ? extends V> loader) throws Exception {
    List<RedisTier.Keys> names = new ArrayList<>(keys.size());
    for (K k : keys) {
      names.add(keysOf(k));
    }
    Map<K, Loaded<V>> out = new HashMap<>();
    List<Integer> missing = new ArrayList<>();
    List<byte[]> garbage = new ArrayList<>();
    try {
      List<byte[]> reads = tier().readMany(names);
      for (int i = 0; i < keys.size(); i++) {
        Loaded<V> hit = decodeHit(names.get(i), reads.get(i));
        if (hit != null) {
          out.put(keys.get(i), hit);
        } else {
          missing.add(i);
          garbage.add(undecodable(reads.get(i)));
        }
      }
      if (missing.isEmpty()) {
        return out;
      }
      List<RedisTier.Keys> toLease = new ArrayList<>(missing.size());
      List<byte[]> tokens = new ArrayList<>(missing.size());
      for (int i : missing) {
        toLease.add(names.get(i));
        tokens.add(newToken());
      }
      List<RedisTier.Lease> leases = tier().leaseMany(toLease, tokens, leaseMillis);
      List<Integer> owned = new ArrayList<>();
      List<Integer> contended = new ArrayList<>();
      List<RedisTier.Fill> releases = new ArrayList<>();
      for (int j = 0; j < missing.size(); j++) {
        int i = missing.get(j);
        RedisTier.Lease lease = leases.get(j);
        Loaded<V> found = afterLease(names.get(i), lease, garbage.get(j));
        if (found != null) {
          out.put(keys.get(i), found);
          if (lease.acquired()) {
            releases.add(RedisTier.Fill.release(names.get(i), tokens.get(j)));
          }
        } else if (lease.acquired()) {
          owned.add(j);
        } else {
          contended.add(i);
        }
      }
      if (!releases.isEmpty()) {
        tier().fillMany(releases);
      }
      if (!owned.isEmpty()) {
        loadOwnedBatch(keys, names, missing, owned, tokens, garbage, loader, out);
      }
      if (!contended.isEmpty()) {
        awaitContended(keys, names, contended, loader, out);
      }
      return out;
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable during a batch: " + e.getMessage(), e);
      }
      List<K> rest = new ArrayList<>();
      for (K k : keys) {
        if (!out.containsKey(k)) {
          rest.add(k);
        }
      }
      loads.add(rest.size());
      directLoads.add(rest.size());
      long ttl = ttlMillis(Ttl.cacheDefault());
      Map<K, ? extends V> loaded = callBatch(loader, rest);
      for (K k : rest) {
        V v = loaded.get(k);
        if (v != null) {
          out.put(k, loaded(v, ttl));
        }
      }
      return out;
    }
  }

  /** Calls the batch loader once for the leased keys, then stores the values in one pipeline. */
  private void loadOwnedBatch(
      List<K> keys,
      List<RedisTier.Keys> names,
      List<Integer> missing,
      List<Integer> owned,
      List<byte[]> tokens,
      List<byte[]> garbage,
      BatchLoader<K, ? extends V> loader,
      Map<K, Loaded<V>> out)
      throws Exception {
    List<K> batch = new ArrayList<>(owned.size());
    for (int j : owned) {
      batch.add(keys.get(missing.get(j)));
    }
    loads.add(batch.size());
    List<RedisTier.Fill> fills = new ArrayList<>(owned.size());
    long ttl = ttlMillis(Ttl.cacheDefault());
    Map<K, ? extends V> loaded;
    List<@Nullable Loaded<V>> results = new ArrayList<>(owned.size());
    List<RedisTier.Keys> leased = new ArrayList<>(owned.size());
    List<byte[]> leaseTokens = new ArrayList<>(owned.size());
    for (int j : owned) {
      leased.add(names.get(missing.get(j)));
      leaseTokens.add(tokens.get(j));
    }
    try {
      try (LeaseWatchdog.Watch watch = watchdog.watch(leased, leaseTokens)) {
        loaded = callBatch(loader, Collections.unmodifiableList(batch));
      }
      for (int n = 0; n < owned.size(); n++) {
        int j = owned.get(n);
        V v = loaded.get(batch.get(n));
        byte[] bytes = v == null || ttl == 0 ? null : stored(encodeChecked(v), ttl);
        fills.add(new RedisTier.Fill(names.get(missing.get(j)), tokens.get(j), bytes, ttl,
            garbage.get(j)));
        results.add(v == null ? null : loaded(v, ttl));
      }
    } catch (Throwable t) {
      List<RedisTier.Fill> releases = new ArrayList<>();
      for (int j : owned) {
        releases.add(RedisTier.Fill.release(names.get(missing.get(j)), tokens.get(j)));
      }
      try {
        tier().fillMany(releases);
      } catch (RedisUnavailable ignored) {
        // the leases expire by themselves
      }
      throw t;
    }
    try {
      tier().fillMany(fills);
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while storing: " + e.getMessage(), e);
      }
    }
    for (int n = 0; n < batch.size(); n++) {
      if (results.get(n) != null) {
        out.put(batch.get(n), results.get(n));
      }
    }
  }

  /** Waits for other JVMs' leases, one virtual thread per key; a take-over loads that key alone. */
  private void awaitContended(
      List<K> keys,
      List<RedisTier.Keys> names,
      List<Integer> contended,
      BatchLoader<K, ? extends V> loader,
      Map<K, Loaded<V>> out)
      throws Exception {
    List<CompletableFuture<@Nullable Loaded<V>>> waits = new ArrayList<>(contended.size());
    for (int i : contended) {
      K key = keys.get(i);
      RedisTier.Keys name = names.get(i);
      CompletableFuture<@Nullable Loaded<V>> f = new CompletableFuture<>();
      Thread.ofVirtual()
          .name("async-cache-redis-batch-wait")
          .start(
              () -> {
                try {
                  f.complete(
                      leaseAndLoad(
                          name,
                          Ttl.cacheDefault(),
                          () -> callBatch(loader, List.of(key)).get(key),
                          RedisTier.EMPTY));
                } catch (Throwable t) {
                  f.completeExceptionally(t);
                }
              });
      waits.add(f);
    }
    for (int n = 0; n < contended.size(); n++) {
      Loaded<V> h = Stages.await(waits.get(n));
      if (h != null) {
        out.put(keys.get(contended.get(n)), h);
      }
    }
  }

  private static <K, V> Map<K, ? extends V> callBatch(BatchLoader<K, ? extends V> loader,
      List<K> keys) throws Exception {
    Map<K, ? extends V> loaded = loader.load(keys);
    if (loaded == null) {
      throw new NullBatchResult();
    }
    return loaded;
  }

  /**
   * The user's batch loader returned null: give L1 null in turn, so that the core fails every
   * caller of the batch with its own {@code BatchLoadException} (leases were released on the way).
   */
  private static <T> @Nullable T nullIfBroken(Loader<T> work) throws Exception {
    try {
      return work.load();
    } catch (NullBatchResult broken) {
      return null;
    }
  }

  /** Internal signal: a batch loader returned null instead of a map. */
  private static final class NullBatchResult extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NullBatchResult() {
      super("the batch loader returned null instead of a map", null, false, false);
    }
  }

  /**
   * The batch loader given to L1: reads Redis, leases, and calls the user's batch loader for what
   * the fleet lacks. Equal when the user's loaders coalesce (the core's rule: a lambda or method
   * reference by the expression that created it, a named class by {@code equals}), so per-call
   * batch loaders still share batches.
   */
  private final class TierBatchLoader implements BatchLoader<K, V> {
    private final BatchLoader<K, ? extends V> user;
    private final Object coalesceKey;

    TierBatchLoader(BatchLoader<K, ? extends V> user) {
      this.user = user;
      Class<?> type = user.getClass();
      this.coalesceKey = type.isHidden() ? type : user;
    }

    @Override
    public @Nullable Map<K, V> load(List<K> keys) throws Exception {
      return nullIfBroken(() -> intoL1(loadManyThroughRedis(keys, user)));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof DefaultRedisCache<?, ?>.TierBatchLoader t && t.coalesceKey.equals(coalesceKey);
    }

    @Override
    public int hashCode() {
      return coalesceKey.hashCode();
    }

    @Override
    public String toString() {
      return "through Redis: " + user;
    }
  }

  /** A core batcher of L1 whose failures stale-if-error may answer. */
  private final class TierBatcher implements Batcher<K, V> {
    private final Batcher<K, V> l1Batcher;

    TierBatcher(Batcher<K, V> l1Batcher) {
      this.l1Batcher = l1Batcher;
    }

    @Override
    public @Nullable V get(K key) {
      checkOpen();
      try {
        return l1Batcher.get(key);
      } catch (RuntimeException e) {
        return staleOrThrow(key, e);
      }
    }

    @Override
    public CompletableFuture<@Nullable V> getAsync(K key) {
      checkOpen();
      return staleIfFailed(key, l1Batcher.getAsync(key));
    }

    @Override
    public Map<K, V> getAll(Collection<? extends K> keys) {
      checkOpen();
      return staleAllIfFailed(keys, () -> l1Batcher.getAll(keys));
    }

    @Override
    public CompletableFuture<Map<K, V>> getAllAsync(Collection<? extends K> keys) {
      checkOpen();
      return staleAllIfFailedAsync(keys, l1Batcher.getAllAsync(keys));
    }
  }

  /**
   * The step every lease attempt shares, single key or batch: counts a lease won, and returns the
   * value read in the same pipeline if there is a new one (then the caller releases a lease it
   * won and loads nothing); null means: load if the lease was won, else wait for its holder.
   */
  private @Nullable Loaded<V> afterLease(
      RedisTier.Keys keys, RedisTier.Lease lease, byte[] garbage) {
    if (lease.acquired()) {
      leasesAcquired.increment();
    }
    return decodeNew(keys, lease.value(), garbage);
  }

  /**
   * Decodes the value read beside a lease attempt, unless there is none or it is the same bytes
   * already rejected (counted once). {@code rejected} is {@link RedisTier#EMPTY} itself when
   * nothing was rejected (an empty value that was is another array).
   */
  private @Nullable Loaded<V> decodeNew(
      RedisTier.Keys keys, byte @Nullable [] stored, byte[] rejected) {
    if (stored == null || (rejected != RedisTier.EMPTY && Arrays.equals(stored, rejected))) {
      return null;
    }
    return decodeHit(keys, stored);
  }

  /** The stored bytes of a read that {@link #decodeHit} rejected, else empty. */
  private static byte[] undecodable(byte @Nullable [] stored) {
    return stored == null ? RedisTier.EMPTY : stored;
  }

  /**
   * The value of stored bytes read from Redis (see {@link StoredValue}), held in L1 for the time
   * its header says it has left by this JVM's wall clock; null for a miss. Bytes without a valid
   * header, or whose payload the codec rejects, are a miss too: counted, logged once per key.
   */
  private @Nullable Loaded<V> decodeHit(RedisTier.Keys keys, byte @Nullable [] stored) {
    if (stored == null) {
      l2Misses.increment();
      return null;
    }
    StoredValue.Status status = StoredValue.check(stored);
    if (status != StoredValue.Status.OK) {
      rejected(keys, stored, status.description());
      return null;
    }
    V value;
    try {
      value = valueCodec.decode(StoredValue.payload(stored));
    } catch (RuntimeException e) {
      // IllegalArgumentException by contract; a ClassCastException or worse from a bad codec too.
      rejected(keys, stored, e.toString());
      return null;
    }
    l2Hits.increment();
    // An expiry already past by our clock (Redis has not expired the key yet, or the writer's
    // clock is behind ours): return the value, keep it nowhere.
    return loaded(value, StoredValue.remainingMillis(stored, wallClock.millis()));
  }

  /** A value read or stored now, with {@code remainingMillis} to live in Redis. */
  private Loaded<V> loaded(V value, long remainingMillis) {
    return Loaded.of(value, remainingMillis, clock.nanoTime());
  }

  /** Counts undecodable bytes read as a miss, and logs the first of each key. */
  private void rejected(RedisTier.Keys keys, byte[] stored, String why) {
    decodeFailures.increment();
    l2Misses.increment();
    ByteKey k = new ByteKey(keys.key());
    if (loggedDecodeFailures.size() < MAX_LOGGED_DECODE_KEYS && loggedDecodeFailures.add(k)) {
      log.warn(
          "undecodable value in Redis under {} ({} bytes), treated as a miss: {}",
          printable(keys.value()),
          stored.length,
          why);
    }
  }

  /**
   * The stored form of a value's codec bytes that lives {@code ttlMillis} in Redis ({@code -1}:
   * no expiry): the header carries the expiry by this JVM's wall clock.
   */
  private byte[] stored(byte[] bytes, long ttlMillis) {
    return StoredValue.encode(bytes, StoredValue.expiryAfter(wallClock.millis(), ttlMillis));
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
    RedisTier.Keys keys = keysOf(key);
    try {
      tier().write(keys, ttlMillis == 0 ? null : stored(bytes, ttlMillis), ttlMillis);
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while writing: " + e.getMessage(), e);
      }
      // Fail-safe: this JVM keeps the value; the others are bounded by their maxStaleness.
      if (ttlMillis == 0) {
        l1.delete(key);
      } else {
        l1.set(key, value, l1Ttl(ttlMillis));
      }
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisCacheException("interrupted while writing to Redis", e);
    }
    // After Redis has it: drop the local copy (also keeps an older fill in flight out of L1).
    staleCopies.remove(key);
    l1.delete(key);
  }

  @Override
  public boolean delete(K key) {
    Objects.requireNonNull(key, "key must not be null");
    checkOpen();
    RedisTier.Keys keys = keysOf(key);
    long removed = 0;
    try {
      removed = tier().write(keys, null, 0);
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while deleting: " + e.getMessage(), e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisCacheException("interrupted while deleting in Redis", e);
    }
    staleCopies.remove(key);
    boolean local = l1.delete(key);
    return removed > 0 || local;
  }

  @Override
  public void clear() {
    checkOpen();
    try {
      tier().clearNamespace();
    } catch (RedisUnavailable e) {
      if (strict) {
        throw new RedisCacheException("Redis unavailable while clearing: " + e.getMessage(), e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisCacheException("interrupted while clearing Redis", e);
    }
    staleCopies.clear();
    l1.clear();
  }

  // ---- notifications (on a Lettuce thread: short, never blocking) ----

  private void onMessage(byte[] message) {
    if (message.length < RedisTier.HEADER || closed) {
      return;
    }
    if (message[0] == RedisTier.CLEAR) {
      if (!fromMe(message)) {
        clearL1();
        clearsReceived.increment();
      }
      return;
    }
    byte[] keyBytes = Arrays.copyOfRange(message, RedisTier.HEADER, message.length);
    CompletableFuture<Void> waiter = waiters.get(new ByteKey(keyBytes));
    if (waiter != null) {
      waiter.complete(null);
    }
    if (message[0] != RedisTier.INVALIDATE || fromMe(message)) {
      return;
    }
    K key;
    try {
      key = keyCodec.decode(keyBytes);
    } catch (RuntimeException e) {
      return; // a key this JVM cannot have cached
    }
    try {
      staleCopies.remove(key);
      l1.delete(key);
      invalidationsReceived.increment();
    } catch (CacheClosedException e) {
      // closing
    }
  }

  /**
   * Invalidations may have been lost (the notification connection dropped or came back, Redis was
   * flushed): drop every L1 entry; the core keeps loads in flight out of L1 too.
   */
  private void flushL1(String why) {
    if (closed) {
      return;
    }
    log.debug("dropping every L1 entry: {}", why);
    if (staleGraceNanos != 0) {
      setAsideAll();
    }
    try {
      l1.clear();
    } catch (CacheClosedException e) {
      // closing
    }
    l1Flushes.increment(); // after the clear: the counter says the flush is done
    // Anyone waiting for a lease holder re-reads now rather than at the fallback.
    waiters.values().forEach(w -> w.complete(null));
  }

  /**
   * Stale-if-error: keeps the values L1 holds before a flush drops them (at most {@code
   * l1MaxSize}, older copies of the same keys replaced), to answer reads that fail within the
   * grace period.
   */
  private void setAsideAll() {
    long now = clock.nanoTime();
    staleCopies.values().removeIf(c -> !withinGrace(c, now));
    try {
      for (Map.Entry<K, V> e : l1.asMap().entrySet()) {
        if (staleCopies.size() >= staleCopiesMax && !staleCopies.containsKey(e.getKey())) {
          break;
        }
        staleCopies.put(e.getKey(), new StaleCopy<>(e.getValue(), now));
      }
    } catch (CacheClosedException e) {
      // closing
    }
  }

  private void clearL1() {
    staleCopies.clear();
    try {
      l1.clear();
    } catch (CacheClosedException e) {
      // closing
    }
  }

  // ---- helpers ----

  private boolean fromMe(byte[] message) {
    return Arrays.equals(message, 1, RedisTier.HEADER, tokenPrefix, 0, tokenPrefix.length);
  }

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

  /** The L1 time to live of a value written with {@code ttlMillis} in Redis (not 0). */
  private Ttl l1Ttl(long ttlMillis) {
    return ttlMillis < 0 || ttlMillis >= maxStalenessNanos / 1_000_000
        ? Ttl.cacheDefault() // maxStaleness
        : Ttl.of(Duration.ofMillis(ttlMillis));
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

  /** Package-private for tests: the name of this cache's Redis connections. */
  String clientName() {
    return clientName;
  }

  /** Package-private for tests: the leases this JVM is keeping alive now. */
  int activeLeaseWatches() {
    return watchdog.active();
  }

  /** Package-private for tests: this JVM's L1 tier. */
  AsyncCache<K, V> l1() {
    return l1;
  }

  @Override
  public CacheMetrics metrics() {
    // Read first: a second look's hit or miss is counted by L1 before it is counted here, so the
    // differences are never negative.
    long countedMisses = peekMisses.sum();
    long countedHits = peekHits.sum();
    CacheMetrics m = l1.metrics();
    return new CacheMetrics(
        m.hitCount() - Math.min(countedHits, m.hitCount()),
        m.missCount() - Math.min(countedMisses, m.missCount()),
        m.loadSuccessCount(),
        m.loadFailureCount(),
        m.totalLoadTimeNanos(),
        m.joinedLoadCount(),
        m.evictionCount(),
        m.expirationCount(),
        m.batchCallCount(),
        m.batchedKeyCount(),
        m.refreshCount(),
        m.staleServedCount(),
        m.size(),
        m.maxSize(),
        m.weightedSize());
  }

  private long errors() {
    RedisTier t = redis;
    return connectAttemptsFailed.sum() + (t == null ? 0 : t.errors.sum());
  }

  private long timeouts() {
    RedisTier t = redis;
    return t == null ? 0 : t.timeouts.sum();
  }

  /** Package-private for tests: whether the Redis connection has been made. */
  boolean connected() {
    return redis != null;
  }

  @Override
  public RedisCacheMetrics tierMetrics() {
    CacheMetrics l1Metrics = metrics();
    return new RedisCacheMetrics(
        l1Metrics,
        l2Hits.sum(),
        l2Misses.sum(),
        loads.sum(),
        directLoads.sum(),
        leasesAcquired.sum(),
        leaseWaits.sum(),
        leaseTakeovers.sum(),
        invalidationsReceived.sum(),
        clearsReceived.sum(),
        l1Flushes.sum(),
        errors(),
        timeouts(),
        decodeFailures.sum(),
        watchdog.renewals(),
        staleServed.sum() + l1Metrics.staleServedCount(),
        breaker.state());
  }

  @Override
  public WarmupResult<K> warmup(Map<? extends K, ? extends Loader<? extends V>> loaders) {
    Objects.requireNonNull(loaders, "loaders must not be null");
    checkOpen();
    Map<K, Loader<V>> viaRedis = new LinkedHashMap<>();
    loaders.forEach(
        (k, loader) -> {
          Objects.requireNonNull(k, "key must not be null");
          Objects.requireNonNull(loader, "loader must not be null");
          viaRedis.put(k, () -> intoL1(k, loadThroughRedis(k, Ttl.cacheDefault(), loader)));
        });
    return l1.warmup(viaRedis);
  }

  /**
   * Not offered: the map's atomic operations would have to be atomic across the fleet.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  public ConcurrentMap<K, V> asMap() {
    throw new UnsupportedOperationException(
        "asMap() is not offered by a RedisCache: putIfAbsent, replace and compute would have to be"
            + " atomic across the fleet; use get, set and delete");
  }

  @Override
  public void cleanUp() {
    checkOpen();
    l1.cleanUp();
  }

  @Override
  public long size() {
    return l1.size();
  }

  /**
   * A {@code RedisCache} has no persistence backend (Redis is its shared tier).
   *
   * @throws IllegalStateException always (or {@link CacheClosedException} once closed)
   */
  @Override
  public long saveToBackend() {
    checkOpen();
    throw new IllegalStateException(
        "a RedisCache has no persistence backend: Redis is its shared tier");
  }

  /**
   * A {@code RedisCache} has no persistence backend (Redis is its shared tier).
   *
   * @throws IllegalStateException always (or {@link CacheClosedException} once closed)
   */
  @Override
  public long loadFromBackend() {
    checkOpen();
    throw new IllegalStateException(
        "a RedisCache has no persistence backend: Redis is its shared tier");
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    waiters.values().forEach(w -> w.complete(null));
    try {
      watchdog.close();
      l1.close();
    } finally {
      RedisTier t = redis;
      if (t != null) {
        t.close();
      }
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
