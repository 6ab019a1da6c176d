package dev.asynccache.server;

import dev.asynccache.AsyncCache;
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
import java.util.function.ToDoubleFunction;

/**
 * The server's meters in Micrometer's Prometheus registry, and their rendering for
 * {@code /metrics}. Every meter reads a live value through a function at scrape time (nothing is
 * copied on a timer): the cache's counters ({@code asynccache.hits} becomes
 * {@code asynccache_hits_total}...), the server's (writes, deletes, HTTP responses by status,
 * requests in flight, connections) and the JVM's (memory, GC, threads, CPU, file descriptors).
 * Thread-safe.
 */
final class ServerMeters implements AutoCloseable {
  /** The {@code Content-Type} of {@link #scrape()}: the Prometheus text format 0.0.4. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final RequestGate gate;

  ServerMeters(
      AsyncCache<String, byte[]> cache,
      CacheRoutes routes,
      RequestGate gate,
      Connections connections,
      long maxSize,
      long maxMemory,
      int maxConnections,
      long startNanos) {
    this.gate = gate;
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

  private static <T> void counter(MeterRegistry r, String name, String help, T source, ToDoubleFunction<T> count) {
    FunctionCounter.builder(name, source, count).description(help).register(r);
  }

  /** Renders every meter in the Prometheus text format ({@link #CONTENT_TYPE}). */
  String scrape() {
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
