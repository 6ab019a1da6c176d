package dev.asynccache.server;

import dev.asynccache.AsyncCache;
import dev.asynccache.Ttl;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The handlers of {@code /cache/{key}}: {@code PUT} stores the body, {@code GET} returns it,
 * {@code DELETE} removes it. Bad input is answered with a 4xx status and a JSON {@code error}
 * message, and leaves the cache unchanged. Thread-safe.
 */
final class CacheRoutes {
  /** The methods {@code /cache/{key}} answers, for the {@code Allow} header of a 405. */
  static final String ALLOW = "GET, PUT, DELETE";

  private final AsyncCache<String, byte[]> cache;
  private final int maxValueBytes;
  private final int maxKeyBytes;
  private final LongAdder sets = new LongAdder();
  private final LongAdder deletes = new LongAdder();

  CacheRoutes(AsyncCache<String, byte[]> cache, int maxValueBytes, int maxKeyBytes) {
    this.cache = cache;
    this.maxValueBytes = maxValueBytes;
    this.maxKeyBytes = maxKeyBytes;
  }

  /** Handles {@code /cache/{key}} (the key is the rest of the path, decoded). */
  void entry(ServerRequest req, ServerResponse res) throws IOException {
    Method method = req.prologue().method();
    if (!method.equals(Method.GET) && !method.equals(Method.PUT) && !method.equals(Method.DELETE)) {
      methodNotAllowed(req, res, ALLOW);
      return;
    }
    String key = req.path().pathParameters().get("key");
    String keyProblem = keyProblem(key);
    if (keyProblem != null) {
      reject(res, Status.BAD_REQUEST_400, keyProblem);
    } else if (method.equals(Method.GET)) {
      get(key, res);
    } else if (method.equals(Method.PUT)) {
      put(key, req, res);
    } else {
      delete(key, res);
    }
  }

  /** Handles {@code /cache} and {@code /cache/}: a cache route without a key. */
  void missingKey(ServerRequest req, ServerResponse res) {
    Method method = req.prologue().method();
    if (method.equals(Method.GET) || method.equals(Method.PUT) || method.equals(Method.DELETE)) {
      reject(res, Status.BAD_REQUEST_400, "key must not be empty: use /cache/{key}");
    } else {
      methodNotAllowed(req, res, ALLOW);
    }
  }

  private void get(String key, ServerResponse res) {
    byte[] value = cache.getIfPresent(key);
    if (value == null) {
      reject(res, Status.NOT_FOUND_404, "no entry for key " + Json.quote(key));
    } else {
      res.header(HeaderValues.CONTENT_TYPE_OCTET_STREAM).send(value);
    }
  }

  private void put(String key, ServerRequest req, ServerResponse res) throws IOException {
    Ttl ttl;
    try {
      ttl = ttl(req.query().all("ttl", List::of));
    } catch (IllegalArgumentException e) {
      reject(res, Status.BAD_REQUEST_400, e.getMessage());
      return;
    }
    OptionalLong declared = req.headers().contentLength();
    if (declared.isPresent() && declared.getAsLong() > maxValueBytes) {
      // Refused before reading a byte of the body; the connection is closed rather than drained.
      tooLarge(res, declared.getAsLong() + " bytes");
      return;
    }
    byte[] value;
    try (InputStream body = req.content().inputStream()) {
      value = body.readNBytes(maxValueBytes + 1);
    }
    if (value.length > maxValueBytes) {
      tooLarge(res, "more than " + maxValueBytes + " bytes");
      return;
    }
    cache.set(key, value, ttl);
    sets.increment();
    res.status(Status.NO_CONTENT_204).send();
  }

  private void delete(String key, ServerResponse res) {
    if (cache.delete(key)) {
      deletes.increment();
      res.status(Status.NO_CONTENT_204).send();
    } else {
      reject(res, Status.NOT_FOUND_404, "no entry for key " + Json.quote(key));
    }
  }

  /**
   * Reads the {@code ttl} query parameter: absent means the server's default TTL, {@code 0} means
   * never expires, {@code n > 0} means n seconds.
   *
   * @throws IllegalArgumentException if it is given twice or is not a non-negative integer
   */
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

  private void tooLarge(ServerResponse res, String size) {
    res.header(HeaderValues.CONNECTION_CLOSE);
    reject(
        res,
        Status.REQUEST_ENTITY_TOO_LARGE_413,
        "value is " + size + ", the limit is " + maxValueBytes + " bytes");
  }

  long sets() {
    return sets.sum();
  }

  long deletes() {
    return deletes.sum();
  }

  /** Sends {@code status} with {@code {"error": message}}. */
  static void reject(ServerResponse res, Status status, String message) {
    res.status(status).header(HeaderValues.CONTENT_TYPE_JSON).send(Json.error(message));
  }

  /** Sends 405 with the {@code Allow} header. */
  static void methodNotAllowed(ServerRequest req, ServerResponse res, String allow) {
    res.header(HeaderNames.ALLOW, allow);
    reject(
        res,
        Status.METHOD_NOT_ALLOWED_405,
        req.prologue().method().text() + " is not allowed on " + req.path().path() + " (allowed: " + allow + ")");
  }
}
