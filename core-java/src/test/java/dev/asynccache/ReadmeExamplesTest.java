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
import org.junit.jupiter.api.Test;

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
}
