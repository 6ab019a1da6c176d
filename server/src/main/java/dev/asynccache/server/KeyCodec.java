package dev.asynccache.server;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns the raw text after {@code /cache/} into a key, strictly, so that two different requests
 * never name the same entry.
 *
 * <ul>
 *   <li>{@code %XX} is one byte; a {@code %} not followed by two hex digits is refused.
 *   <li>The bytes must be well-formed UTF-8: invalid bytes ({@code %FF}), truncated sequences,
 *       overlong forms ({@code %C0%AF}) and encoded surrogates ({@code %ED%A0%80}) are refused
 *       instead of becoming U+FFFD.
 *   <li>A segment that is exactly {@code .} or {@code ..} (also as {@code %2E}) is refused: clients
 *       and proxies resolve dot segments before sending, so such a key cannot be named reliably.
 *       Dots inside a segment ({@code a..b}, {@code ...}) are ordinary characters.
 *   <li>Control characters (U+0000–U+001F, U+007F–U+009F, which include U+0085) and the line and
 *       paragraph separators U+2028/U+2029 are refused.
 *   <li>{@code +}, {@code ;}, {@code =} and every other character stand for themselves.
 * </ul>
 */
final class KeyCodec {
  private KeyCodec() {}

  /** A refused key, with the message for the client. */
  static final class BadKey extends Exception {
    BadKey(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Decodes {@code raw} (the part of the path after {@code /cache/}).
   *
   * @throws BadKey if it is malformed, not UTF-8, holds a dot segment or a control character
   */
  static String decode(String raw) throws BadKey {
    // The parser admits only visible ASCII in the request target: without '%' the raw text is the key.
    String key = raw.indexOf('%') < 0 ? raw : percentDecode(raw);
    checkDotSegments(key);
    checkCharacters(key);
    return key;
  }

  /**
   * The fast path of {@link #decode}: the key is {@code b[start, end)}, which holds only visible
   * ASCII without {@code '%'} (the caller checked), so it needs no decoding and holds no control
   * character; only dot segments are refused. Builds one (Latin-1, compact) string.
   *
   * @throws BadKey if it holds a dot segment
   */
  static String decodePlain(byte[] b, int start, int end) throws BadKey {
    checkDotSegments(b, start, end);
    return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
  }

  /**
   * Refuses a dot segment in the plain key {@code b[start, end)} (see {@link #decodePlain}).
   *
   * @throws BadKey if it holds one
   */
  static void checkDotSegments(byte[] b, int start, int end) throws BadKey {
    int segment = start;
    for (int i = start; i <= end; i++) {
      if (i == end || b[i] == '/') {
        int len = i - segment;
        if ((len == 1 && b[segment] == '.') || (len == 2 && b[segment] == '.' && b[segment + 1] == '.')) {
          throw dotSegment();
        }
        segment = i + 1;
      }
    }
  }

  private static BadKey dotSegment() {
    return new BadKey(
        "the key holds a dot segment (\".\" or \"..\" between slashes), which clients and proxies"
            + " resolve before sending; it is refused rather than resolved");
  }

  private static String percentDecode(String raw) throws BadKey {
    byte[] bytes = new byte[raw.length()];
    int n = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw new BadKey("malformed percent-encoding in the key: '%' must be followed by two hex digits");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new BadKey("malformed percent-encoding in the key: '%' must be followed by two hex digits");
        }
        bytes[n++] = (byte) (hi << 4 | lo);
        i += 2;
      } else {
        bytes[n++] = (byte) c;
      }
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytes, 0, n));
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw new BadKey("the key is not valid UTF-8 once percent-decoded (invalid, overlong or surrogate bytes)");
    }
  }

  private static void checkDotSegments(String key) throws BadKey {
    int start = 0;
    while (true) {
      int slash = key.indexOf('/', start);
      int end = slash < 0 ? key.length() : slash;
      int len = end - start;
      if ((len == 1 && key.charAt(start) == '.')
          || (len == 2 && key.charAt(start) == '.' && key.charAt(start + 1) == '.')) {
        throw dotSegment();
      }
      if (slash < 0) {
        return;
      }
      start = slash + 1;
    }
  }

  private static void checkCharacters(String key) throws BadKey {
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029') {
        throw new BadKey(
            String.format(
                "the key holds a control or line-separator character (U+%04X at index %d), which keys may not"
                    + " contain",
                (int) c, i));
      }
    }
  }
}
