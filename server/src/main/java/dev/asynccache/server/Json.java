package dev.asynccache.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The server's JSON, written by Jackson: the bodies of {@code /stats}, {@code /health} and the
 * error responses, and keys quoted inside messages. Thread-safe (one configured mapper).
 */
final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder().build();

  private Json() {}

  /** Returns {@code value} as one line of JSON followed by a newline, in UTF-8. */
  static byte[] write(Object value) {
    try {
      byte[] json = MAPPER.writeValueAsBytes(value);
      byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
      line[json.length] = '\n';
      return line;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }

  /** Same as {@link #write}, as a string. */
  static String text(Object value) {
    return new String(write(value), StandardCharsets.UTF_8);
  }

  /** Returns {@code s} as a JSON string literal, quotes included. */
  static String quote(String s) {
    try {
      return MAPPER.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a String always serializes
    }
  }

  /** Returns {@code {"error": message}} with a trailing newline. */
  static String error(String message) {
    return text(Map.of("error", message));
  }
}
