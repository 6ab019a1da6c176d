package dev.asynccache.chronicle;

import dev.asynccache.persistence.Codec;
import dev.asynccache.persistence.PersistenceBackend;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

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
  private @Nullable Durability durability;

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
   * When changes are forced to disk (default {@link Durability#onSave()}): every level survives
   * the death of the process; {@link Durability#everyWrite()} also survives a power loss, at the
   * cost of a disk flush per change. See {@link Durability}.
   *
   * @param durability the level
   * @return this builder
   * @throws NullPointerException if {@code durability} is null
   * @throws IllegalStateException if already set
   */
  public WriteThroughBuilder<K, V> durability(Durability durability) {
    Objects.requireNonNull(durability, "durability must not be null");
    if (this.durability != null) {
      throw new IllegalStateException("durability was already set to " + this.durability);
    }
    this.durability = durability;
    return this;
  }

  /**
   * Opens (or creates) the file. A new file is created complete beside its place and renamed
   * there. An existing file's entry checksums are verified; after a crash of its previous owner
   * the file is recovered with Chronicle's recovery on a private copy (the lock file gives this
   * backend exclusive access), which replaces the file only if no entry was lost but one a write
   * was changing at the crash (that write was never acknowledged).
   *
   * @return the backend
   * @throws IllegalStateException if {@code maxEntries} was not set
   * @throws dev.asynccache.persistence.PersistenceException if another backend owns the file (also
   *     through a symbolic link), or it is empty, truncated, corrupt (an entry's checksum), foreign
   *     or of another format version; the file is then left untouched
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
        averageValueBytes == -1 ? 256 : averageValueBytes,
        durability == null ? Durability.onSave() : durability);
  }

  @Override
  public String toString() {
    return "WriteThroughBuilder{file=" + file + ", maxEntries=" + maxEntries + "}";
  }
}
