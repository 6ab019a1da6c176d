package dev.asynccache.server;

import dev.asynccache.AsyncCache;
import dev.asynccache.redis.BreakerState;
import dev.asynccache.redis.RedisCache;
import dev.asynccache.redis.RedisCacheMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The server's meters in Micrometer's Prometheus registry, and their rendering for
 * {@code /metrics}. Every meter reads a live value through a function at scrape time (nothing is
 * copied on a timer): the cache's counters ({@code asynccache.hits} becomes
 * {@code asynccache_hits_total}...), the server's (writes, deletes, HTTP responses by status,
 * requests in flight, connections) and the JVM's (memory, GC, threads, CPU, file descriptors).
 * Without Redis, {@code asynccache_memory_bytes} is the entries' estimated weight; with Redis the
 * {@code asynccache.*} cache meters are the in-process tier's (L1) and {@code asynccache_redis_*}
 * meters add the tier's counters, read from one snapshot taken per scrape. Thread-safe.
 */
final class ServerMeters implements AutoCloseable {
  /** The {@code Content-Type} of {@link #scrape()}: the Prometheus text format 0.0.4. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final RequestGate gate;
  private final @Nullable RedisCache<String, byte[]> redis;
  /** The tier's counters, taken at the start of each scrape (one snapshot for all its meters). */
  private volatile @Nullable RedisCacheMetrics tier;

  ServerMeters(
      AsyncCache<String, byte[]> cache,
      @Nullable RedisCache<String, byte[]> redis,
      CacheRoutes routes,
      RequestGate gate,
      Connections connections,
      long maxSize,
      long maxMemory,
      int maxConnections,
      long startNanos) {
    this.gate = gate;
    this.redis = redis;
    MeterRegistry r = registry;
    counter(r, "asynccache.hits", "Lookups answered from the cache.", cache, c -> c.metrics().hitCount());
    counter(r, "asynccache.misses", "Lookups of absent or expired keys.", cache, c -> c.metrics().missCount());
    counter(r, "asynccache.evictions", "Entries evicted to stay within the size and memory bounds.", cache,
        c -> c.metrics().evictionCount());
    counter(r, "asynccache.expirations", "Entries removed after their TTL.", cache, c -> c.metrics().expirationCount());
    counter(r, "asynccache.load.successes", "Loads that finished normally.", cache, c -> c.metrics().loadSuccessCount());
    counter(r, "asynccache.load.failures", "Loads that failed.", cache, c -> c.metrics().loadFailureCount());
    counter(r, "asynccache.joined.loads", "Lookups that joined a load already running.", cache,
        c -> c.metrics().joinedLoadCount());
    counter(r, "asynccache.sets", "PUT requests stored.", routes, CacheRoutes::sets);
    counter(r, "asynccache.deletes", "DELETE requests that removed an entry.", routes, CacheRoutes::deletes);
    Gauge.builder("asynccache.entries", cache, c -> c.metrics().size())
        .description("Entries held (expired ones not yet removed included).")
        .register(r);
    Gauge.builder("asynccache.max.entries", () -> maxSize).description("The cache's size bound.").register(r);
    Gauge.builder("asynccache.max.memory", () -> maxMemory)
        .baseUnit(BaseUnits.BYTES)
        .description("The cache's memory bound (estimated retained bytes of the entries).")
        .register(r);
    if (redis == null) {
      Gauge.builder("asynccache.memory", cache, c -> c.metrics().weightedSize())
          .baseUnit(BaseUnits.BYTES)
          .description("Estimated retained bytes of the entries held (their weight, bounded by the memory bound).")
          .register(r);
    } else {
      registerTier(r);
    }
    Gauge.builder("asynccache.hit.ratio", cache, c -> c.metrics().hitRate())
        .description("Hits over lookups (1 before any lookup).")
        .register(r);
    Gauge.builder("asynccache.http.requests.in.flight", gate, RequestGate::inFlight)
        .description("HTTP requests being handled.")
        .register(r);
    Gauge.builder("asynccache.http.connections", connections, Connections::count)
        .description("Client connections open.")
        .register(r);
    Gauge.builder("asynccache.http.connections.max", () -> maxConnections)
        .description("The connection cap (--max-connections or derived from the open-file limit).")
        .register(r);
    Gauge.builder("asynccache.uptime", () -> (System.nanoTime() - startNanos) / 1e9)
        .baseUnit("seconds")
        .description("Seconds since the server started.")
        .register(r);
    new JvmMemoryMetrics().bindTo(r);
    gc.bindTo(r);
    new JvmThreadMetrics().bindTo(r);
    new ProcessorMetrics().bindTo(r);
    new FileDescriptorMetrics().bindTo(r);
  }

