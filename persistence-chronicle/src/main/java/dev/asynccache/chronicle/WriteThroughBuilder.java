package dev.asynccache.chronicle;

import dev.asynccache.persistence.Codec;
import dev.asynccache.persistence.PersistenceBackend;
import java.nio.file.Path;

/**
 * Configures a write-through backend. The sizes fix the file's layout when it is created; an
 * existing file keeps the sizes it was created with. Not thread-safe; each option may be set once.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class WriteThroughBuilder<K, V> {
  private final Path file;
  private final Codec<K> keyCodec;
  private final Codec<V> valueCodec;
  private long maxEntries = -1;
  private int averageKeyBytes = -1;
  private int averageValueBytes = -1;

  WriteThroughBuilder(Path file, Codec<K> keyCodec, Codec<V> valueCodec) {
    this.file = file;
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
  }

  /**
   * The cache's {@code maxSize} (required). The file holds room for twice as many entries, and
   * each open trims it back to the {@code maxEntries} most recently written live ones.
   *
   * @param maxEntries positive
   * @return this builder
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set
   */
  public WriteThroughBuilder<K, V> maxEntries(long maxEntries) {
    if (this.maxEntries != -1) {
      throw new IllegalStateException("maxEntries was already set to " + this.maxEntries);
    }
    if (maxEntries <= 0) {
      throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
    }
    this.maxEntries = maxEntries;
    return this;
  }

  /**
   * The expected average size of an encoded key (default 32 bytes).
   *
   * @param bytes positive
   * @return this builder
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set
   */
  public WriteThroughBuilder<K, V> averageKeyBytes(int bytes) {
    if (averageKeyBytes != -1) {
      throw new IllegalStateException("averageKeyBytes was already set to " + averageKeyBytes);
    }
    if (bytes <= 0) {
      throw new IllegalArgumentException("averageKeyBytes must be positive: " + bytes);
    }
    this.averageKeyBytes = bytes;
    return this;
  }

  /**
   * The expected average size of an encoded value (default 256 bytes). It also bounds the largest
   * value the file takes (a multiple of it, depending on Chronicle's layout); a larger one is
   * refused with a {@link dev.asynccache.persistence.PersistenceException} saying so.
   *
   * @param bytes positive
   * @return this builder
   * @throws IllegalArgumentException if not positive
   * @throws IllegalStateException if already set
   */
  public WriteThroughBuilder<K, V> averageValueBytes(int bytes) {
    if (averageValueBytes != -1) {
      throw new IllegalStateException("averageValueBytes was already set to " + averageValueBytes);
    }
    if (bytes <= 0) {
      throw new IllegalArgumentException("averageValueBytes must be positive: " + bytes);
    }
    this.averageValueBytes = bytes;
    return this;
  }

  /**
   * Opens (or creates) the file. After a crash of its previous owner the file is recovered with
   * Chronicle's recovery, which is safe because the lock file gives this backend exclusive
   * access.
   *
   * @return the backend
   * @throws IllegalStateException if {@code maxEntries} was not set
   * @throws dev.asynccache.persistence.PersistenceException if another backend owns the file, or
   *     it is truncated, corrupt, foreign or of another format version (it is left untouched)
   */
  public PersistenceBackend<K, V> open() {
    if (maxEntries == -1) {
      throw new IllegalStateException("maxEntries is required: pass the cache's maxSize");
    }
    return new WriteThroughBackend<>(
        file,
        keyCodec,
        valueCodec,
        maxEntries,
        averageKeyBytes == -1 ? 32 : averageKeyBytes,
        averageValueBytes == -1 ? 256 : averageValueBytes);
  }

  @Override
  public String toString() {
    return "WriteThroughBuilder{file=" + file + ", maxEntries=" + maxEntries + "}";
  }
}
