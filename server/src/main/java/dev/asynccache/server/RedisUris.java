package dev.asynccache.server;

import io.lettuce.core.RedisURI;
import java.util.Locale;

/**
 * Checks and redacts the URI of {@code --redis} / {@code --redis-cluster}. Lettuce parses it (the
 * URI the cache will connect to is the one checked here); the scheme must be {@code redis} or
 * {@code rediss} (TLS). Stateless.
 */
final class RedisUris {
  private RedisUris() {}

  /**
   * Parses {@code uri} as Lettuce will.
   *
   * @throws IllegalArgumentException with a message saying what is wrong and what is expected
   */
  static void check(String uri) {
    int colon = uri.indexOf("://");
    String scheme = colon < 0 ? "" : uri.substring(0, colon).toLowerCase(Locale.ROOT);
    if (!scheme.equals("redis") && !scheme.equals("rediss")) {
      throw new IllegalArgumentException("expected redis://host:port (or rediss:// for TLS)");
    }
    RedisURI parsed;
    try {
      parsed = RedisURI.create(uri);
    } catch (RuntimeException e) {
      String why = String.valueOf(e.getMessage()).replace(uri, redact(uri)); // no password in messages
      throw new IllegalArgumentException("not a Redis URI (" + why + "); expected redis://host:port", e);
    }
    java.net.URI strict;
    try {
      strict = new java.net.URI(uri);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("not a URI (" + e.getReason() + "); expected redis://host:port", e);
    }
    if (strict.getHost() == null || parsed.getHost() == null || parsed.getHost().isBlank()) {
      throw new IllegalArgumentException("no host; expected redis://host:port");
    }
    if (parsed.getPort() < 1 || parsed.getPort() > 65_535) {
      throw new IllegalArgumentException("port must be between 1 and 65535, was " + parsed.getPort());
    }
  }

  /** {@code uri} without the password of its user information ({@code redis://:***@host:port}). */
  static String redact(String uri) {
    int start = uri.indexOf("://");
    int at = uri.lastIndexOf('@');
    if (start < 0 || at < start) {
      return uri;
    }
    String user = uri.substring(start + 3, at);
    int colon = user.indexOf(':');
    String shown = colon < 0 ? "***" : user.substring(0, colon) + ":***";
    return uri.substring(0, start + 3) + shown + uri.substring(at);
  }
}