  private void registerTier(MeterRegistry r) {
    tierCounter(r, "l1.hits", "Lookups answered by this server's in-process tier (L1).", t -> t.l1().hitCount());
    tierCounter(r, "l2.hits", "Redis reads after an L1 miss that found a value.", RedisCacheMetrics::l2Hits);
    tierCounter(r, "misses", "Redis reads after an L1 miss that found none.", RedisCacheMetrics::l2Misses);
    tierCounter(r, "loads", "Loader calls made by this server.", RedisCacheMetrics::loads);
    tierCounter(r, "lease.acquisitions", "Load leases this server won in Redis.", RedisCacheMetrics::leasesAcquired);
    tierCounter(r, "lease.waits", "Waits for another server's load lease.", RedisCacheMetrics::leaseWaits);
    tierCounter(r, "invalidations.received", "L1 entries dropped on another server's write.",
        RedisCacheMetrics::invalidationsReceived);
    tierCounter(r, "clears.received", "L1 clears on another server's clear.", RedisCacheMetrics::clearsReceived);
    tierCounter(r, "l1.flushes", "Whole-L1 drops after a possible loss of invalidations (reconnect, flush).",
        RedisCacheMetrics::l1Flushes);
    tierCounter(r, "errors", "Redis calls that failed.", RedisCacheMetrics::redisErrors);
    tierCounter(r, "timeouts", "Redis calls that timed out.", RedisCacheMetrics::redisTimeouts);
    tierCounter(r, "decode.failures", "Values read from Redis that could not be decoded.",
        RedisCacheMetrics::decodeFailures);
    for (BreakerState state : BreakerState.values()) {
      Gauge.builder("asynccache.redis.breaker.state", this, m -> m.tier().breakerState() == state ? 1 : 0)
          .description("1 for the circuit breaker's current state in front of Redis, 0 for the others.")
          .tag("state", state.name().toLowerCase(Locale.ROOT))
          .register(r);
    }
  }

  private void tierCounter(MeterRegistry r, String name, String help, ToLongFunction<RedisCacheMetrics> count) {
    counter(r, "asynccache.redis." + name, help, this, m -> count.applyAsLong(m.tier()));
  }

  /** The snapshot of this scrape (or a fresh one when read outside a scrape). */
  private RedisCacheMetrics tier() {
    RedisCacheMetrics t = tier;
    return t != null ? t : java.util.Objects.requireNonNull(redis).tierMetrics();
  }

  private static <T> void counter(MeterRegistry r, String name, String help, T source, ToDoubleFunction<T> count) {
    FunctionCounter.builder(name, source, count).description(help).register(r);
  }

  /** Renders every meter in the Prometheus text format ({@link #CONTENT_TYPE}). */
  String scrape() {
    if (redis != null) {
      tier = redis.tierMetrics();
    }
    // One counter per status code answered so far (registering an existing one returns it).
    for (int code : gate.responsesByStatus().keySet()) {
      FunctionCounter.builder("asynccache.http.responses", gate, g -> g.responses(code))
          .description("HTTP responses sent, by status code.")
          .tag("code", Integer.toString(code))
          .register(registry);
    }
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
