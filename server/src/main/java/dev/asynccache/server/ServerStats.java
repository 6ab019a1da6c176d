package dev.asynccache.server;

import dev.asynccache.CacheMetrics;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Locale;
import java.util.SortedMap;

/**
 * One snapshot of the server's counters, and its two renderings: JSON for {@code /stats} and the
 * Prometheus text format (version 0.0.4) for {@code /metrics}.
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

  /** The {@code Content-Type} of {@link #prometheus()}. */
  static final String PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

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

  /** Renders {@code /metrics} in the Prometheus text exposition format. */
  String prometheus() {
    CacheMetrics m = cache;
    StringBuilder s = new StringBuilder(2048);
    counter(s, "asynccache_hits_total", "Lookups answered from the cache.", m.hitCount());
    counter(s, "asynccache_misses_total", "Lookups of absent or expired keys.", m.missCount());
    counter(s, "asynccache_evictions_total", "Entries evicted to stay within max size.", m.evictionCount());
    counter(s, "asynccache_expirations_total", "Entries removed after their TTL.", m.expirationCount());
    counter(s, "asynccache_load_successes_total", "Loads that finished normally.", m.loadSuccessCount());
    counter(s, "asynccache_load_failures_total", "Loads that failed.", m.loadFailureCount());
    counter(s, "asynccache_sets_total", "PUT requests stored.", sets);
    counter(s, "asynccache_deletes_total", "DELETE requests that removed an entry.", deletes);
    gauge(s, "asynccache_entries", "Entries held (expired ones not yet removed included).", m.size());
    gauge(s, "asynccache_max_entries", "The cache's size bound.", maxSize);
    gauge(s, "asynccache_max_memory_bytes", "The cache's memory bound (estimated retained bytes of the entries).", maxMemory);
    header(s, "asynccache_hit_ratio", "gauge", "Hits over lookups (1 before any lookup).");
    s.append("asynccache_hit_ratio ").append(decimal(m.hitRate())).append('\n');
    gauge(s, "asynccache_http_requests_in_flight", "HTTP requests being handled.", inFlight);
    header(s, "asynccache_http_responses_total", "counter", "HTTP responses sent, by status code.");
    for (var e : responses.entrySet()) {
      s.append("asynccache_http_responses_total{code=\"")
          .append(e.getKey())
          .append("\"} ")
          .append(e.getValue())
          .append('\n');
    }
    header(s, "asynccache_uptime_seconds", "gauge", "Seconds since the server started.");
    s.append("asynccache_uptime_seconds ").append(decimal(uptimeSeconds)).append('\n');
    return s.toString();
  }

  private static void counter(StringBuilder s, String name, String help, long value) {
    header(s, name, "counter", help);
    s.append(name).append(' ').append(value).append('\n');
  }

  private static void gauge(StringBuilder s, String name, String help, long value) {
    header(s, name, "gauge", help);
    s.append(name).append(' ').append(value).append('\n');
  }

  private static void header(StringBuilder s, String name, String type, String help) {
    s.append("# HELP ").append(name).append(' ').append(help).append('\n');
    s.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static String decimal(double d) {
    return String.format(Locale.ROOT, "%.6f", d);
  }
}
