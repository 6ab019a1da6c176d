package dev.asynccache.redis;

import dev.asynccache.AsyncCache;
import dev.asynccache.CacheClosedException;
import dev.asynccache.LoadException;
import dev.asynccache.Loader;
import dev.asynccache.Ttl;
import dev.asynccache.persistence.Codec;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A cache shared by a fleet of JVMs: each JVM keeps the core's {@link dev.asynccache.AsyncCache}
 * as its in-process tier (L1), in front of one Redis (L2) that every JVM of the fleet uses. Build
 * one with {@link #builder(Codec, Codec)}.
 *
 * <h2>Semantics</h2>
 *
 * <ul>
 *   <li><b>Reads.</b> An L1 hit never touches the network. An L1 miss is single-flight inside the
 *       JVM (the core's), then reads Redis (one {@code GET}); a Redis hit fills L1 for the entry's
 *       remaining time to live, bounded by {@code maxStaleness}. That time is the expiry stored
 *       with the value (the writer's wall clock plus the TTL) minus this JVM's wall clock, so a
 *       clock behind the writer's by d keeps the L1 copy up to d past the key's Redis TTL.
 *   <li><b>Single-flight across JVMs.</b> When Redis lacks the key too, one JVM takes a lease in
 *       Redis and runs the loader; the others wait (woken by a notification when the value is
 *       written, with a bounded fallback re-read) and take over when the lease expires, so a loader
 *       running longer than {@code leaseTime} may run twice. A loader that returns {@code null} or
 *       throws stores nothing: each waiting JVM then loads for itself in turn.
 *   <li><b>Writes.</b> {@link #set} and {@link #delete} write Redis first, then drop this JVM's L1
 *       copy (the next read here refills it from Redis) and notify every other JVM of the
 *       namespace, which drops its L1 copy. A write also revokes a lease in flight for the key, so a
 *       load that started before the write never stores its older value. Loader fills are not
 *       broadcast.
 *   <li><b>Fail-safe.</b> Every Redis call has a timeout; after repeated failures a circuit breaker
 *       stops calling Redis and probes it again later. While Redis is unavailable, L1 hits are
 *       served and misses call the loader directly (still single-flight inside the JVM); writes
 *       change L1 only. No Redis exception reaches callers unless the cache was built {@code
 *       strict}, in which case they get a {@link RedisCacheException}. With {@link
 *       RedisCacheBuilder#staleIfError stale-if-error}, a read again of an expired value that fails
 *       is answered with that value within the grace period, by single-key and batch reads alike;
 *       a failed batch of {@code getAll}/{@code getAllAsync} (or a batcher's) is answered only if
 *       every key the caller lacks has such a value, otherwise its failure is thrown: never a
 *       partial map.
 *   <li><b>Bad data.</b> Bytes in Redis that are not a value this library stored (no valid header:
 *       another program's {@code SET}, an older format) or that the value codec cannot decode are
 *       treated as a miss, counted in {@link RedisCacheMetrics#decodeFailures()}, logged once per
 *       key, and overwritten by the load.
 * </ul>
 *
 * <h2>The core's operations</h2>
 *
 * <p>A {@code RedisCache} is an {@link AsyncCache}: code written against the core (and the Kotlin
 * {@code SuspendingCache}, through {@code asSuspending()}) runs over it unchanged. How each
 * operation uses the two tiers:
 *
 * <ul>
 *   <li>{@code get}/{@code getAsync} with a {@link dev.asynccache.Loader} or {@link
 *       dev.asynccache.AsyncLoader}: as above.
 *   <li>Batch loads ({@code get}/{@code getAll} with a {@link dev.asynccache.BatchLoader}, {@link
 *       #batcher}): the keys L1 lacks are read from Redis in one pipelined {@code MGET} (split by
 *       hash slot, one round trip per node, in a Cluster); the keys Redis lacks too are leased in one
 *       pipeline and the batch loader is called once for the leased ones; the values are written
 *       back in one pipeline. Keys leased by another JVM are waited for as with {@code get}.
 *   <li>{@link #getIfPresent}: L1, else Redis (a hit fills L1); never loads.
 *   <li>{@link #clear()}: removes every Redis key of the namespace (on every master of a Cluster)
 *       and tells every JVM of the fleet to clear its L1.
 *   <li>{@link #metrics()}: the L1 cache's counters, as the core defines them; {@link
 *       #tierMetrics()} adds Redis, leases, invalidations and the breaker.
 *   <li>{@link #warmup}: {@code get} of each key concurrently, through Redis.
 *   <li>{@link #asMap()} throws {@link UnsupportedOperationException}: its atomic operations
 *       ({@code putIfAbsent}, {@code replace}, {@code compute}) would need to be atomic across the
 *       fleet, which this tier does not offer. {@link #saveToBackend()} and {@link
 *       #loadFromBackend()} throw {@link IllegalStateException} (Redis is the shared tier; there is
 *       no persistence backend).
 * </ul>
 *
 * <p>Keys and values are never {@code null}; passing one throws {@link NullPointerException}.
 * Every method is thread-safe; blocking methods are meant for virtual threads. After {@link
 * #close()} every method but {@code close} and {@code metrics} throws {@link
 * CacheClosedException}.
 *
 * <p>Exceptions from a loader reach a synchronous caller as thrown when unchecked, wrapped in a
 * {@link LoadException} when checked; futures from {@code getAsync} fail with the loader's own
 * exception (as the core's {@code AsyncCache}).
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface RedisCache<K, V> extends AsyncCache<K, V> {

  /**
   * Returns a new builder for a cache whose keys and values are stored in Redis through the given
   * codecs. A key's Redis name is {@code <namespace>:{<encoded key>}}.
   *
   * @param keyCodec encodes keys; {@code decode(encode(k))} must equal {@code k}
   * @param valueCodec encodes values
   * @param <K> the key type
   * @param <V> the value type
   * @return a new builder
   * @throws NullPointerException if a codec is null
   */
  static <K, V> RedisCacheBuilder<K, V> builder(Codec<K> keyCodec, Codec<V> valueCodec) {
    return new RedisCacheBuilder<>(keyCodec, valueCodec);
  }

  /**
   * Stores {@code value} under {@code key} in Redis for {@code ttl}, revokes any lease in flight
   * for the key, drops this JVM's L1 copy and notifies the other JVMs to drop theirs. A zero
   * {@code ttl} deletes the key. In fail-safe mode, if Redis is unavailable the value is kept in
   * this JVM's L1 only.
   *
   * @param key the key
   * @param value the value
   * @param ttl how long the entry lives ({@link Ttl#never()}: no expiry in Redis)
   * @throws NullPointerException if an argument is null
   * @throws ValueTooLargeException if the value encodes to more than {@code maxValueBytes} (nothing
   *     is written)
   * @throws RedisCacheException in strict mode only, if Redis failed or timed out
   * @throws CacheClosedException if the cache is closed
   */
  @Override
  void set(K key, V value, Ttl ttl);

  /**
   * Deletes {@code key} from Redis and L1, revokes any lease in flight for it and notifies the
   * other JVMs to drop their L1 copies. In fail-safe mode, if Redis is unavailable only this JVM's
   * L1 copy is dropped.
   *
   * @param key the key
   * @return {@code true} if Redis or L1 held a value
   * @throws NullPointerException if {@code key} is null
   * @throws RedisCacheException in strict mode only, if Redis failed or timed out
   * @throws CacheClosedException if the cache is closed
   */
  @Override
  boolean delete(K key);

  /**
   * Removes every key of this cache's namespace from Redis (values, leases, wait flags; on every
   * master of a Cluster), then tells every JVM of the fleet (this one included) to clear its L1.
   * Loads in flight are kept out of L1 and a lease holder's value is not stored. In fail-safe mode,
   * if Redis is unavailable only this JVM's L1 is cleared.
   *
   * @throws RedisCacheException in strict mode only, if Redis failed or timed out
   * @throws CacheClosedException if the cache is closed
   */
  @Override
  void clear();

  /**
   * Returns a snapshot of both tiers' counters. Never throws, also after {@link #close()}.
   *
   * @return the metrics
   */
  RedisCacheMetrics tierMetrics();

  /**
   * Closes the Redis connections and the L1 cache; waiters of unfinished loads fail with {@link
   * CacheClosedException}. Closing twice does nothing.
   */
  @Override
  void close();
}
