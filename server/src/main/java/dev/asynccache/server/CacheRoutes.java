package dev.asynccache.server;

import dev.asynccache.AsyncCache;
import dev.asynccache.CacheClosedException;
import dev.asynccache.Ttl;
import dev.asynccache.redis.RedisCache;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The routes, independent of the wire: {@link HttpConnection} parses a request head and asks
 * {@link #route} what to do; a {@code PUT} gets a {@link Put} plan and its body is read before
 * {@link #store}. Bad input is answered with a 4xx status and a JSON {@code error} message, and
 * leaves the cache unchanged. The path is matched as sent: it is never normalized, so
 * {@code /cache/../stats} is a (refused) key, not {@code /stats}. Thread-safe.
 */
final class CacheRoutes {
  /** The methods {@code /cache/{key}} answers, for the {@code Allow} header of a 405. */
  static final String ALLOW = "GET, HEAD, PUT, DELETE";
  /** The methods of the read-only routes. */
  static final String ALLOW_GET = "GET, HEAD";
  private static final String ROUTES = " (routes: /cache/{key}, /stats, /metrics, /health)";

  private final AsyncCache<String, byte[]> cache;
  /**
   * The cache's map view, for reads by {@link KeyProbe}; {@code null} when the cache is a
   * {@link RedisCache}, whose reads may fill L1 with the key they are given (so it must be the
   * {@code String}).
   */
  private final @Nullable Map<String, byte[]> probeView;
  private final int maxValueBytes;
  private final int maxKeyBytes;
  private final EntryWeigher weigher;
  private final Supplier<ServerStats> stats;
  private final Supplier<Reply> health;
  private final Supplier<Reply> metrics;
  private final LongAdder sets = new LongAdder();
  private final LongAdder deletes = new LongAdder();

  CacheRoutes(
      AsyncCache<String, byte[]> cache,
      int maxValueBytes,
      int maxKeyBytes,
      EntryWeigher weigher,
      Supplier<ServerStats> stats,
      Supplier<Reply> health,
      Supplier<Reply> metrics) {
    this.cache = cache;
    this.probeView = cache instanceof RedisCache<?, ?> ? null : cache.asMap();
    this.maxValueBytes = maxValueBytes;
    this.maxKeyBytes = maxKeyBytes;
    this.weigher = weigher;
    this.stats = stats;
    this.health = health;
    this.metrics = metrics;
  }

  /** A {@code PUT} that may go ahead once its body has been read. */
  record Put(String key, Ttl ttl) {}

  /**
   * {@link #route(String, String)} for a target given as bytes, {@code b[start, end)}, which hold
   * only visible ASCII (the connection's parser admits nothing else). The common request, a key
   * under {@code /cache/} with neither {@code '%'} nor a query, is decided without building the
   * target's string: a {@code GET} or {@code HEAD} looks its key up through {@code probe} (no
   * string at all, unless it misses), another method builds the key's string only.
   *
   * @param probe the calling connection's own probe, pointed at the key here
   */
  Object route(String method, byte[] b, int start, int end, KeyProbe probe) {
    int keyStart = start + CACHE_PREFIX.length;
    if (end > keyStart && startsWithCachePrefix(b, start)) {
      boolean plain = true;
      for (int i = keyStart; i < end; i++) {
        byte c = b[i];
        if (c == '%' || c == '?') {
          plain = false;
          break;
        }
      }
      if (plain) {
        boolean read = method.equals("GET") || method.equals("HEAD");
        Map<String, byte[]> view = probeView;
        if (read && view != null && end - keyStart <= maxKeyBytes) { // ASCII: a byte per character
          Object answer = readByProbe(view, b, keyStart, end, probe);
          if (answer != null) {
            return answer;
          }
        }
        boolean put = !read && method.equals("PUT");
        if (read || put || method.equals("DELETE")) {
          String key;
          try {
            key = KeyCodec.decodePlain(b, keyStart, end);
          } catch (KeyCodec.BadKey e) {
            return Reply.error(400, e.getMessage());
          }
          try {
            return keyed(method, read, put, key, null);
          } catch (CacheClosedException e) {
            return Reply.shuttingDown();
          }
        }
      }
    }
    return route(method, new String(b, start, end - start, StandardCharsets.ISO_8859_1));
  }

  /**
   * The answer to a read of the plain key {@code b[start, end)} looked up through {@code probe}:
   * the value, a 404, a 400 for a dot segment or a 503; {@code null} if the probe gave up (many
   * keys share its hash code: the string's lookup takes their order, see {@link KeyProbe}).
   */
  private static @Nullable Object readByProbe(
      Map<String, byte[]> view, byte[] b, int start, int end, KeyProbe probe) {
    try {
      KeyCodec.checkDotSegments(b, start, end);
    } catch (KeyCodec.BadKey e) {
      return Reply.error(400, e.getMessage());
    }
    byte[] value;
    try {
      value = view.get(probe.point(b, start, end));
    } catch (CacheClosedException e) {
      return Reply.shuttingDown();
    } catch (KeyProbe.Crowded e) {
      return null;
    }
    return value != null ? value : notFound(probe.toString());
  }

  private static final byte[] CACHE_PREFIX = "/cache/".getBytes(StandardCharsets.US_ASCII);

  /** Whether the target {@code b[start, end)} names a key under {@code /cache/}. */
  static boolean isCacheTarget(byte[] b, int start, int end) {
    return end > start + CACHE_PREFIX.length && startsWithCachePrefix(b, start);
  }

  private static boolean startsWithCachePrefix(byte[] b, int start) {
    for (int i = 0; i < CACHE_PREFIX.length; i++) {
      if (b[start + i] != CACHE_PREFIX[i]) {
        return false;
      }
    }
    return true;
  }

  /** The request on a decoded key, of a method {@code /cache/{key}} answers. */
  private Object keyed(String method, boolean read, boolean put, String key, @Nullable String query) {
    String keyProblem = keyProblem(key);
    if (keyProblem != null) {
      return Reply.error(400, keyProblem);
    }
    if (read) {
      return get(key);
    }
    if (put) {
      try {
        return new Put(key, query == null ? Ttl.cacheDefault() : ttl(query));
      } catch (IllegalArgumentException e) {
        return Reply.error(400, e.getMessage());
      }
    }
    return delete(key);
  }

  /**
   * Decides a request from its head: either a reply (the request is complete without a body) or
   * a {@link Put} to store once the body is read.
   *
   * @param method the method, as sent (case-sensitive)
   * @param target the request target, as sent (origin form: path and optional query)
   * @return a {@link Reply}, a {@link Put}, or the {@code byte[]} value of a {@code GET} or
   *     {@code HEAD} hit (200, {@code application/octet-stream})
   */
  Object route(String method, String target) {
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    String query = q < 0 ? null : target.substring(q + 1);
    boolean read = method.equals("GET") || method.equals("HEAD");
    try {
      if (path.startsWith("/cache/") && path.length() > 7) {
        boolean put = method.equals("PUT");
        if (!read && !put && !method.equals("DELETE")) {
          return methodNotAllowed(method, path, ALLOW);
        }
        String key;
        try {
          key = KeyCodec.decode(path.substring(7));
        } catch (KeyCodec.BadKey e) {
          return Reply.error(400, e.getMessage());
        }
        return keyed(method, read, put, key, query);
      }
      switch (path) {
        case "/cache", "/cache/" -> {
          return read || method.equals("PUT") || method.equals("DELETE")
              ? Reply.error(400, "key must not be empty: use /cache/{key}")
              : methodNotAllowed(method, path, ALLOW);
        }
        case "/stats" -> {
          return read ? Reply.ok(Reply.JSON, stats.get().json()) : methodNotAllowed(method, path, ALLOW_GET);
        }
        case "/metrics" -> {
          return read ? metrics.get() : methodNotAllowed(method, path, ALLOW_GET);
        }
        case "/health" -> {
          return read ? health.get() : methodNotAllowed(method, path, ALLOW_GET);
        }
        default -> {
          return Reply.error(404, "no route for " + method + " " + path + ROUTES);
        }
      }
    } catch (CacheClosedException e) {
      return Reply.shuttingDown();
    }
  }

  /** Stores a PUT whose body has been read. */
  Reply store(Put put, byte[] value) {
    try {
      cache.set(put.key(), value, put.ttl());
    } catch (CacheClosedException e) {
      return Reply.shuttingDown();
    } catch (IllegalArgumentException e) {
      // the entry alone is over the weight bound (checked before reading, so not expected here)
      return tooLarge(put, value.length + " bytes");
    }
    sets.increment();
    return Reply.NO_CONTENT;
  }

  /**
   * The 413 of a value over the limit for {@code put}: the value limit, or the memory bound when
   * the entry (key, value and overhead) would weigh more than the whole cache may.
   */
  Reply tooLarge(Put put, String size) {
    if (valueLimit(put) >= maxValueBytes) {
      return Reply.error(413, "value is " + size + ", the limit is " + maxValueBytes + " bytes").closing();
    }
    return Reply.error(
            413,
            "value is " + size + ": with its key and the per-entry overhead it is over the cache's memory"
                + " bound (--max-memory) of " + weigher.maximumWeight() + " bytes; the largest value it"
                + " can hold under this key is " + Math.max(0, valueLimit(put)) + " bytes")
        .closing();
  }

  /**
   * The longest value {@code put} may store: the value limit, or less when a longer entry would be
   * over the memory bound on its own (-1: not even an empty value fits).
   */
  int valueLimit(Put put) {
    return weigher.largestFitting(put.key(), maxValueBytes);
  }

  /** The value itself on a hit (the connection answers 200 with it, no reply object), else a 404. */
  private Object get(String key) {
    byte[] value = cache.getIfPresent(key);
    return value == null ? notFound(key) : value;
  }

  private static Reply notFound(String key) {
    return Reply.error(404, "no entry for key " + Json.quote(key));
  }

  private Reply delete(String key) {
    if (cache.delete(key)) {
      deletes.increment();
      return Reply.NO_CONTENT;
    }
    return notFound(key);
  }

  /**
   * Reads the {@code ttl} query parameter: absent means the server's default TTL, {@code 0} means
   * never expires, {@code n > 0} means n seconds.
   *
   * @throws IllegalArgumentException if it is given twice or is not a non-negative integer
   */
  static Ttl ttl(@Nullable String query) {
    List<String> values = new ArrayList<>(1);
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&", -1)) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        if (name.equals("ttl")) {
          values.add(eq < 0 ? "" : decodeQueryValue(pair.substring(eq + 1)));
        }
      }
    }
    return ttl(values);
  }

  private static String decodeQueryValue(String raw) {
    if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
      return raw;
    }
    try {
      return java.net.URLDecoder.decode(raw, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return raw; // malformed: refused as a ttl below
    }
  }

  static Ttl ttl(List<String> values) {
    if (values.isEmpty()) {
      return Ttl.cacheDefault();
    }
    if (values.size() > 1) {
      throw new IllegalArgumentException("ttl must be given at most once, was given " + values.size() + " times");
    }
    String v = values.getFirst();
    if (v.isEmpty() || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(
          "ttl must be a non-negative integer number of seconds, was " + Json.quote(v));
    }
    long seconds;
    try {
      seconds = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ttl is too large: " + v);
    }
    return seconds == 0 ? Ttl.never() : Ttl.ofSeconds(seconds);
  }

  /** Returns why {@code key} is refused, or {@code null} if it is fine. */
  @Nullable String keyProblem(String key) {
    if (key.isEmpty()) {
      return "key must not be empty";
    }
    // A char is at most 3 UTF-8 bytes (a surrogate pair, 2 chars, is 4): count only when needed.
    if ((long) key.length() * 3 > maxKeyBytes) {
      int bytes = key.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > maxKeyBytes) {
        return "key is " + bytes + " bytes in UTF-8, the limit is " + maxKeyBytes;
      }
    }
    return null;
  }

  long sets() {
    return sets.sum();
  }

  long deletes() {
    return deletes.sum();
  }

  private static Reply methodNotAllowed(String method, String path, String allow) {
    return Reply.error(405, method + " is not allowed on " + path + " (allowed: " + allow + ")").allowing(allow);
  }
}
