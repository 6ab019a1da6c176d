package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.AsyncCache;
import dev.asynccache.Ttl;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A {@code GET} or {@code HEAD} looks its key up where it lies in the connection's buffer, through
 * a {@link KeyProbe}, without building the key's string. It must find exactly the entry the key's
 * string names (never a neighbour with the same hash code, a prefix or an extension), refuse what
 * the string path refuses with the same message, and allocate nothing for a hit.
 */
class KeyProbeLookupTest {
  private static final int MAX_KEY_BYTES = 64;
  private final AsyncCache<String, byte[]> cache = AsyncCache.builder().maxSize(100_000).build();
  private final CacheRoutes routes =
      new CacheRoutes(
          cache,
          1 << 20,
          MAX_KEY_BYTES,
          EntryWeigher.forThisHeap(64L << 20, 100_000),
          () -> {
            throw new AssertionError("no /stats here");
          },
          () -> Reply.NO_CONTENT,
          () -> Reply.NO_CONTENT);
  private final KeyProbe probe = new KeyProbe();

  @AfterEach
  void close() {
    cache.close();
  }

  /** The target {@code /cache/<key>} in the middle of a larger buffer, as a connection holds it. */
  private Object route(String method, String key) {
    byte[] target = ("/cache/" + key).getBytes(StandardCharsets.ISO_8859_1);
    byte[] buffer = new byte[target.length + 20];
    buffer[9] = 'x'; // bytes around the target must not count
    System.arraycopy(target, 0, buffer, 10, target.length);
    buffer[10 + target.length] = '/';
    return routes.route(method, buffer, 10, 10 + target.length, probe);
  }

  private void put(String key, String value) {
    cache.set(key, value.getBytes(StandardCharsets.UTF_8), Ttl.cacheDefault());
  }

  private static String text(Object hit) {
    return new String(assertInstanceOf(byte[].class, hit), StandardCharsets.UTF_8);
  }

  @Test
  void keysWithTheSameHashCodeFindEachTheirOwnEntry() {
    assertEquals("Aa".hashCode(), "BB".hashCode());
    assertEquals("AaAa".hashCode(), "BBBB".hashCode());
    put("Aa", "first");
    assertEquals(404, ((Reply) route("GET", "BB")).status());
    put("BB", "second");
    put("AaAa", "third");
    assertEquals("first", text(route("GET", "Aa")));
    assertEquals("second", text(route("GET", "BB")));
    assertEquals("third", text(route("HEAD", "AaAa")));
    assertEquals(404, ((Reply) route("GET", "BBBB")).status());
    assertEquals(404, ((Reply) route("GET", "AaBB")).status());
  }

  @Test
  void aNonLatin1KeyWithTheSameHashCodeIsNotTheProbesKey() {
    String utf16 = "\u0001\u0C02"; // 31 * 1 + 0x0C02 = 31 * 'a' + 'b'
    assertEquals("ab".hashCode(), utf16.hashCode());
    put(utf16, "other");
    assertEquals(404, ((Reply) route("GET", "ab")).status());
    put("ab", "mine");
    assertEquals("mine", text(route("GET", "ab")));
  }

  @Test
  void theProbeReadsAsItsKeysCharacters() {
    byte[] buffer = "xx/cache/k:1;a+b=c~xx".getBytes(StandardCharsets.US_ASCII);
    KeyProbe p = new KeyProbe().point(buffer, 9, buffer.length - 2);
    assertEquals(10, p.length());
    assertEquals('k', p.charAt(0));
    assertEquals('~', p.charAt(9));
    assertEquals("1;a", p.subSequence(2, 5).toString());
    assertEquals("k:1;a+b=c~", p.toString());
    assertTrue("k:1;a+b=c~".contentEquals(p));
  }

  /**
   * Hash flooding: 4,096 stored keys share one hash code (every string of 12 blocks "Aa" or "BB").
   * The map keeps them in a tree ordered by {@code String.compareTo}, which a probe cannot use: a
   * read gives up on the probe after {@link KeyProbe#MAX_COMPARISONS} keys and looks the string up,
   * instead of comparing with thousands of keys. Counted, not timed.
   */
  @Test
  void aReadAmongThousandsOfKeysWithItsHashCodeComparesWithAFewAndIsStillRight() {
    int blocks = 12;
    String[] keys = new String[1 << blocks];
    for (int n = 0; n < keys.length; n++) {
      StringBuilder k = new StringBuilder();
      for (int b = 0; b < blocks; b++) {
        k.append((n >> b & 1) == 0 ? "Aa" : "BB");
      }
      keys[n] = k.toString();
      assertEquals(keys[0].hashCode(), keys[n].hashCode());
    }
    for (int n = 0; n < keys.length - 96; n++) { // the last 96 stay absent
      put(keys[n], "v" + n);
    }
    int mostCompared = 0;
    for (int n = 0; n < keys.length; n++) {
      Object answer = route(n % 2 == 0 ? "GET" : "HEAD", keys[n]);
      mostCompared = Math.max(mostCompared, probe.comparisons());
      if (n < keys.length - 96) {
        assertEquals("v" + n, text(answer), keys[n]);
      } else {
        assertEquals(404, ((Reply) answer).status(), keys[n]);
      }
    }
    assertTrue(mostCompared <= KeyProbe.MAX_COMPARISONS + 1, "a read compared its probe with " + mostCompared + " keys");
  }

  @Test
  void aPrefixOrAnExtensionOfAStoredKeyIsAMiss() {
    put("ab", "v");
    assertEquals(404, ((Reply) route("GET", "a")).status());
    assertEquals(404, ((Reply) route("GET", "abc")).status());
    assertEquals(404, ((Reply) route("GET", "ab/")).status());
    assertEquals("v", text(route("GET", "ab")));
  }

