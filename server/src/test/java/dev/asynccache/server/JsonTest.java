package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.asynccache.CacheMetrics;
import dev.asynccache.redis.BreakerState;
import dev.asynccache.redis.RedisCacheMetrics;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The documents the server writes with jackson-core's generator, byte for byte. */
class JsonTest {
  private static final CacheMetrics CACHE = new CacheMetrics(3, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 312);

  @Test
  void quote_escapesAsJson() {
    assertEquals("\"a\\\"b\\\\c\\n\\u0001é\"", Json.quote("a\"b\\c\n\u0001é"));
  }

  @Test
  void error_isOneObjectAndANewline() {
    assertEquals("{\"error\":\"no entry for key \\\"k\\\"\"}\n", Json.error("no entry for key \"k\""));
  }

  @Test
  void stats_withoutRedis_endWithMemoryBytes() {
    var responses = new TreeMap<Integer, Long>();
    responses.put(404, 1L);
    responses.put(200, 4L);
    var stats = new ServerStats(CACHE, null, null, 0, 5, 1, 100, 1000, 0, responses, 1.5);
    assertEquals(
        "{\"hits\":3,\"misses\":1,\"hit_rate\":0.75,\"size\":1,\"max_size\":100,\"max_memory_bytes\":1000,"
            + "\"evictions\":2,\"expirations\":0,\"load_successes\":0,\"load_failures\":0,\"joined_loads\":0,"
            + "\"sets\":5,\"deletes\":1,\"requests_in_flight\":0,\"responses\":{\"200\":4,\"404\":1},"
            + "\"uptime_seconds\":1.5,\"memory_bytes\":312}\n",
        stats.json());
  }

  @Test
  void stats_withRedis_endWithTheTierObject() {
    var tier = new RedisCacheMetrics(CACHE, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, BreakerState.CLOSED);
    var stats = new ServerStats(CACHE, tier, "standalone", 50, 0, 0, 100, 1000, 2, new TreeMap<>(), 0.25);
    assertEquals(
        "{\"hits\":3,\"misses\":1,\"hit_rate\":0.75,\"size\":1,\"max_size\":100,\"max_memory_bytes\":1000,"
            + "\"evictions\":2,\"expirations\":0,\"load_successes\":0,\"load_failures\":0,\"joined_loads\":0,"
            + "\"sets\":0,\"deletes\":0,\"requests_in_flight\":2,\"responses\":{},\"uptime_seconds\":0.25,"
            + "\"redis\":{\"mode\":\"standalone\",\"l1_max_size\":50,\"l1_hits\":3,\"l2_hits\":4,\"misses\":5,"
            + "\"loads\":6,\"direct_loads\":7,\"lease_acquisitions\":8,\"lease_waits\":9,\"lease_takeovers\":10,"
            + "\"invalidations_received\":11,\"clears_received\":12,\"l1_flushes\":13,\"errors\":14,"
            + "\"timeouts\":15,\"decode_failures\":16,\"breaker\":\"closed\"}}\n",
        stats.json());
  }
}
