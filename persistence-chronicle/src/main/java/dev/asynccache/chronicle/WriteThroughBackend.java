package dev.asynccache.chronicle;

import dev.asynccache.persistence.Codec;
import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceBackend;
import dev.asynccache.persistence.PersistenceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import net.openhft.chronicle.hash.ChecksumEntry;
import net.openhft.chronicle.hash.ChronicleHashCorruption;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.MapEntry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Write-through mode: every change goes to a memory-mapped Chronicle Map file before the cache's
 * memory sees it. A write that returned lives in the OS page cache, so it survives the death of
 * the process (even {@code kill -9}); it reaches the disk when the OS writes it back, on {@link
 * #save}, or on {@link #close}.
 *
 * <p>File layout: keys are a tag byte ({@code 1}) followed by the key codec's bytes; values are
 * {@link EntryRecord}s whose order is a write sequence number. One extra entry under the tag
 * {@code 0} holds the magic {@code "ac-wt!"} and the format version.
 */
final class WriteThroughBackend<K, V> implements PersistenceBackend<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(WriteThroughBackend.class);

  static final int FORMAT_VERSION = 1;
  private static final byte USER_TAG = 1;
  private static final byte[] META_KEY = {0, 'm', 'e', 't', 'a'};
  private static final byte[] MAGIC = "ac-wt!".getBytes(StandardCharsets.US_ASCII);

  private final Path file;
  private final Codec<K> keyCodec;
  private final Codec<V> valueCodec;
  private final long maxEntries;
  private final int averageKeyBytes;
  private final int averageValueBytes;
  private final OwnerLock owner;
  private final ChronicleMap<byte[], byte[]> map;
  private final long maxEntryBytes;
  private final AtomicLong order = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final Durability durability;
  /** The data file, for fsync (it reports errors; Chronicle's msync does not). */
  private final FileChannel channel;
  /** Forces the file to disk periodically ({@link Durability#every}); null otherwise. */
  private final @Nullable ScheduledExecutorService syncer;
  /** Set by changes, cleared by the periodic sync. */
  private volatile boolean dirty;

  WriteThroughBackend(
      Path file,
      Codec<K> keyCodec,
      Codec<V> valueCodec,
      long maxEntries,
      int averageKeyBytes,
      int averageValueBytes,
      Durability durability) {
    this.durability = durability;
    // The real path: a symbolic link to a file shares its lock, and saves replace the target.
    this.file = ChronicleFiles.realPath(file);
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
    this.maxEntries = maxEntries;
    this.averageKeyBytes = averageKeyBytes;
    this.averageValueBytes = averageValueBytes;
    this.owner = OwnerLock.acquire(this.file, "write-through");
    ChronicleMap<byte[], byte[]> opened = null;
    FileChannel ch = null;
    try {
      opened = open();
      checkHeaderEntry(opened);
      this.map = opened;
      this.maxEntryBytes = ChronicleFiles.maxEntryBytes(opened);
      scanAndTrim();
      ch = FileChannel.open(this.file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException | RuntimeException e) {
      if (opened != null) {
        opened.close();
      }
      owner.close();
      throw e instanceof RuntimeException r
          ? r
          : new PersistenceException("cannot open write-through file " + this.file + ": " + e, e);
    }
    this.channel = ch;
    this.syncer = durability.level() == Durability.Level.INTERVAL ? startSyncer() : null;
  }

  private ScheduledExecutorService startSyncer() {
    ScheduledExecutorService s =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "async-cache-sync " + file.getFileName());
              t.setDaemon(true);
              return t;
            });
    long nanos = durability.interval().toNanos();
    s.scheduleWithFixedDelay(this::periodicSync, nanos, nanos, TimeUnit.NANOSECONDS);
    return s;
  }

  private void periodicSync() {
    if (!dirty) {
      return;
    }
    dirty = false;
    try {
      sync();
    } catch (RuntimeException e) {
      dirty = true;
      LOG.warn("write-through file {}: could not force changes to disk (will retry)", file, e);
    }
  }

  /**
   * Forces the file's changes to disk: Chronicle's msync of the mapping (which some platforms
   * need for mapped pages, and which reports no error), then fsync of the file, which on Linux
   * also writes every page changed through the mapping and reports errors.
   *
   * @throws PersistenceException if the OS reports an error
   */
  private void sync() {
    if (!LINUX) {
      ChronicleFiles.msync(map);
    }
    try {
      channel.force(false);
    } catch (IOException e) {
      throw new PersistenceException(
          "write-through file " + file + ": could not force changes to disk: " + e, e);
    }
  }

  private static final boolean LINUX =
      System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux");

  /** After a change that returned to the cache: what {@link #durability} asks. */
  private void changed() {
    switch (durability.level()) {
      case EVERY_WRITE -> sync();
      case INTERVAL -> dirty = true;
      case ON_SAVE -> {
        // the OS writes it back; save and close force it
      }
    }
  }

  // ----- opening -----

  private ChronicleMapBuilder<byte[], byte[]> builder() {
    // Room for twice maxEntries: the file can hold entries of a previous run that this run's
    // memory never loaded, besides what memory holds (at most maxEntries), until the next open
    // trims it back to maxEntries.
    return ChronicleFiles.builder(
            "async-cache write-through",
            2 * maxEntries + 1,
            averageKeyBytes + 1,
            averageValueBytes + EntryRecord.HEADER_BYTES)
        .maxBloatFactor(2.0)
        .putReturnsNull(true)
        .removeReturnsNull(true);
  }

  private ChronicleMap<byte[], byte[]> open() {
    try {
      if (!Files.exists(file)) {
        return createNew();
      }
      if (Files.size(file) == 0) {
        // We never leave an empty file (a new file is renamed into place complete), so an empty
        // one is damage (or someone else's), not a first start: never overwrite it.
        throw new PersistenceException(
            "write-through file " + file + " is empty (0 bytes): a missing file is a first start,"
                + " an empty one is damage; move it aside or delete it to start empty. It was left"
                + " untouched");
      }
      if (!ChronicleFiles.looksLikeChronicleMap(file)) {
        throw new PersistenceException(
            "write-through file " + file + " is not a Chronicle Map file (foreign file, or its"
                + " header is corrupt); it was left untouched");
      }
      if (owner.previousClosedCleanly()) {
        // Every entry's checksum is verified by the scan that follows (scanAndTrim).
        return builder().createPersistedTo(file.toFile());
      }
      return recoverOnACopy();
    } catch (PersistenceException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new PersistenceException(
          "cannot open write-through file " + file + ": " + e.getMessage()
              + " (truncated or corrupt?); it was left untouched", e);
    }
  }

  /**
   * Creates the file complete beside its place and renames it there, so that a process killed
   * while creating it never leaves a partial (or empty) file under the real name.
   */
  private ChronicleMap<byte[], byte[]> createNew() throws IOException {
    Path creating = file.resolveSibling(file.getFileName() + ".creating.tmp");
    Files.deleteIfExists(creating); // our own leftover: only the lock holder writes it
    try {
      builder().createPersistedTo(creating.toFile()).close();
      ChronicleFiles.forceFile(creating);
      Files.move(creating, file, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(creating);
    }
    ChronicleFiles.forceDirectory(file.getParent());
    return builder().createPersistedTo(file.toFile());
  }

  /**
   * The last owner died without closing (kill -9, crash, or the lock file is new): Chronicle's
   * segment locks and counters in the file may be stale, and Chronicle's recovery rewrites the
   * file, dropping every entry it finds damaged. So the recovery runs on a private copy: if it had
   * to drop an entry that no write was changing when the owner died (a corrupt file, not a cut
   * write), the open fails and the file stays as it was; otherwise the recovered copy replaces
   * the file atomically.
   */
  private ChronicleMap<byte[], byte[]> recoverOnACopy() throws IOException {
    Path copy = file.resolveSibling(file.getFileName() + ".recovering.tmp");
    Files.deleteIfExists(copy); // our own leftover: only the lock holder writes it
    try {
      Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
      // An ordinary open first, which checks the header checksum and that the file is not
      // truncated (recovery would silently extend a truncated file with zeros).
      if (ChronicleFiles.headerComplete(copy)) {
        builder().createPersistedTo(copy.toFile()).close();
      }
      LOG.warn("write-through file {} was not closed cleanly (crash or kill); recovering it", file);
      RecoveryReport report = new RecoveryReport();
      builder().recoverPersistedTo(copy.toFile(), false, report::add).close();
      String problem = report.dataLoss();
      if (problem != null) {
        throw new PersistenceException(
            "write-through file " + file + " is corrupt: recovery would drop entries that no write"
                + " was changing when its owner died (" + problem + "); it was left untouched");
      }
      if (!report.losses.isEmpty()) {
        LOG.warn(
            "write-through file {}: dropped {} entr{} that a write was changing when the owner"
                + " died (that write was never acknowledged; the entry's previous value goes with"
                + " it)",
            file, report.losses.size(), report.losses.size() == 1 ? "y" : "ies");
      }
      if (!report.repairs.isEmpty()) {
        LOG.warn("write-through file {}: recovery repaired {}", file, report.repairs);
      }
      ChronicleFiles.forceFile(copy);
      Files.move(copy, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      ChronicleFiles.forceDirectory(file.getParent());
    } finally {
      Files.deleteIfExists(copy);
    }
    return builder().createPersistedTo(file.toFile());
  }

  /**
   * What Chronicle's recovery reported, sorted into repairs of bookkeeping (stale locks, counters)
   * and losses of entries. A kill can cut one write per segment whose update or write lock it
   * held; Chronicle reports such a lock (with its state) before that segment's entries, so a lost
   * entry in a segment that was locked for writing is a cut write (never acknowledged), anywhere
   * else it is corruption.
   */
  private static final class RecoveryReport {
    /** Messages of entries recovery drops (Chronicle's wording, by prefix). */
    private static final List<String> ENTRY_LOSS = List.of(
        "Too many entries", "Entry pos is out of range", "Exception while reading entry",
        "Wrong key size", "Segment index from the entry key", "HashLookup searchKey",
        "Wrong value size", "Checksum doesn't match", "Overlapping entry",
        "Expected segment index", "Entries with duplicate keys", "entries with duplicate key");
    /** Messages of damage to the file's structure, never caused by a cut write. */
    private static final List<String> STRUCTURE = List.of(
        "allocated extra tier bulks counter corrupted", "data store size",
        "segment headers offset");

    private final Set<Integer> lockedSegments = new HashSet<>();
    final List<String> losses = new ArrayList<>();
    private final List<Integer> lossSegments = new ArrayList<>();
    private final List<String> structure = new ArrayList<>();
    final List<String> repairs = new ArrayList<>();

    void add(ChronicleHashCorruption c) {
      // Chronicle reuses the event object: copy what we keep.
      String message = String.valueOf(c.message());
      int segment = c.segmentIndex();
      if (message.startsWith("lock of segment")) {
        // A reader's lock (a miss looking in the file) cuts no write: only update/write locks.
        if (message.contains("update locked = true") || message.contains("write locked = true")) {
          lockedSegments.add(segment);
        }
        repairs.add(message);
      } else if (ENTRY_LOSS.stream().anyMatch(message::startsWith)) {
        losses.add(message);
        lossSegments.add(segment);
      } else if (STRUCTURE.stream().anyMatch(message::startsWith)) {
        structure.add(message);
      } else {
        repairs.add(message);
      }
    }

    /** The first loss that no cut write explains, or null. */
    @Nullable String dataLoss() {
      if (!structure.isEmpty()) {
        return structure.get(0);
      }
      for (int i = 0; i < losses.size(); i++) {
        int segment = lossSegments.get(i);
        boolean cutWrite =
            segment >= 0 ? lockedSegments.contains(segment) : !lockedSegments.isEmpty();
        if (!cutWrite) {
          return firstWords(losses.get(i)) + (segment >= 0 ? " in segment " + segment : "")
              + (losses.size() > 1 ? ", " + losses.size() + " entries in all" : "");
        }
      }
      return null;
    }

    /** Chronicle's message without the stored key and value it quotes. */
    private static String firstWords(String message) {
      if (message.startsWith("Checksum doesn't match")) {
        return "the checksum does not match an entry's content";
      }
      int comma = message.indexOf(',');
      return "Chronicle: " + (comma > 0 ? message.substring(0, comma) : message);
    }
  }

  private void checkHeaderEntry(ChronicleMap<byte[], byte[]> m) {
    try {
      byte[] meta = m.get(META_KEY);
      if (meta == null) {
        if (m.longSize() > 0) {
          throw new PersistenceException(
              "write-through file " + file + " is a Chronicle Map file but not an async-cache"
                  + " write-through file (no async-cache header entry); it was left untouched");
        }
        m.put(META_KEY, ByteBuffer.allocate(MAGIC.length + 4).put(MAGIC).putInt(FORMAT_VERSION).array());
        return;
      }
      if (meta.length != MAGIC.length + 4
          || !Arrays.equals(Arrays.copyOf(meta, MAGIC.length), MAGIC)) {
        throw new PersistenceException(
            "write-through file " + file + " has a corrupt async-cache header entry");
      }
      int version = ByteBuffer.wrap(meta, MAGIC.length, 4).getInt();
      if (version != FORMAT_VERSION) {
        throw new PersistenceException(
            "write-through file " + file + " has format version " + version
                + "; this library reads version " + FORMAT_VERSION);
      }
    } catch (PersistenceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new PersistenceException(
          "write-through file " + file + " is a Chronicle Map file of another kind: " + e, e);
    }
  }

  private record Stored(long order, byte[] key) {}

  /**
   * One pass over the file: verifies every entry's checksum, finds the highest write number, then
   * drops expired entries and keeps at most maxEntries. Nothing is changed if a checksum does not
   * match (after a recovery none can: Chronicle dropped those, and we checked which).
   *
   * @throws PersistenceException naming the file if a checksum does not match
   */
  private void scanAndTrim() {
    long now = System.currentTimeMillis();
    Scan scan = new Scan();
    for (int i = 0; i < map.segments(); i++) {
      int segment = i;
      try (var c = map.segmentContext(i)) {
        c.forEachSegmentEntry(e -> scan.add(segment, e, now));
      }
    }
    if (scan.bad > 0) {
      throw new PersistenceException(
          "write-through file " + file + " is corrupt: the checksum does not match the content of "
              + scan.bad + " entr" + (scan.bad == 1 ? "y" : "ies") + " (first in segment "
              + scan.firstBadSegment + "); it was left untouched");
    }
    order.set(scan.maxOrder);
    scan.expired.forEach(map::remove);
    List<Stored> live = scan.live;
    long excess = live.size() - maxEntries;
    if (excess > 0) {
      live.sort(Comparator.comparingLong(Stored::order));
      for (int i = 0; i < excess; i++) {
        map.remove(live.get(i).key());
      }
    }
    if (!scan.expired.isEmpty() || excess > 0) {
      LOG.info("write-through file {}: dropped {} expired and {} least recently written entries"
          + " (keeps at most maxEntries={})", file, scan.expired.size(), Math.max(0, excess),
          maxEntries);
    }
  }

  /** What {@link #scanAndTrim} gathers. */
  private final class Scan {
    long maxOrder;
    long bad;
    int firstBadSegment = -1;
    final List<Stored> live = new ArrayList<>();
    final List<byte[]> expired = new ArrayList<>();

    void add(int segment, MapEntry<byte[], byte[]> e, long now) {
      if (!((ChecksumEntry) e).checkSum()) {
        if (bad++ == 0) {
          firstBadSegment = segment;
        }
        return;
      }
      if (bad > 0) {
        return; // the open fails anyway: only count
      }
      byte[] k = e.key().getUsing(null);
      if (isMeta(k)) {
        return;
      }
      EntryRecord r = decodeRecord(k, e.value().getUsing(null));
      maxOrder = Math.max(maxOrder, r.order());
      if (r.expiresAtEpochMillis() != PersistedEntry.NEVER && now >= r.expiresAtEpochMillis()) {
        expired.add(k);
      } else {
        live.add(new Stored(r.order(), k));
      }
    }
  }

  // ----- write-through operations -----

  @Override
  public boolean isWriteThrough() {
    return true;
  }

  @Override
  public void put(PersistedEntry<K, V> entry) {
    checkOpen();
    byte[] key = userKey(entry.key());
    byte[] record =
        EntryRecord.encode(
            order.incrementAndGet(), entry.expiresAtEpochMillis(), valueCodec.encode(entry.value()));
    store(entry.key(), key, record);
    changed();
  }

  private void store(Object keyForMessage, byte[] key, byte[] record) {
    long bytes = (long) key.length + record.length;
    if (bytes > maxEntryBytes) {
      throw new PersistenceException(
          "write-through file " + file + " cannot hold key " + keyForMessage + ": its entry takes "
              + bytes + " bytes, and this file takes entries of at most " + maxEntryBytes
              + " bytes (sized for averageValueBytes=" + averageValueBytes + "); raise"
              + " averageValueBytes and use a new file");
    }
    try {
      map.put(key, record);
    } catch (RuntimeException e) {
      throw new PersistenceException(
          "write-through file " + file + " is full: it could not store key " + keyForMessage
              + " (" + bytes + " bytes) beside its " + map.longSize() + " entries; it was sized"
              + " for maxEntries=" + maxEntries + " of about " + averageKeyBytes + "+"
              + averageValueBytes + " bytes (an existing file keeps the sizes it was created with):"
              + " raise them and use a new file. Chronicle said: " + e.getMessage(), e);
    }
  }

  @Override
  public void remove(K key) {
    checkOpen();
    map.remove(userKey(key));
    changed();
  }

  @Override
  public void removeAll() {
    checkOpen();
    List<byte[]> keys = new ArrayList<>();
    for (byte[] k : map.keySet()) {
      if (!isMeta(k)) {
        keys.add(k);
      }
    }
    keys.forEach(map::remove);
    changed();
  }

  @Override
  public @Nullable PersistedEntry<K, V> get(K key) {
    checkOpen();
    byte[] k = userKey(key);
    byte[] record = map.get(k);
    if (record == null) {
      return null;
    }
    return decode(k, record);
  }

  // ----- snapshot operations -----

  /**
   * Makes the file hold exactly {@code entries} (most recently used first, an order kept for the
   * next load) and forces it to disk.
   */
  @Override
  public long save(Iterable<PersistedEntry<K, V>> entries) {
    checkOpen();
    try {
      return saveEntries(entries);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Error e) {
      // e.g. a codec's Error: reported as a failed save, which the cache logs and survives
      throw new PersistenceException("could not save to write-through file " + file + ": " + e, e);
    }
  }

  private long saveEntries(Iterable<PersistedEntry<K, V>> entries) {
    List<PersistedEntry<K, V>> list = new ArrayList<>();
    entries.forEach(list::add);
    long top = order.addAndGet(list.size());
    Set<ByteBuffer> keep = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      PersistedEntry<K, V> e = list.get(i);
      byte[] key = userKey(e.key());
      keep.add(ByteBuffer.wrap(key));
      store(e.key(), key, EntryRecord.encode(top - i, e.expiresAtEpochMillis(), valueCodec.encode(e.value())));
    }
    List<byte[]> stale = new ArrayList<>();
    for (byte[] k : map.keySet()) {
      if (!isMeta(k) && !keep.contains(ByteBuffer.wrap(k))) {
        stale.add(k);
      }
    }
    stale.forEach(map::remove);
    sync();
    return list.size();
  }

  @Override
  public long load(Consumer<? super PersistedEntry<K, V>> sink) {
    checkOpen();
    List<Map.Entry<Long, PersistedEntry<K, V>>> all = new ArrayList<>();
    for (Map.Entry<byte[], byte[]> e : map.entrySet()) {
      if (isMeta(e.getKey())) {
        continue;
      }
      EntryRecord r = decodeRecord(e.getKey(), e.getValue());
      all.add(Map.entry(r.order(), decode(e.getKey(), e.getValue())));
    }
    all.sort(Map.Entry.<Long, PersistedEntry<K, V>>comparingByKey().reversed());
    all.forEach(e -> sink.accept(e.getValue()));
    return all.size();
  }

  // ----- encoding -----

  private byte[] userKey(K key) {
    byte[] k = keyCodec.encode(key);
    byte[] out = new byte[k.length + 1];
    out[0] = USER_TAG;
    System.arraycopy(k, 0, out, 1, k.length);
    return out;
  }

  private static boolean isMeta(byte[] key) {
    return key.length == 0 || key[0] != USER_TAG;
  }

  private EntryRecord decodeRecord(byte[] key, byte[] record) {
    try {
      return EntryRecord.decode(record);
    } catch (IllegalArgumentException e) {
      throw new PersistenceException(
          "write-through file " + file + " holds a corrupt entry (" + e.getMessage() + ")", e);
    }
  }

  private PersistedEntry<K, V> decode(byte[] key, byte[] record) {
    EntryRecord r = decodeRecord(key, record);
    try {
      K k = keyCodec.decode(Arrays.copyOfRange(key, 1, key.length));
      V v = valueCodec.decode(r.value());
      return new PersistedEntry<>(k, v, r.expiresAtEpochMillis());
    } catch (RuntimeException e) {
      throw new PersistenceException(
          "write-through file " + file + ": an entry cannot be decoded (" + e.getMessage()
              + "); was it written with other codecs?", e);
    }
  }

  // ----- lifecycle -----

  private void checkOpen() {
    if (closed.get()) {
      throw new PersistenceException("the write-through backend of " + file + " is closed");
    }
  }

  /** The largest key plus value, in encoded bytes plus 17 bytes of framing, one entry may take. */
  long maxEntryBytes() {
    return maxEntryBytes;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      try {
        if (syncer != null) {
          syncer.shutdown(); // no sync may run on an unmapped file
          if (!syncer.awaitTermination(1, TimeUnit.MINUTES)) {
            throw new IOException("the periodic sync did not stop within a minute");
          }
        }
        sync();
      } finally {
        try {
          channel.close();
        } finally {
          map.close();
        }
      }
      owner.markClean(); // only when everything above succeeded
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PersistenceException("interrupted while closing write-through file " + file, e);
    } catch (IOException | RuntimeException e) {
      throw new PersistenceException("could not close write-through file " + file + ": " + e, e);
    } finally {
      owner.close();
    }
  }

  @Override
  public String toString() {
    return "ChronicleWriteThrough[" + file + "]";
  }
}
