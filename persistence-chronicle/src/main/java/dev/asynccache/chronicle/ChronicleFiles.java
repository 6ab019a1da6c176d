package dev.asynccache.chronicle;

import dev.asynccache.persistence.PersistenceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/** Chronicle Map details shared by both backends. */
final class ChronicleFiles {
  static {
    ChronicleSetup.ensure();
  }

  /** Where Chronicle's self-bootstrapping header (a text description of the map) starts. */
  private static final int HEADER_TEXT_OFFSET = 12;

  private static final byte[] HEADER_TEXT =
      "!net.openhft.chronicle.map.VanillaChronicleMap".getBytes(StandardCharsets.US_ASCII);

  private ChronicleFiles() {}

  /**
   * Chronicle classes whose initialisers register Chronicle's JVM shutdown hook. The JVM refuses
   * new hooks once it is shutting down, so a first use of Chronicle from a shutdown hook (a cache
   * that saves only on shutdown, on a first start) would fail with ExceptionInInitializerError.
   */
  private static final String[] CLASSES_WITH_SHUTDOWN_HOOKS = {
    "net.openhft.chronicle.core.io.BackgroundResourceReleaser",
    "net.openhft.chronicle.hash.impl.ChronicleHashCloseOnExitHook",
  };

  private static volatile boolean initialised;

  /**
   * Initialises, once per JVM, the Chronicle classes that must not be initialised during JVM
   * shutdown. Called when a backend is constructed.
   *
   * @throws PersistenceException if Chronicle cannot start in this JVM (missing JVM flags)
   */
  static void initialiseChronicle(Path file) {
    if (initialised) {
      return;
    }
    synchronized (ChronicleFiles.class) {
      if (initialised) {
        return;
      }
      try {
        for (String name : CLASSES_WITH_SHUTDOWN_HOOKS) {
          Class.forName(name, true, ChronicleFiles.class.getClassLoader());
        }
      } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
        throw new PersistenceException(
            "cannot use " + file + ": Chronicle Map cannot start in this JVM (are the JVM flags of"
                + " the README set?): " + e, e);
      }
      initialised = true;
    }
  }

  /** A builder for a map of byte arrays, closed by us rather than by Chronicle's exit hook. */
  static ChronicleMapBuilder<byte[], byte[]> builder(
      String name, long entries, double averageKeyBytes, double averageValueBytes) {
    return ChronicleMapBuilder.of(byte[].class, byte[].class)
        .name(name)
        .entries(Math.max(1, entries))
        .averageKeySize(Math.max(1, averageKeyBytes))
        .averageValueSize(Math.max(1, averageValueBytes))
        .skipCloseOnExitHook(true);
  }

  /** Whether the file starts like a Chronicle Map file (its header text), without opening it. */
  static boolean looksLikeChronicleMap(FileChannel channel) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(HEADER_TEXT_OFFSET + HEADER_TEXT.length);
    while (b.hasRemaining()) {
      if (channel.read(b, b.position()) < 0) {
        return false;
      }
    }
    for (int i = 0; i < HEADER_TEXT.length; i++) {
      if (b.get(HEADER_TEXT_OFFSET + i) != HEADER_TEXT[i]) {
        return false;
      }
    }
    return true;
  }

  static boolean looksLikeChronicleMap(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return looksLikeChronicleMap(ch);
    }
  }

  /**
   * Whether Chronicle's header is marked complete: a map whose creation or recovery was cut short
   * keeps the mark "not complete", and Chronicle's ordinary open then waits a minute for it.
   */
  static boolean headerComplete(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        if (ch.read(b, 8 + b.position()) < 0) {
          return false;
        }
      }
      return (b.getInt(0) & 0x80000000) == 0;
    }
  }

  /** Forces the mapped pages of {@code map} to disk. */
  static void msync(ChronicleMap<?, ?> map) {
    ((net.openhft.chronicle.hash.impl.VanillaChronicleHash<?, ?, ?, ?>) map).msync();
  }

  /** The largest key plus value, in bytes, one entry of {@code map} can take (with margin). */
  static long maxEntryBytes(ChronicleMap<?, ?> map) {
    var h = (net.openhft.chronicle.hash.impl.VanillaChronicleHash<?, ?, ?, ?>) map;
    // Chronicle adds size prefixes, alignment and a checksum to each entry: keep 32 bytes for them.
    return h.chunkSize * h.maxChunksPerEntry - 32;
  }

  /**
   * The real path of {@code file}: absolute, with every symbolic link resolved, in its directory
   * and in the file name itself, even when the link's target does not exist yet. Locks, temporary
   * files and renames use it, so that a link to a file is the same file (it shares the lock) and
   * a save through a link replaces the target, not the link.
   *
   * @throws PersistenceException if the directory does not exist or links loop
   */
  static Path realPath(Path file) {
    Path p = file.toAbsolutePath();
    try {
      for (int hops = 0; hops < 40; hops++) {
        Path parent = p.getParent() == null ? p.getRoot() : p.getParent().toRealPath();
        p = parent.resolve(p.getFileName());
        if (!Files.isSymbolicLink(p)) {
          return p;
        }
        p = parent.resolve(Files.readSymbolicLink(p));
      }
    } catch (IOException e) {
      throw new PersistenceException("cannot use " + file + ": cannot resolve its real path: " + e, e);
    }
    throw new PersistenceException("cannot use " + file + ": too many levels of symbolic links");
  }

  /** Forces a file's content to disk. */
  static void forceFile(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Fsyncs a directory so that a rename inside it is durable (best effort off Linux). */
  static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some platforms cannot open or sync a directory; the rename is still atomic there.
    }
  }
}
