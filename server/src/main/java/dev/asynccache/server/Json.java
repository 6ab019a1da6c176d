package dev.asynccache.server;

/** The little JSON the server writes: string quoting and number formatting. */
final class Json {
  private Json() {}

  /** Returns {@code s} as a JSON string literal, quotes included. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** Returns {@code {"error": message}} with a trailing newline. */
  static String error(String message) {
    return "{\"error\":" + quote(message) + "}\n";
  }
}
