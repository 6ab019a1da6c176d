package dev.asynccache.server;

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

  /**
   * Renders {@code /stats}: one JSON object, keys in snake case, in the order {@code /stats} always
   * had, then {@code memory_bytes} (without Redis) or {@code redis} (with it).
   */
  String json() {
    CacheMetrics m = cache;
    return Json.text(
        g -> {
          g.writeNumberField("hits", m.hitCount());
          g.writeNumberField("misses", m.missCount());
          g.writeNumberField("hit_rate", m.hitRate());
          g.writeNumberField("size", m.size());
          g.writeNumberField("max_size", maxSize);
          g.writeNumberField("max_memory_bytes", maxMemory);
          g.writeNumberField("evictions", m.evictionCount());
          g.writeNumberField("expirations", m.expirationCount());
          g.writeNumberField("load_successes", m.loadSuccessCount());
          g.writeNumberField("load_failures", m.loadFailureCount());
          g.writeNumberField("joined_loads", m.joinedLoadCount());
          g.writeNumberField("sets", sets);
          g.writeNumberField("deletes", deletes);
          g.writeNumberField("requests_in_flight", inFlight);
          g.writeObjectFieldStart("responses");
          for (var e : responses.entrySet()) {
            g.writeNumberField(Integer.toString(e.getKey()), e.getValue().longValue());
          }
          g.writeEndObject();
          g.writeNumberField("uptime_seconds", uptimeSeconds);
          RedisCacheMetrics t = tier;
          if (t == null) {
            // Without Redis the cache weighs its entries in estimated bytes; with it, L1 only counts them.
            g.writeNumberField("memory_bytes", m.weightedSize());
          } else {
            g.writeObjectFieldStart("redis");
            g.writeStringField("mode", redisMode); // null: written as null
            g.writeNumberField("l1_max_size", l1MaxSize);
            g.writeNumberField("l1_hits", t.l1().hitCount());
            g.writeNumberField("l2_hits", t.l2Hits());
            g.writeNumberField("misses", t.l2Misses());
            g.writeNumberField("loads", t.loads());
            g.writeNumberField("direct_loads", t.directLoads());
            g.writeNumberField("lease_acquisitions", t.leasesAcquired());
            g.writeNumberField("lease_waits", t.leaseWaits());
            g.writeNumberField("lease_takeovers", t.leaseTakeovers());
            g.writeNumberField("invalidations_received", t.invalidationsReceived());
            g.writeNumberField("clears_received", t.clearsReceived());
            g.writeNumberField("l1_flushes", t.l1Flushes());
            g.writeNumberField("errors", t.redisErrors());
            g.writeNumberField("timeouts", t.redisTimeouts());
            g.writeNumberField("decode_failures", t.decodeFailures());
            g.writeStringField("breaker", t.breakerState().name().toLowerCase(Locale.ROOT));
            g.writeEndObject();
          }
        });
  }
}