  @Test
  void aMissNamesTheKeyAsTheStringPathDoes() {
    Reply miss = (Reply) route("GET", "no/such;key+here");
    assertEquals(404, miss.status());
    assertEquals(
        new String(Reply.error(404, "no entry for key " + Json.quote("no/such;key+here")).body(), StandardCharsets.UTF_8),
        new String(miss.body(), StandardCharsets.UTF_8));
  }

  @Test
  void everyPrintableAsciiKeyIsFoundThroughItsProbe_andOnlyThroughItsOwn() {
    Random random = new Random(25);
    Set<String> keys = new HashSet<>();
    while (keys.size() < 5_000) {
      char[] chars = new char[1 + random.nextInt(MAX_KEY_BYTES)];
      for (int i = 0; i < chars.length; i++) {
        char c;
        do {
          c = (char) (0x21 + random.nextInt(0x7F - 0x21)); // visible ASCII
        } while (c == '%' || c == '?' || c == '/' || c == '.');
        chars[i] = c;
      }
      keys.add(new String(chars));
    }
    for (String key : keys) {
      byte[] bytes = key.getBytes(StandardCharsets.ISO_8859_1);
      KeyProbe p = new KeyProbe().point(bytes, 0, bytes.length);
      assertEquals(key.hashCode(), p.hashCode(), key);
      assertTrue(p.equals(key), key);
      assertFalse(p.equals(key + "x"), key);
      assertFalse(p.equals(bytes), "only a String can be the key");
      assertEquals(key, p.toString());
      put(key, "v:" + key);
    }
    for (String key : keys) {
      assertEquals("v:" + key, text(route("GET", key)), key);
    }
  }

  @Test
  void aDotSegmentIsRefusedAsOnTheStringPath() {
    put("a/../b", "never stored through HTTP");
    for (String key : new String[] {"a/../b", "./a", "a/.", "..", "a/./b"}) {
      Reply refused = (Reply) route("GET", key);
      assertEquals(400, refused.status(), key);
      assertEquals(
          new String(((Reply) route("PUT", key)).body(), StandardCharsets.UTF_8),
          new String(refused.body(), StandardCharsets.UTF_8),
          key);
    }
    assertEquals("v", text(routeAfterPut("a..b/.../x.")));
  }

  private Object routeAfterPut(String key) {
    put(key, "v");
    return route("GET", key);
  }

  @Test
  void aKeyOverTheLimitIsRefusedWithTheStringPathsMessage() {
    String key = "k".repeat(MAX_KEY_BYTES + 1);
    Reply refused = (Reply) route("GET", key);
    assertEquals(400, refused.status());
    assertTrue(
        new String(refused.body(), StandardCharsets.UTF_8).contains("key is 65 bytes in UTF-8, the limit is 64"),
        new String(refused.body(), StandardCharsets.UTF_8));
    String longest = "k".repeat(MAX_KEY_BYTES);
    put(longest, "longest");
    assertEquals("longest", text(route("GET", longest)));
  }

  @Test
  void aClosedCacheIsA503() {
    put("k", "v");
    cache.close();
    Reply closed = (Reply) route("GET", "k");
    assertEquals(503, closed.status());
    assertTrue(closed.close());
  }

  @Test
  void theProbeIsNeverWhatAStringEquals() {
    byte[] bytes = "key".getBytes(StandardCharsets.US_ASCII);
    KeyProbe p = new KeyProbe().point(bytes, 0, 3);
    assertNotEquals("key", p); // String.equals(probe): one-sided by design, see KeyProbe
    assertTrue(p.equals("key"));
  }

  /**
   * A hit allocates nothing for its key. The key's string and its bytes were at least 48 bytes a
   * lookup; 200,000 lookups may allocate less than 1 MB in all (the first TLAB refills, a counter's
   * cell), which 48 bytes each (9.6 MB) cannot. Counted, not timed.
   */
  @Test
  void aHitAllocatesNothingForItsKey() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    String key = "key:000000012345";
    put(key, "v".repeat(100));
    byte[] target = ("/cache/" + key).getBytes(StandardCharsets.US_ASCII);
    long hits = 0;
    for (int i = 0; i < 50_000; i++) { // warm up (not counted)
      hits += routes.route("GET", target, 0, target.length, probe) instanceof byte[] ? 1 : 0;
    }
    long id = Thread.currentThread().threadId();
    long before = threads.getThreadAllocatedBytes(id);
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      hits += routes.route("GET", target, 0, target.length, probe) instanceof byte[] ? 1 : 0;
    }
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    assertEquals(50_000 + n, hits);
    assertTrue(allocated < 1 << 20, "200,000 hits allocated " + allocated + " bytes");
  }

  @Test
  void throughTheServerAHitAndAMissAnswerAsBefore() throws Exception {
    CacheServer server = CacheServer.start(ServerConfig.builder().port(0).maxSize(1_000).build());
    try (RawHttp c = new RawHttp(server.port())) {
      c.send("PUT /cache/Aa HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nv1");
      assertEquals(204, c.read().status());
      c.send("GET /cache/Aa HTTP/1.1\r\nHost: x\r\n\r\nGET /cache/BB HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Response hit = c.read();
      assertEquals(200, hit.status());
      assertArrayEquals("v1".getBytes(StandardCharsets.US_ASCII), hit.body());
      RawHttp.Response miss = c.read();
      assertEquals(404, miss.status());
      assertEquals("{\"error\":\"no entry for key \\\"BB\\\"\"}\n", miss.text());
    } finally {
      server.stop();
    }
  }
}
