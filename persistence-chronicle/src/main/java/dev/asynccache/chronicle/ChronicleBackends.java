package dev.asynccache.chronicle;

import dev.asynccache.persistence.Codec;
import dev.asynccache.persistence.PersistenceBackend;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Persistence backends for async-cache stored in Chronicle Map files.
 *
 * <ul>
 *   <li>{@link #snapshot} keeps a snapshot file that {@code saveToBackend()} replaces atomically and
 *       {@code loadFromBackend()} reads back: a process killed during a save leaves the previous
 *       snapshot whole.
 *   <li>{@link #writeThrough} mirrors every change into a memory-mapped file and serves misses from
 *       it, so a restarted process finds its entries without an explicit save.
 * </ul>
 *
 * <p>Each backend owns its file for its whole life through an OS lock on {@code <file>.lock}, beside
 * the file's real path (symbolic links resolved): a second backend on the same file, in this or
 * another process, also through a symbolic link, is refused with a {@link
 * dev.asynccache.persistence.PersistenceException}. A file that is truncated, corrupt, foreign or
 * of another format version gives a {@code PersistenceException} naming the file and the problem;
 * no file is ever deleted (an invalid snapshot that a save replaces is first renamed to {@code
 * <file>.corrupt-<millis>}).
 *
 * <p>Loading this class turns Chronicle's usage analytics off (system property {@code
 * chronicle.analytics.disable=true}) unless that property was already set. Chronicle needs JVM
 * flags on JDK 21+: see the module's README.
 *
 * <p>Backends are thread-safe. The cache that is given one closes it.
 */
public final class ChronicleBackends {
  static {
    ChronicleSetup.ensure();
  }

  private ChronicleBackends() {}

  /**
   * Opens a snapshot backend on {@code file} (created by the first save). The file's directory
   * also receives {@code <file>.lock} and, during a save or a load, {@code <file>.saving.tmp} or
   * {@code <file>.loading.tmp}.
   *
   * @param file the snapshot file
   * @param keyCodec encodes keys
   * @param valueCodec encodes values
   * @param <K> the key type
   * @param <V> the value type
   * <p>Building the backend initialises the Chronicle classes that must not be first used during
   * JVM shutdown, so that a save from a shutdown hook works even when it is the first use of
   * Chronicle in the JVM. A save that fails, for any reason including an {@link Error} other than
   * a {@link VirtualMachineError}, throws a {@code PersistenceException} and keeps the previous
   * snapshot.
   *
   * @return the backend; {@code load} restores nothing (returns 0) if no snapshot was saved yet
   * @throws NullPointerException if an argument is null
   * @throws dev.asynccache.persistence.PersistenceException if another backend owns {@code file}
   *     (also through a symbolic link), its directory does not exist, or Chronicle cannot start in
   *     this JVM (missing JVM flags)
   */
  public static <K, V> PersistenceBackend<K, V> snapshot(
      Path file, Codec<K> keyCodec, Codec<V> valueCodec) {
    Objects.requireNonNull(file, "file must not be null");
    Objects.requireNonNull(keyCodec, "keyCodec must not be null");
    Objects.requireNonNull(valueCodec, "valueCodec must not be null");
    return new SnapshotBackend<>(file, keyCodec, valueCodec);
  }

  /**
   * Starts configuring a write-through backend on {@code file}; finish with {@link
   * WriteThroughBuilder#maxEntries} and {@link WriteThroughBuilder#open()}. How soon changes
   * reach the disk is set with {@link WriteThroughBuilder#durability}.
   *
   * @param file the memory-mapped file (created if absent)
   * @param keyCodec encodes keys
   * @param valueCodec encodes values
   * @param <K> the key type
   * @param <V> the value type
   * @return a builder
   * @throws NullPointerException if an argument is null
   */
  public static <K, V> WriteThroughBuilder<K, V> writeThrough(
      Path file, Codec<K> keyCodec, Codec<V> valueCodec) {
    Objects.requireNonNull(file, "file must not be null");
    Objects.requireNonNull(keyCodec, "keyCodec must not be null");
    Objects.requireNonNull(valueCodec, "valueCodec must not be null");
    return new WriteThroughBuilder<>(file, keyCodec, valueCodec);
  }
}
