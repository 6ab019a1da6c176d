package dev.asynccache.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The server's JSON, written by Jackson's streaming generator (jackson-core): the bodies of
 * {@code /stats}, {@code /health} and the error responses, and keys quoted inside messages.
 * Thread-safe (one factory; a generator per document).
 *
 * <p>Not Jackson's data binding: its {@code ObjectMapper} loads about 500 classes (about 4 MB of
 * resident metaspace and symbols) for three small documents whose fields the server writes itself.
 */
final class Json {
  private static final JsonFactory FACTORY = new JsonFactory();

  /** Writes the fields of one JSON object. */
  @FunctionalInterface
  interface Fields {
    /**
     * Writes the fields (names and values) between the object's braces.
     *
     * @param g the generator, inside the object
     * @throws IOException never in practice (the generator writes to memory)
     */
    void write(JsonGenerator g) throws IOException;
  }

  private Json() {}

  /** Returns the object whose fields {@code fields} writes, as one line of JSON and a newline, in UTF-8. */
  static byte[] object(Fields fields) {
    var out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not from a ByteArrayOutputStream
    }
    out.write('\n');
    return out.toByteArray();
  }

  /** Same as {@link #object}, as a string. */
  static String text(Fields fields) {
    return new String(object(fields), StandardCharsets.UTF_8);
  }

  /** Returns {@code s} as a JSON string literal, quotes included. */
  static String quote(String s) {
    var out = new StringWriter(s.length() + 2);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeString(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not from a StringWriter
    }
    return out.toString();
  }

  /** Returns {@code {"error": message}} with a trailing newline. */
  static String error(String message) {
    return text(g -> g.writeStringField("error", message));
  }
}
