package dev.asynccache.redis;

import dev.asynccache.CacheMetrics;
import java.util.Objects;

/**
 * An immutable snapshot of a {@link RedisCache}'s counters, taken by {@link RedisCache#metrics()}.
 * Counters are this JVM's only; they are read one after another without a lock.
 *
 * <p>When each counter moves:
 *
 * <ul>
 *   <li>{@code l1}: the L1 cache's own metrics; its {@code hitCount} counts L1 hits, its {@code
 *       missCount} the lookups that went on to Redis (or joined such a lookup in this JVM).
 *   <li>{@code l2Hits} / {@code l2Misses}: Redis reads after an L1 miss that found a decodable
 *       value / found none (a value that could not be decoded counts as a miss).
 *   <li>{@code loads}: calls of a loader made by this JVM, with or without Redis; {@code
 *       directLoads}: those made without a lease because Redis was unavailable.
 *   <li>{@code leasesAcquired}: leases this JVM won; {@code leaseWaits}: times it found another
 *       JVM's lease and waited; {@code leaseTakeovers}: leases won after such a wait (the holder's
 *       lease expired or it stored nothing).
 *   <li>{@code invalidationsReceived}: notifications from other JVMs that dropped an L1 entry;
 *       {@code clearsReceived}: {@code clear()} calls of other JVMs that cleared this JVM's L1;
 *       {@code l1Flushes}: times the whole L1 was dropped because invalidations may have been lost
 *       (the notification connection was lost or re-established, or Redis was flushed with {@code
 *       FLUSHALL}/{@code FLUSHDB}).
 *   <li>{@code redisErrors} / {@code redisTimeouts}: Redis calls that failed / exceeded the call
 *       timeout; calls refused by the open breaker count in neither.
 *   <li>{@code decodeFailures}: values read from Redis that the value codec rejected.
 *   <li>{@code leaseRenewals}: times the lease watchdog extended a lease of a load still running
 *       (one per lease per third of the lease time).
 *   <li>{@code staleServed}: reads answered with an expired value instead of a failure
 *       (stale-if-error), including those the L1 core served ({@code l1.staleServedCount()}).
 *   <li>{@code breakerState}: the circuit breaker's state when the snapshot was taken.
 * </ul>
 *
 * @param l1 the L1 cache's metrics
 * @param l2Hits Redis reads that found a value
 * @param l2Misses Redis reads that found none
 * @param loads loader calls made by this JVM
 * @param directLoads loader calls made without Redis
 * @param leasesAcquired leases won
 * @param leaseWaits waits for another JVM's lease
 * @param leaseTakeovers leases won after a wait
 * @param invalidationsReceived L1 entries dropped on another JVM's notification
 * @param clearsReceived L1 clears on another JVM's {@code clear()}
 * @param l1Flushes whole-L1 drops after a possible loss of notifications
 * @param redisErrors failed Redis calls
 * @param redisTimeouts timed-out Redis calls
 * @param decodeFailures undecodable values read
 * @param leaseRenewals leases extended by the watchdog
 * @param staleServed reads answered with an expired value (stale-if-error)
 * @param breakerState the circuit breaker's state
 */
public record RedisCacheMetrics(
    CacheMetrics l1,
    long l2Hits,
    long l2Misses,
    long loads,
    long directLoads,
    long leasesAcquired,
    long leaseWaits,
    long leaseTakeovers,
    long invalidationsReceived,
    long clearsReceived,
    long l1Flushes,
    long redisErrors,
    long redisTimeouts,
    long decodeFailures,
    long leaseRenewals,
    long staleServed,
    BreakerState breakerState) {

  /**
   * Validates the snapshot.
   *
   * @throws NullPointerException if {@code l1} or {@code breakerState} is null
   * @throws IllegalArgumentException if a counter is negative
   */
  public RedisCacheMetrics {
    Objects.requireNonNull(l1, "l1");
    Objects.requireNonNull(breakerState, "breakerState");
    long[] all = {
      l2Hits, l2Misses, loads, directLoads, leasesAcquired, leaseWaits, leaseTakeovers,
      invalidationsReceived, clearsReceived, l1Flushes, redisErrors, redisTimeouts, decodeFailures,
      leaseRenewals, staleServed
    };
    for (long value : all) {
      if (value < 0) {
        throw new IllegalArgumentException("metrics counters must not be negative: " + value);
      }
    }
  }
}
