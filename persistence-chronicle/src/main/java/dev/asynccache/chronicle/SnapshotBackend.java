package dev.asynccache.chronicle;

import dev.asynccache.persistence.Codec;
import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceBackend;
import dev.asynccache.persistence.PersistenceException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshot mode: each save writes a complete new Chronicle Map file beside the target, appends a
 * checked trailer, forces it to disk and renames it over the target atomically. Loads read a
 * private copy, so the snapshot in place is never mapped or written.
 */
final class SnapshotBackend<K, V> implements PersistenceBackend<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotBackend.class);
  private static final int COPY_BUFFER = 1 << 20;

  private final Path file;
  private final Path savingTmp;
  private final Path loadingTmp;
  private final Codec<K> keyCodec;
  private final Codec<V> valueCodec;
  private final OwnerLock owner;
  private final ReentrantLock saveLock = new ReentrantLock();
  private final ReentrantLock loadLock = new ReentrantLock();
  private volatile boolean closed;
  /** Set when a load found the snapshot in place corrupt: the next save keeps it aside. */
  private volatile boolean targetFoundCorrupt;

  SnapshotBackend(Path file, Codec<K> keyCodec, Codec<V> valueCodec) {
    // The real path: a symbolic link to a file shares its lock, and saves replace the target.
    this.file = ChronicleFiles.realPath(file);
    this.savingTmp = this.file.resolveSibling(this.file.getFileName() + ".saving.tmp");
    this.loadingTmp = this.file.resolveSibling(this.file.getFileName() + ".loading.tmp");
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
    // Now, not in the first save: that save may run in a JVM shutdown hook (saveOnShutdown).
    ChronicleFiles.initialiseChronicle(this.file);
    this.owner = OwnerLock.acquire(this.file, "snapshot");
  }

  // ----- save -----

  @Override
  public long save(Iterable<PersistedEntry<K, V>> entries) {
    saveLock.lock();
    try {
      checkOpen();
      Encoded encoded = encode(entries);
      writeSnapshotFile(encoded);
      preserveTargetIfInvalid();
      Files.move(
          savingTmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      ChronicleFiles.forceDirectory(file.getParent());
      targetFoundCorrupt = false;
      return encoded.size();
    } catch (IOException e) {
      throw new PersistenceException(
          "could not save snapshot " + file + ": " + e + "; the previous snapshot is kept", e);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Error e) {
      // A codec's Error, or Chronicle's class initialisation failing (ExceptionInInitializerError,
      // NoClassDefFoundError): reported as a failed save, so that the cache logs it and goes on.
      deleteQuietly(savingTmp);
      throw new PersistenceException(
          "could not save snapshot " + file + ": " + e + "; the previous snapshot is kept", e);
    } finally {
      saveLock.unlock();
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("could not delete the temporary file {}", p, e);
    }
  }

  /** The entries as bytes, with the measured sizes that size the Chronicle Map. */
  private record Encoded(
      List<byte[]> keys, List<byte[]> records, long keyBytes, long recordBytes, int maxKey,
      int maxRecord) {
    int size() {
      return keys.size();
    }
  }

  private Encoded encode(Iterable<PersistedEntry<K, V>> entries) {
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> records = new ArrayList<>();
    long keyBytes = 0;
    long recordBytes = 0;
    int maxKey = 0;
    int maxRecord = 0;
    long order = 0; // 0 is the most recently used
    for (PersistedEntry<K, V> e : entries) {
      byte[] k = keyCodec.encode(e.key());
      byte[] r = EntryRecord.encode(order++, e.expiresAtEpochMillis(), valueCodec.encode(e.value()));
      keys.add(k);
      records.add(r);
      keyBytes += k.length;
      recordBytes += r.length;
      maxKey = Math.max(maxKey, k.length);
      maxRecord = Math.max(maxRecord, r.length);
    }
    return new Encoded(keys, records, keyBytes, recordBytes, maxKey, maxRecord);
  }

  /**
   * Writes the entries to the temporary file, sized from their measured sizes. Should Chronicle
   * still refuse an entry (a very skewed size distribution), the file is rebuilt with more room:
   * the caller never sees Chronicle's overflow.
   */
  private void writeSnapshotFile(Encoded enc) throws IOException {
    int n = enc.size();
    double avgKey = n == 0 ? 8 : (double) enc.keyBytes() / n;
    double avgRecord = n == 0 ? 32 : (double) enc.recordBytes() / n;
    // Chronicle places an entry within one segment tier, whose size follows the average entry.
    // When the largest entry is far above the average, fewer (so larger) segments make room for
    // it without inflating the whole file.
    long largest = (long) enc.maxKey() + enc.maxRecord();
    long total = enc.keyBytes() + enc.recordBytes();
    boolean skewed = largest > 8 * (avgKey + avgRecord);
    int segments = skewed ? (int) Math.max(1, Long.highestOneBit(total / (4 * largest))) : 0;
    RuntimeException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      long entries = attempt == 0 ? n : ((long) n << attempt) + 64;
      var builder = ChronicleFiles.builder("async-cache snapshot", entries, avgKey, avgRecord);
      if (skewed || attempt == 2) {
        builder.actualSegments(attempt == 2 ? 1 : Math.max(1, segments >> attempt));
      }
      Files.deleteIfExists(savingTmp); // our own leftover from an interrupted save
      ChronicleMap<byte[], byte[]> map;
      try {
        map = builder.createPersistedTo(savingTmp.toFile());
      } catch (RuntimeException e) {
        Files.deleteIfExists(savingTmp);
        throw new PersistenceException(
            "could not create the temporary snapshot " + savingTmp + " (are the JVM flags of the"
                + " README set?): " + e + "; the previous snapshot is kept", e);
      }
      try {
        try (map) {
          for (int i = 0; i < n; i++) {
            map.put(enc.keys().get(i), enc.records().get(i));
          }
          if (map.longSize() != n) {
            throw new PersistenceException(
                "snapshot " + file + ": the key codec maps two keys to the same bytes ("
                    + n + " entries gave " + map.longSize() + " distinct keys)");
          }
        }
      } catch (PersistenceException e) {
        Files.deleteIfExists(savingTmp);
        throw e;
      } catch (RuntimeException e) {
        // Chronicle's "extra segment tier" or "entry is too large": rebuild with more room.
        last = e;
        LOG.debug("snapshot {}: sizing attempt {} too small, retrying with more room", file, attempt, e);
        continue;
      }
      appendTrailer(n);
      return;
    }
    Files.deleteIfExists(savingTmp);
    throw new PersistenceException(
        "could not save snapshot " + file + ": Chronicle Map refused the entries even with 4x the measured room"
            + " (largest key " + enc.maxKey() + " bytes, largest value " + enc.maxRecord()
            + " bytes); the previous snapshot is kept", last);
  }

  private void appendTrailer(long entryCount) throws IOException {
    try (FileChannel ch =
        FileChannel.open(savingTmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long dataLength = ch.size();
      CRC32C crc = new CRC32C();
      ByteBuffer buf = ByteBuffer.allocateDirect(COPY_BUFFER);
      long pos = 0;
      while (pos < dataLength) {
        buf.clear();
        int read = ch.read(buf, pos);
        if (read < 0) {
          throw new IOException("the temporary snapshot " + savingTmp + " shrank while hashing");
        }
        buf.flip();
        crc.update(buf);
        pos += read;
      }
      byte[] trailer =
          new SnapshotTrailer(dataLength, entryCount, (int) crc.getValue(), SnapshotTrailer.FORMAT_VERSION)
              .encode();
      ByteBuffer t = ByteBuffer.wrap(trailer);
      while (t.hasRemaining()) {
        ch.write(t, dataLength + t.position());
      }
      ch.force(true);
    }
  }

  /** A snapshot in place that does not validate is moved aside, never overwritten silently. */
  private void preserveTargetIfInvalid() throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    String problem = null;
    if (targetFoundCorrupt) {
      problem = "the last load found it corrupt";
    } else {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        SnapshotTrailer.read(file, ch);
      } catch (PersistenceException e) {
        problem = e.getMessage();
      }
    }
    if (problem != null) {
      Path aside =
          file.resolveSibling(file.getFileName() + ".corrupt-" + System.currentTimeMillis());
      Files.move(file, aside);
      LOG.warn("snapshot {} was not valid ({}); it is kept as {} and a new snapshot replaces it",
          file, problem, aside);
    }
  }

  // ----- load -----

  @Override
  public long load(Consumer<? super PersistedEntry<K, V>> sink) {
    loadLock.lock();
    try {
      checkOpen();
      if (!Files.exists(file)) {
        return 0; // a first start: nothing saved yet, nothing to restore
      }
      SnapshotTrailer trailer = copyAndVerify();
      List<Ranked<K, V>> ranked = readCopy(trailer);
      ranked.sort(Comparator.comparingLong(Ranked::order));
      for (Ranked<K, V> r : ranked) {
        sink.accept(r.entry());
      }
      return ranked.size();
    } catch (IOException e) {
      throw new PersistenceException("could not read snapshot " + file + ": " + e, e);
    } finally {
      try {
        Files.deleteIfExists(loadingTmp);
      } catch (IOException e) {
        LOG.warn("could not delete the temporary copy {}", loadingTmp, e);
      }
      loadLock.unlock();
    }
  }

  private record Ranked<K, V>(long order, PersistedEntry<K, V> entry) {}

  /** Copies the snapshot's data to a private file, checking its trailer and checksum. */
  private SnapshotTrailer copyAndVerify() throws IOException {
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      SnapshotTrailer trailer;
      try {
        trailer = SnapshotTrailer.read(file, in);
      } catch (PersistenceException e) {
        targetFoundCorrupt = true;
        throw e;
      }
      CRC32C crc = new CRC32C();
      byte[] buf = new byte[COPY_BUFFER];
      Files.deleteIfExists(loadingTmp);
      try (InputStream is = Channels.newInputStream(in.position(0));
          OutputStream os = Files.newOutputStream(loadingTmp, StandardOpenOption.CREATE_NEW)) {
        long remaining = trailer.dataLength();
        while (remaining > 0) {
          int read = is.read(buf, 0, (int) Math.min(buf.length, remaining));
          if (read < 0) {
            throw new PersistenceException("snapshot " + file + " shrank while being read");
          }
          crc.update(buf, 0, read);
          os.write(buf, 0, read);
          remaining -= read;
        }
      }
      if ((int) crc.getValue() != trailer.crc32c()) {
        targetFoundCorrupt = true;
        throw new PersistenceException(
            "snapshot " + file + " is corrupt: its checksum does not match its content (CRC32C "
                + Integer.toHexString((int) crc.getValue()) + ", trailer says "
                + Integer.toHexString(trailer.crc32c()) + ")");
      }
      return trailer;
    }
  }

  private List<Ranked<K, V>> readCopy(SnapshotTrailer trailer) throws IOException {
    ChronicleMap<byte[], byte[]> map;
    try {
      map = ChronicleFiles.builder("async-cache snapshot", 1, 8, 32).createPersistedTo(loadingTmp.toFile());
    } catch (IOException | RuntimeException e) {
      targetFoundCorrupt = true;
      throw new PersistenceException(
          "snapshot " + file + " passed its checksum but Chronicle Map cannot open it: " + e, e);
    }
    List<Ranked<K, V>> out;
    try (map) {
      // The trailer's count is not covered by the checksum; the map's own count is (it is in the
      // checked data). Compare them before sizing anything from either.
      long size = map.longSize();
      if (size != trailer.entryCount() || size > Integer.MAX_VALUE - 8) {
        throw countMismatch(trailer, size);
      }
      out = new ArrayList<>((int) size);
      long index = 0;
      for (Map.Entry<byte[], byte[]> e : map.entrySet()) {
        out.add(decode(e.getKey(), e.getValue(), index++));
      }
    }
    if (out.size() != trailer.entryCount()) {
      throw countMismatch(trailer, out.size());
    }
    return out;
  }

  private PersistenceException countMismatch(SnapshotTrailer trailer, long held) {
    targetFoundCorrupt = true;
    return new PersistenceException(
        "snapshot " + file + " is corrupt: its trailer counts " + trailer.entryCount()
            + " entries, the map holds " + held);
  }

  private Ranked<K, V> decode(byte[] keyBytes, byte[] recordBytes, long index) {
    try {
      EntryRecord r = EntryRecord.decode(recordBytes);
      K key = keyCodec.decode(keyBytes);
      V value = valueCodec.decode(r.value());
      return new Ranked<>(r.order(), new PersistedEntry<>(key, value, r.expiresAtEpochMillis()));
    } catch (RuntimeException e) {
      throw new PersistenceException(
          "snapshot " + file + ": entry #" + index + " cannot be decoded (" + e.getMessage()
              + "); was it saved with other codecs?", e);
    }
  }

  // ----- lifecycle -----

  private void checkOpen() {
    if (closed) {
      throw new PersistenceException("the snapshot backend of " + file + " is closed");
    }
  }

  @Override
  public void close() {
    saveLock.lock();
    loadLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      owner.close();
    } finally {
      loadLock.unlock();
      saveLock.unlock();
    }
  }

  @Override
  public String toString() {
    return "ChronicleSnapshot[" + file + "]";
  }
}
