package dev.asynccache.server;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * A response, before the connection writes it: status, content type, body, an optional
 * {@code Allow} value, and whether the connection must close after it.
 *
 * @param status the status code
 * @param contentType the {@code Content-Type}, or null without a body
 * @param body the body (may be empty)
 * @param allow the {@code Allow} header of a 405, or null
 * @param close whether the connection closes after this response
 */
record Reply(int status, @Nullable String contentType, byte[] body, @Nullable String allow, boolean close) {
  static final String JSON = "application/json";
  static final String OCTETS = "application/octet-stream";
  private static final byte[] EMPTY = new byte[0];

  static final Reply NO_CONTENT = new Reply(204, null, EMPTY, null, false);

  static Reply ok(String contentType, byte[] body) {
    return new Reply(200, contentType, body, null, false);
  }

  static Reply ok(String contentType, String body) {
    return ok(contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code status} with {@code {"error": message}}. */
  static Reply error(int status, String message) {
    return new Reply(status, JSON, Json.error(message).getBytes(StandardCharsets.UTF_8), null, false);
  }

  /** The 503 of a request the stopping server no longer serves; it closes the connection. */
  static Reply shuttingDown() {
    return error(503, "server is shutting down").closing();
  }

  /** The same reply, closing the connection after it. */
  Reply closing() {
    return close ? this : new Reply(status, contentType, body, allow, true);
  }

  /** The same reply with an {@code Allow} header. */
  Reply allowing(String methods) {
    return new Reply(status, contentType, body, methods, close);
  }

  /** The reason phrase of a status code this server sends. */
  static String reason(int status) {
    return switch (status) {
      case 100 -> "Continue";
      case 200 -> "OK";
      case 204 -> "No Content";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 413 -> "Content Too Large";
      case 414 -> "URI Too Long";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 503 -> "Service Unavailable";
      case 505 -> "HTTP Version Not Supported";
      default -> "Status " + status;
    };
  }
}
