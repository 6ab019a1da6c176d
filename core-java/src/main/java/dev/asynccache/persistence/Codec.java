package dev.asynccache.persistence;

/**
 * Turns values of one type into bytes and back, for persistence backends.
 *
 * <p>{@code decode(encode(x))} must equal {@code x}. Implementations must be thread-safe and must
 * not use Java serialization (a crafted file could run code); {@link Codecs} has the built-ins.
 *
 * @param <T> the type encoded
 */
public interface Codec<T> {

  /**
   * Encodes a value.
   *
   * @param value the value, never null
   * @return its bytes
   */
  byte[] encode(T value);

  /**
   * Decodes bytes made by {@link #encode}.
   *
   * @param bytes the bytes
   * @return the value
   * @throws IllegalArgumentException if the bytes are not a valid encoding
   */
  T decode(byte[] bytes);
}
