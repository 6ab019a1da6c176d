package dev.asynccache.server;

import dev.asynccache.CacheMetrics;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.SortedMap;

/**
 * One snapshot of the server's counters, and its rendering as JSON for {@code /stats} ({@code
 * /metrics} is {@link ServerMeters}).
 *
 * @param cache the cache's own counters
 * @param sets {@code PUT}s stored
 * @param deletes {@code DELETE}s that removed an entry
 * @param maxSize the entry bound ({@code --max-size}); the core's metrics do not know it, the cache
 *     being bounded by weight
 * @param maxMemory the memory bound in bytes ({@code --max-memory} or derived from the heap). The
 *     current weight is not reported: the core's metrics have no weight total
 * @param inFlight requests being handled
 * @param responses responses sent so far, by status code
 * @param uptimeSeconds seconds since the server started
 */
record ServerStats(
    CacheMetrics cache,
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
    return Json.text(
        new Document(m.hitCount(), m.missCount(), m.hitRate(), m.size(), maxSize, maxMemory, m.evictionCount(),
            m.expirationCount(), m.loadSuccessCount(), m.loadFailureCount(), m.joinedLoadCount(), sets, deletes,
            inFlight, responses, uptimeSeconds));
  }

  /** The {@code /stats} document; the JSON names and order are the ones {@code /stats} always had. */
  @JsonPropertyOrder({
    "hits", "misses", "hit_rate", "size", "max_size", "max_memory_bytes", "evictions", "expirations",
    "load_successes", "load_failures", "joined_loads", "sets", "deletes", "requests_in_flight", "responses",
    "uptime_seconds"
  })
  record Document(
      @JsonProperty("hits") long hits,
      @JsonProperty("misses") long misses,
      @JsonProperty("hit_rate") double hitRate,
      @JsonProperty("size") long size,
      @JsonProperty("max_size") long maxSize,
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
      @JsonProperty("uptime_seconds") double uptimeSeconds) {}
}
