package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.asynccache.memoize.LruCached;
import dev.asynccache.memoize.MemoizedFunction;
import dev.asynccache.memoize.Memoizer;
import dev.asynccache.memoize.TtlCached;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The README's Java examples, compiled and run. Keep the two in step. */
class ReadmeExamplesTest {

  record User(long id, String name) {}

  record RequestContext(String traceId) {}

  static final class Repository {
    final AtomicInteger finds = new AtomicInteger();
    final AtomicInteger batches = new AtomicInteger();

    User find(long id) {
      finds.incrementAndGet();
      return new User(id, "user" + id);
    }

    Map<Long, User> findAll(List<Long> ids) {
      batches.incrementAndGet();
      Map<Long, User> found = new HashMap<>();
      for (long id : ids) {
        found.put(id, new User(id, "user" + id));
      }
      return found;
    }
  }

  interface Prices {
    @LruCached(maxSize = 1_000) long price(String sku);
    @TtlCached(seconds = 30, skipArgs = 1) String label(RequestContext ctx, String sku);
  }

  @Test
  void quickStart() throws Exception {
    Repository repository = new Repository();
    User admin = new User(7, "admin");

    AsyncCache<Long, User> users = AsyncCache.builder()
        .maxSize(10_000)
        .defaultTtl(Duration.ofMinutes(5))
        .build();

    // Single-flight: 1,000 concurrent misses of one key call the loader once.
    User u = users.get(42L, () -> repository.find(42L));

    // Per-entry TTL, or an entry that never expires whatever the default.
    users.set(7L, admin, Ttl.never());
    User cached = users.get(43L, Ttl.ofSeconds(30), () -> repository.find(43L));

    // DataLoader-style batching: misses within one 5 ms window become one call.
    Batcher<Long, User> byIds = users.batcher(ids -> repository.findAll(ids)); // once, e.g. a field
    User v = byIds.get(44L);                                                 // from every request
    Map<Long, User> many = byIds.getAll(List.of(1L, 2L, 3L));
    User same = users.get(46L, repository::findAll); // also batches: coalesced per expression

    // A ConcurrentMap view (atomic putIfAbsent/replace/merge; computeIfAbsent is single-flight).
    ConcurrentMap<Long, User> map = users.asMap();

    // Non-blocking callers.
    CompletableFuture<User> f = users.getAsync(45L, () -> repository.find(45L));
User w = f.join();

    CacheMetrics m = users.metrics(); // hits, misses, hit rate, evictions, loads, batches...
    User viaMap = map.get(44L);
    users.close();

    assertEquals("user42", u.name());
    assertEquals("user43", cached.name());
    assertEquals("user44", v.name());
    assertEquals(3, many.size());
    assertEquals("user45", w.name());
    assertEquals("user46", same.name());
    assertEquals(v, viaMap);
    assertEquals(3, repository.batches.get());
    assertEquals(0, m.hitCount());
  }

  @Test
  void memoizers() {
    Repository repository = new Repository();
    Prices realPrices = new Prices() {
      @Override
      public long price(String sku) {
        return sku.length();
      }

      @Override
      public String label(RequestContext ctx, String sku) {
        return "label " + sku;
      }
    };

    MemoizedFunction<Long, User> find = Memoizer.ttl().timeToLive(Duration.ofMinutes(1))
        .function(id -> repository.find(id));
    find.apply(42L);    // loads once, then cached
    find.refresh(42L);  // bypasses the cache, then updates it

    Prices cachedPrices = Memoizer.proxy(Prices.class, realPrices);

    find.apply(42L);
    assertEquals(2, repository.finds.get());
    assertEquals(3, cachedPrices.price("abc"));
    assertEquals("label x", cachedPrices.label(new RequestContext("t1"), "x"));
  }

  @Test
  void logsAndTracesFollowTheRequest() throws Exception {
    Repository repository = new Repository();
    // SLF4J's MDC (a request id in every log line of the loader):
    AsyncCache<Long, User> users = AsyncCache.builder()
        .taskDecorator(TaskDecorator.mdc())
        .build();

    // OpenTelemetry: the loader's spans become children of the caller's span. One line:
    AsyncCache<Long, User> traced = AsyncCache.builder()
        .taskDecorator(task -> Context.current().wrap(task))  // io.opentelemetry.context.Context
        .build();

    // Both (decorators compose):
    AsyncCache<Long, User> both = AsyncCache.builder()
        .taskDecorator(TaskDecorator.mdc().andThen(task -> Context.current().wrap(task)))
        .build();

    ContextKey<String> span = ContextKey.named("span");
    MDC.put("request", "r-42");
    try (Scope ignored = Context.current().with(span, "s-42").makeCurrent()) {
      assertEquals("r-42", users.getAsync(1L, () -> new User(1, MDC.get("request"))).join().name());
      assertEquals("s-42", traced.getAsync(1L, () -> new User(1, Context.current().get(span))).join().name());
      assertEquals(
          "r-42 s-42",
          both.getAsync(1L, () -> new User(1, MDC.get("request") + " " + Context.current().get(span)))
              .join()
              .name());
    } finally {
      MDC.remove("request");
      users.close();
      traced.close();
      both.close();
    }
    assertEquals(0, repository.finds.get());
  }
}
