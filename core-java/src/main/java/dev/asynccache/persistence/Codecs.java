package dev.asynccache.persistence;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** The built-in {@link Codec}s: strings, byte arrays and the boxed numbers. */
public final class Codecs {
  private Codecs() {}

  /**
   * Returns the UTF-8 codec for strings; decoding rejects malformed UTF-8.
   *
   * @return the string codec
   */
  public static Codec<String> string() {
    return StringCodec.INSTANCE;
  }

  /**
   * Returns the identity codec for byte arrays (arrays are copied both ways).
   *
   * @return the byte-array codec
   */
  public static Codec<byte[]> bytes() {
    return BytesCodec.INSTANCE;
  }

  /**
   * Returns the 8-byte big-endian codec for {@link Long}.
   *
   * @return the long codec
   */
  public static Codec<Long> longs() {
    return new FixedWidth<>(Long.BYTES, "Long") {
      @Override
      public byte[] encode(Long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
      }

      @Override
      Long read(ByteBuffer buffer) {
        return buffer.getLong();
      }
    };
  }

  /**
   * Returns the 4-byte big-endian codec for {@link Integer}.
   *
   * @return the integer codec
   */
  public static Codec<Integer> integers() {
    return new FixedWidth<>(Integer.BYTES, "Integer") {
      @Override
      public byte[] encode(Integer value) {
        return ByteBuffer.allocate(Integer.BYTES).putInt(value).array();
      }

      @Override
      Integer read(ByteBuffer buffer) {
        return buffer.getInt();
      }
    };
  }

  /**
   * Returns the 8-byte IEEE 754 codec for {@link Double}.
   *
   * @return the double codec
   */
  public static Codec<Double> doubles() {
    return new FixedWidth<>(Double.BYTES, "Double") {
      @Override
      public byte[] encode(Double value) {
        return ByteBuffer.allocate(Double.BYTES).putDouble(value).array();
      }

      @Override
      Double read(ByteBuffer buffer) {
        return buffer.getDouble();
      }
    };
  }

  private enum StringCodec implements Codec<String> {
    INSTANCE;

    @Override
    public byte[] encode(String value) {
      return value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(byte[] bytes) {
      try {
        return StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes))
            .toString();
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException("not valid UTF-8 (" + bytes.length + " bytes)", e);
      }
    }
  }

  private enum BytesCodec implements Codec<byte[]> {
    INSTANCE;

    @Override
    public byte[] encode(byte[] value) {
      return value.clone();
    }

    @Override
    public byte[] decode(byte[] bytes) {
      return bytes.clone();
    }
  }

  private abstract static class FixedWidth<T> implements Codec<T> {
    private final int width;
    private final String type;

    FixedWidth(int width, String type) {
      this.width = width;
      this.type = type;
    }

    abstract T read(ByteBuffer buffer);

    @Override
    public final T decode(byte[] bytes) {
      if (bytes.length != width) {
        throw new IllegalArgumentException(
            "a " + type + " takes " + width + " bytes, got " + bytes.length);
      }
      return read(ByteBuffer.wrap(bytes));
    }
  }
}
