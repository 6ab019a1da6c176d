package dev.asynccache.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.asynccache.CacheMetrics;
import dev.asynccache.redis.RedisCacheMetrics;
import java.util.Locale;
import java.util.SortedMap;
import org.jspecify.annotations.Nullable;

/**
 * One snapshot of the server's counters, and its rendering as JSON for {@code /stats} ({@code
 * /metrics} is {@link ServerMeters}).
 *
 * @param cache the cache's own counters; with Redis, those of the in-process tier (L1)
 * @param tier with Redis, the two-level cache's counters; else null
 * @param redisMode with Redis, {@code standalone} or {@code cluster}; else null
 * @param l1MaxSize with Redis, the in-process tier's entry bound; else 0
 * @param sets {@code PUT}s stored
 * @param deletes {@code DELETE}s that removed an entry
 * @param maxSize the entry bound ({@code --max-size}); the core's metrics do not know it, the cache
 *     being bounded by weight
 * @param maxMemory the memory bound in bytes ({@code --max-memory} or derived from the heap)
 * @param inFlight requests being handled
 * @param responses responses sent so far, by status code
 * @param uptimeSeconds seconds since the server started
 */
record ServerStats(
    CacheMetrics cache,
    @Nullable RedisCacheMetrics tier,
    @Nullable String redisMode,
    long l1MaxSize,
    long sets,
    long deletes,
    long maxSize,
    long maxMemory,
    int inFlight,
    SortedMap<Integer, Long> responses,
    double uptimeSeconds) {

  /** Renders {@code /stats}: one JSON object, keys in snake case (written by Jackson). */
  String json() {
    CacheMetrics m = cache;
    // Without Redis the cache weighs its entries in estimated bytes; with it, L1 only counts them.
    Long memoryBytes = tier == null ? m.weightedSize() : null;
    return Json.text(
        new Document(m.hitCount(), m.missCount(), m.hitRate(), m.size(), maxSize, memoryBytes, maxMemory,
            m.evictionCount(), m.expirationCount(), m.loadSuccessCount(), m.loadFailureCount(), m.joinedLoadCount(),
            sets, deletes, inFlight, responses, uptimeSeconds, tier == null ? null : redis(tier)));
  }

  private Redis redis(RedisCacheMetrics t) {
    return new Redis(redisMode, l1MaxSize, t.l1().hitCount(), t.l2Hits(), t.l2Misses(), t.loads(), t.directLoads(),
        t.leasesAcquired(), t.leaseWaits(), t.leaseTakeovers(), t.invalidationsReceived(), t.clearsReceived(),
        t.l1Flushes(), t.redisErrors(), t.redisTimeouts(), t.decodeFailures(),
        t.breakerState().name().toLowerCase(Locale.ROOT));
  }

  /**
   * The {@code /stats} document; the JSON names and order are the ones {@code /stats} always had,
   * then {@code memory_bytes} (without Redis) or {@code redis} (with it).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({
    "hits", "misses", "hit_rate", "size", "max_size", "max_memory_bytes", "evictions", "expirations",
    "load_successes", "load_failures", "joined_loads", "sets", "deletes", "requests_in_flight", "responses",
    "uptime_seconds", "memory_bytes", "redis"
  })
  record Document(
      @JsonProperty("hits") long hits,
      @JsonProperty("misses") long misses,
      @JsonProperty("hit_rate") double hitRate,
      @JsonProperty("size") long size,
      @JsonProperty("max_size") long maxSize,
      @JsonProperty("memory_bytes") @Nullable Long memoryBytes,
      @JsonProperty("max_memory_bytes") long maxMemoryBytes,
      @JsonProperty("evictions") long evictions,
      @JsonProperty("expirations") long expirations,
      @JsonProperty("load_successes") long loadSuccesses,
      @JsonProperty("load_failures") long loadFailures,
      @JsonProperty("joined_loads") long joinedLoads,
      @JsonProperty("sets") long sets,
      @JsonProperty("deletes") long deletes,
      @JsonProperty("requests_in_flight") int requestsInFlight,
      @JsonProperty("responses") SortedMap<Integer, Long> responses,
      @JsonProperty("uptime_seconds") double uptimeSeconds,
      @JsonProperty("redis") @Nullable Redis redis) {}

  /** The {@code redis} object of {@code /stats}: the two-level cache's counters (this server's). */
  @JsonPropertyOrder({
    "mode", "l1_max_size", "l1_hits", "l2_hits", "misses", "loads", "direct_loads", "lease_acquisitions",
    "lease_waits", "lease_takeovers", "invalidations_received", "clears_received", "l1_flushes", "errors",
    "timeouts", "decode_failures", "breaker"
  })
  record Redis(
      @JsonProperty("mode") @Nullable String mode,
      @JsonProperty("l1_max_size") long l1MaxSize,
      @JsonProperty("l1_hits") long l1Hits,
      @JsonProperty("l2_hits") long l2Hits,
      @JsonProperty("misses") long misses,
      @JsonProperty("loads") long loads,
      @JsonProperty("direct_loads") long directLoads,
      @JsonProperty("lease_acquisitions") long leaseAcquisitions,
      @JsonProperty("lease_waits") long leaseWaits,
      @JsonProperty("lease_takeovers") long leaseTakeovers,
      @JsonProperty("invalidations_received") long invalidationsReceived,
      @JsonProperty("clears_received") long clearsReceived,
      @JsonProperty("l1_flushes") long l1Flushes,
      @JsonProperty("errors") long errors,
      @JsonProperty("timeouts") long timeouts,
      @JsonProperty("decode_failures") long decodeFailures,
      @JsonProperty("breaker") String breaker) {}
}
