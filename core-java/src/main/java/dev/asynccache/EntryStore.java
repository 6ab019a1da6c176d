package dev.asynccache;

import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bounded map under a cache: a {@link ConcurrentHashMap} for lookups, a {@link Policy} that
 * chooses what to evict (adaptive W-TinyLFU by default, or exact LRU), an {@link ExpiryQueue} for
 * TTLs and a {@link ReadBuffer} for recency.
 *
 * <p>Reads are lock-free: a map lookup, an expiry check (only for entries that can expire, against
 * the {@link CoarseClock} on the system time source) and a buffered recency record; the policy
 * learns of reads (and counts frequencies) only when the buffer is drained. A rewrite that keeps
 * the entry's weight and "never expires", or moves a live entry's expiry later, changes the node in
 * place without the lock (see {@link Node#retired} for how it stays linearizable with the rest).
 * Every other structural change takes one {@link ReentrantLock}, first applies the buffered reads
 * when the maintenance runs on the caller's thread (unless other threads have many pending), and
 * evicts before it publishes: no reader ever sees more than {@code maxSize} entries, or more than
 * the maximum weight with a weigher. A write-through backend sees each change inside the same lock, before memory
 * does, so that the file and the memory never disagree on the order of writes to a key.
 */
final class EntryStore<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(EntryStore.class);

  /** The pause after a maintenance task on the maintenance executor before another may start. */
  private static final java.time.Duration MAINTENANCE_PAUSE =
      java.time.Duration.ofMillis(1);

  /** How many expired entries one read-triggered maintenance pass removes at most. */
  private static final int EXPIRE_BATCH = 64;

  private final ConcurrentHashMap<K, Node<K, V>> map = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final ReadBuffer<Node<K, V>> readBuffer = new ReadBuffer<>();
  private final LongAdder droppedReads = new LongAdder();
  private final LongAdder inPlaceWrites = new LongAdder();
  /** The expiring entries with a per-entry TTL, a weight or a refresh age, by expiry. */
  private final ExpiryQueue<K, V> expiryQueue = new ExpiryQueue<>();
  /** The expiring entries written with the cache's default TTL, in expiry (write) order. */
  private final ExpiryOrder<K, V> expiryOrder = new ExpiryOrder<>();
  /** The cache's default TTL in nanoseconds, -1 for none. */
  private final long defaultTtlNanos;
  /** The bound: entries, or total weight with a weigher. */
  private final long maximum;
  private final @Nullable Weigher<? super K, ? super V> weigher;
  private final TimeSource time;
  /**
   * The clock of the hits' expiry check: {@link CoarseClock#SYSTEM} on the system time source (a
   * field read instead of a clock call), else {@code null} and the time source is read.
   */
  private final @Nullable CoarseClock hitClock;
  private final @Nullable PersistenceBackend<K, V> writeThrough;

  private final Policy<K, V> order;
  /** Runs the maintenance (the cache's virtual threads, or the builder's executor). */
  private final Executor maintenance;
  private final Runnable backgroundDrain = this::runMaintenance;
  /**
   * Whether a maintenance task is pending or running; written under the lock, read without it by
   * every read that finds its ring full.
   */
  private volatile boolean drainScheduled;
  /**
   * Whether the maintenance executor ran the last task before handing back (a same-thread
   * executor); guarded by the lock. While it does, a write applies the pending reads first (one
   * thread's writes see its reads: exact order for tests and trace replays); once a task proves
   * the executor asynchronous, writes leave the reads to the maintenance and hold the lock
   * shorter.
   */
  private boolean maintenanceInline = true;
  private final Consumer<Node<K, V>> recordUse;
  /**
   * Told of every write of a key by the cache's user ({@code null}: every key), after the map
   * changed and before the lock is released: the cache overtakes the key's in-flight load there.
   */
  private final Consumer<@Nullable K> onWrite;
  /** The cache's refresh age in nanoseconds, -1 for none. */
  private final long refreshNanos;
  /** How long an expired entry is kept to be served if its reload fails; 0 for not at all. */
  private final long staleGraceNanos;

  /**
   * @param maximum the bound: entries without a weigher, total weight with one ({@code
   *     Long.MAX_VALUE}: unbounded)
   * @param policy which entries to evict when full
   * @param weigher the weight of each entry, or {@code null} for a weight of 1
   * @param defaultTtlNanos the cache's default TTL ({@code -1}: none): entries written with it
   *     are kept in write order, others in a heap
   */
  EntryStore(
      long maximum,
      EvictionPolicy policy,
      @Nullable Weigher<? super K, ? super V> weigher,
      TimeSource time,
      @Nullable PersistenceBackend<K, V> writeThrough,
      Executor maintenance,
      Consumer<@Nullable K> onWrite,
      long defaultTtlNanos,
      long refreshNanos,
      long staleGraceNanos) {
    this.onWrite = onWrite;
    this.defaultTtlNanos = defaultTtlNanos;
    this.refreshNanos = refreshNanos;
    this.staleGraceNanos = staleGraceNanos;
    this.maintenance = maintenance;
    this.maximum = maximum;
    this.weigher = weigher;
    this.order = Policy.create(policy, maximum, weigher != null);
    this.recordUse = order::recordAccess;
    this.time = time;
    this.hitClock = time == TimeSource.system() ? CoarseClock.SYSTEM : null;
    this.writeThrough = writeThrough;
  }

  /**
   * Returns the live node of {@code key} and records the read, or {@code null} when absent or
   * expired (an expired node is removed). The hot path. On the system time source the expiry is
   * checked against the {@link CoarseClock}: an entry may be served up to its staleness (about a
   * millisecond) after it expired, never before.
   */
  @Nullable Node<K, V> getLive(K key) {
    Node<K, V> node = find(key);
    if (node == null) {
      return null;
    }
    long expiresAt;
    if (node instanceof ExpiringNode<K, V> e && (expiresAt = e.expiresAt) != Node.NO_EXPIRY) {
      CoarseClock clock = hitClock;
      long now = clock != null ? clock.read() : time.nanoTime();
      if (now - expiresAt >= 0) {
        if (staleGraceNanos == 0 || now - expiresAt >= staleGraceNanos) {
          removeExpired(node);
        }
        return null;
      }
    }
    recordUse(node);
    return node;
  }

  /**
   * {@code map.get(key)}, with a {@code String} key passed as one. {@code ConcurrentHashMap.get}
   * calls {@code key.hashCode()} and {@code key.equals(..)}, and the JIT inlines those calls only
   * as far as the profile of that one JDK method, shared by every map in the JVM, shows a single
   * key class. In a JVM whose other maps (its frameworks', its clients') use other key classes,
   * every lookup then makes two virtual calls. Passed as a {@code String}, a final class, the key's
   * class is known where the lookup is compiled into the hit path, and both calls are inlined
   * whatever the other maps do. Other key classes take the plain call.
   */
  private @Nullable Node<K, V> find(K key) {
    if (key instanceof String s) {
      return map.get(s);
    }
    return map.get(key);
  }

  /**
   * Returns the node of {@code key} if it has expired within the stale-if-error grace period (a
   * value that may still be served when its reload fails), else {@code null}.
   */
  @Nullable Node<K, V> peekStale(K key) {
    if (staleGraceNanos == 0) {
      return null;
    }
    Node<K, V> node = map.get(key);
    if (node == null || node.expiresAt() == Node.NO_EXPIRY) {
      return null;
    }
    long now = time.nanoTime();
    return node.isExpiredAt(now) && now - node.expiresAt() < staleGraceNanos ? node : null;
  }

  /**
   * Buffers a use of {@code node} for the policy; counts it as a read (a hit). When the thread's
   * ring is full, the maintenance is handed to the executor (see {@link #scheduleDrain}).
   */
  private void recordUse(Node<K, V> node) {
    int recorded = readBuffer.offer(node);
    if (recorded == ReadBuffer.RECORDED) {
      return;
    }
    if (recorded != ReadBuffer.RECORDED_FULL) {
      droppedReads.increment();
      if (recorded == ReadBuffer.DROPPED) {
        return;
      }
    }
    if (!drainScheduled) {
      scheduleDrain();
    }
  }

  /**
   * Returns how many reads {@link #getLive} answered with a live node: the reads recorded in the
   * buffer plus those it dropped, less the in-place writes (recorded as uses too). This is the
   * cache's hit count, kept without a counter of its own
   * so that a hit costs one atomic operation, not two.
   */
  long liveReads() {
    return readBuffer.recordedCount() + droppedReads.sum() - inPlaceWrites.sum();
  }

  /** How many writes changed a value in place, without replacing its node (for tests). */
  long inPlaceWrites() {
    return inPlaceWrites.sum();
  }

  /** How many reads the buffer dropped (for tests). */
  long droppedReads() {
    return droppedReads.sum();
  }

  /** Returns the node of {@code key} if live, without recording a read. */
  @Nullable Node<K, V> peekLive(K key) {
    Node<K, V> node = map.get(key);
    if (node == null || (node.expiresAt() != Node.NO_EXPIRY && node.isExpiredAt(time.nanoTime()))) {
      return null;
    }
    return node;
  }

  /**
   * Stores a value. {@code ttlNanos} is the time to live, {@code -1} for none; zero stores nothing
   * but still replaces (removes) the old value. If {@code load} is given and has been invalidated
   * (a write or delete overtook it), nothing is stored. {@code echo} says whether a write-through
   * backend must get the value too ({@code false} for a value just read from that backend).
   *
   * @return whether the value was stored (it may have been evicted at once, if the policy
   *     judged it less valuable than every entry already held)
   * @throws dev.asynccache.persistence.PersistenceException if the write-through backend failed;
   *     memory is then unchanged
   * @throws IllegalArgumentException if the entry's weight exceeds the maximum weight, or the
   *     weigher returned a negative weight; nothing changes
   */
  boolean put(K key, V value, long ttlNanos, @Nullable InFlightLoad<K, V> load, boolean echo) {
    return put(key, value, ttlNanos, refreshNanos, load, echo);
  }

  /**
   * As {@link #put(Object, Object, long, InFlightLoad, boolean)}, with the entry's refresh age in
   * nanoseconds ({@code -1}: none).
   */
  boolean put(
      K key, V value, long ttlNanos, long refreshNanos, @Nullable InFlightLoad<K, V> load, boolean echo) {
    int weight = weigh(key, value);
    // An update that keeps the entry's weight (always, without a weigher) changes no total, so
    // it may write the value in place; the node's weight never changes, so the check holds.
    if (ttlNanos > 0 && refreshNanos < 0 && load == null && writeThrough == null
        && writeInPlaceWithTtl(key, value, weight, ttlNanos)) {
      return true;
    }
    if (ttlNanos < 0 && refreshNanos < 0 && load == null && writeThrough == null) {
      // An update that keeps "never expires" changes no structure: write the value in place, and
      // record the write as a use, without the lock. (A concurrent eviction or replacement of the
      // node linearizes after this write.)
      Node<K, V> current = map.get(key);
      if (current != null
          && !(current instanceof ExpiringNode)
          && current.weight() == weight
          && !current.retired) {
        current.value = value;
        // Pairs with update(): retired is written before that method's last read of the value,
        // so either it sees this write or this read sees it retired (then: redo under the lock).
        if (!current.retired) {
          inPlaceWrites.increment();
          recordUse(current);
          onWrite.accept(key);
          return true;
        }
      }
    }
    lock.lock();
    try {
      if (load != null && load.isInvalidated()) {
        return false;
      }
      if (maintenanceInline && !readBuffer.drainForWrite(recordUse)) {
        scheduleDrain();
      }
      // The clock is read only when something can expire (it is not free on every machine).
      long now = ttlNanos > 0 || refreshNanos >= 0 || expiringCount() > 0 ? time.nanoTime() : 0;
      long expiresAt = expiryOf(now, ttlNanos);
      if (ttlNanos == 0) {
        if (echo && writeThrough != null) {
          writeThrough.remove(key);
        }
        Node<K, V> old = map.remove(key);
        if (old != null) {
          old.retired = true;
          unlink(old);
        }
        if (load == null) {
          onWrite.accept(key);
        }
        return false;
      }
      if (echo && writeThrough != null) {
        writeThrough.put(new PersistedEntry<>(key, value, toEpochMillis(expiresAt, now)));
      }
      if (expiringCount() > 0) {
        expireUpTo(now, Integer.MAX_VALUE);
      }
      Node<K, V> node =
          newNode(key, value, expiresAt, weight, refreshNanos, now, ttlNanos == defaultTtlNanos);
      Node<K, V> old = map.get(key);
      if (old != null) {
        unlinkExpiry(old);
        order.replace(old, node);
      } else {
        order.add(node);
      }
      // Evict before publishing, so that no reader ever sees more than the maximum. The policy
      // may choose the new entry itself: it is then never published, and the old one goes too.
      evictToFit();
      if (old != null) {
        old.retired = true;
      }
      if (!order.contains(node)) {
        if (old != null) {
          map.remove(key, old);
        }
      } else {
        map.put(key, node);
        linkExpiry(node);
      }
      if (load == null) {
        onWrite.accept(key);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The write of a live expiring entry that moves its expiry later (the usual rewrite of a key
   * with the cache's default TTL): the value and the expiry change in place, under the node's
   * monitor and without the store's lock, and the write is recorded as a use. The expiry order
   * (or heap) keeps the node's old position; it re-sorts the node when it reaches it (see {@link
   * ExpiryOrder}, {@link ExpiryQueue}).
   *
   * @return {@code false} if the write must replace the node under the lock instead (absent,
   *     expired, retired, refreshable, never expiring, of another weight, or an earlier expiry)
   */
  private boolean writeInPlaceWithTtl(K key, V value, int weight, long ttlNanos) {
    if (!(map.get(key) instanceof ExpiringNode<K, V> current)
        || current.expiresAt == Node.NO_EXPIRY
        || current.weight() != weight
        || current.retired
        || current instanceof RefreshableNode) {
      return false;
    }
    long now = time.nanoTime();
    long expiresAt = expiryOf(now, ttlNanos);
    synchronized (current) {
      long old = current.expiresAt;
      if (expiresAt == Node.NO_EXPIRY || expiresAt - old < 0 || current.isExpiredAt(now)) {
        return false;
      }
      current.value = value; // first: a reader that sees the new expiry sees this value
      current.expiresAt = expiresAt;
      if (!(current instanceof TimedNode)) {
        current.expiryMoved = true; // after the expiry: the pass that clears it reads the new one
      }
    }
    // As for the in-place write without TTL: retired is set (under the lock) before a node leaves
    // the map, before a conditional write's last read of its value, and before the expiry pass
    // re-reads the expiry of a node it is about to remove; a write that finds it set afterwards
    // is redone under the lock, so that it never lands unseen in a node on its way out.
    if (current.retired) {
      return false;
    }
    inPlaceWrites.increment();
    recordUse(current);
    onWrite.accept(key);
    return true;
  }

  /** When a conditional write ({@link #update}) applies. */
  enum Condition {
    ALWAYS,
    IF_ABSENT,
    IF_PRESENT,
    IF_EQUALS
  }

  /** What a conditional write found (the live value before it) and whether it applied. */
  record Swap<V>(@Nullable V previous, boolean applied) {}

  /**
   * Atomically: reads the live value of {@code key}, and if {@code condition} holds for it (and
   * {@code expected}), writes {@code replacement} with {@code ttlNanos} or, when {@code
   * replacement} is {@code null}, removes the key. Linearizable with every other write, the
   * lock-free in-place ones included (see {@link Node#retired}).
   *
   * @throws dev.asynccache.persistence.PersistenceException if the write-through backend failed;
   *     memory is then unchanged
   * @throws IllegalArgumentException if the replacement's weight exceeds the maximum weight
   */
  Swap<V> update(
      K key, Condition condition, @Nullable Object expected, @Nullable V replacement, long ttlNanos) {
    if (replacement != null) {
      weigh(key, replacement); // refuse an entry heavier than the bound before anything changes
    }
    lock.lock();
    try {
      Node<K, V> current = map.get(key);
      boolean live = current != null && !current.isExpiredAt(time.nanoTime());
      V previous = live ? current.value : null;
      if (!holds(condition, previous, expected)) {
        return new Swap<>(previous, false);
      }
      if (live) {
        current.retired = true;
        V last = current.value; // no in-place write can land unseen after this read
        if (last != previous) {
          previous = last;
          if (!holds(condition, previous, expected)) {
            return new Swap<>(previous, false); // (the retired node is replaced by the next write)
          }
        }
      }
      if (replacement == null) {
        remove(key);
      } else {
        put(key, replacement, ttlNanos, null, true);
      }
      return new Swap<>(previous, true);
    } finally {
      lock.unlock();
    }
  }

  private static boolean holds(Condition condition, @Nullable Object previous, @Nullable Object expected) {
    return switch (condition) {
      case ALWAYS -> true;
      case IF_ABSENT -> previous == null;
      case IF_PRESENT -> previous != null;
      case IF_EQUALS -> previous != null && previous.equals(expected);
    };
  }

  /** The nodes in the map, live or expired, in no order; weakly consistent. */
  java.util.Iterator<Node<K, V>> nodes() {
    return map.values().iterator();
  }

  /** Removes {@code key}; returns whether a live entry was removed. */
  boolean remove(K key) {
    lock.lock();
    try {
      if (writeThrough != null) {
        writeThrough.remove(key);
      }
      Node<K, V> node = map.remove(key);
      onWrite.accept(key);
      if (node == null) {
        return false;
      }
      node.retired = true;
      unlink(node);
      // The read buffer may still hold the node (a recent read): drain it, so that a removed
      // value, however large, is not kept reachable until the next write.
      drainReadBuffer();
      return !node.isExpiredAt(time.nanoTime());
    } finally {
      lock.unlock();
    }
  }

  void clear() {
    lock.lock();
    try {
      if (writeThrough != null) {
        writeThrough.removeAll();
      }
      drainReadBuffer();
      for (Node<K, V> node : map.values()) {
        node.retired = true;
      }
      map.clear();
      order.clear();
      expiryQueue.clear();
      expiryOrder.clear();
      onWrite.accept(null);
    } finally {
      lock.unlock();
    }
  }

  /** Applies pending reads and removes every expired entry. */
  void cleanUp() {
    lock.lock();
    try {
      drainReadBuffer();
      expireUpTo(time.nanoTime(), Integer.MAX_VALUE);
    } finally {
      lock.unlock();
    }
  }

  long size() {
    return map.mappingCount();
  }

  /**
   * The total weight of the entries; without a weigher, {@code size} (the caller's reading of
   * {@link #size()}, so that a snapshot's two figures agree).
   */
  long weightedSize(long size) {
    return weigher == null ? size : weightedSize();
  }

  /** The total weight of the entries (their number without a weigher). */
  long weightedSize() {
    lock.lock();
    try {
      return order.weightedSize();
    } finally {
      lock.unlock();
    }
  }

  long evictions() {
    return order.evictions;
  }

  long expirations() {
    return order.expirations;
  }

  /** Returns the live entries, most recently used first, with wall-clock expiry. */
  List<PersistedEntry<K, V>> snapshot() {
    lock.lock();
    try {
      drainReadBuffer();
      long now = time.nanoTime();
      long nowMillis = System.currentTimeMillis(); // one reading for all: no drift along the save
      List<PersistedEntry<K, V>> entries = new ArrayList<>(map.size());
      order.forEachHottestFirst(n -> {
        if (!n.isExpiredAt(now)) {
          entries.add(new PersistedEntry<>(n.key, n.value, toEpochMillis(n.expiresAt(), now, nowMillis)));
        }
      });
      return entries;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Restores entries given most valuable first: skips expired ones and keys already held, and
   * stops at the first that does not fit in the bound; does not echo them to a write-through
   * backend.
   *
   * @return the number restored
   */
  long restore(List<PersistedEntry<K, V>> mostRecentFirst) {
    lock.lock();
    try {
      long nowNanos = time.nanoTime();
      long nowMillis = System.currentTimeMillis();
      List<Node<K, V>> keep = new ArrayList<>();
      long room = maximum - order.weightedSize();
      for (PersistedEntry<K, V> e : mostRecentFirst) {
        if (e.isExpiredAt(nowMillis) || map.containsKey(e.key())) {
          continue;
        }
        int weight = weigh(e.key(), e.value());
        if (weight > room) {
          break;
        }
        room -= weight;
        keep.add(
            newNode(e.key(), e.value(), toNanos(e, nowNanos, nowMillis), weight, refreshNanos, nowNanos,
                false));
      }
      // Insert the least valuable first, so that the most valuable end up most recent.
      for (int i = keep.size() - 1; i >= 0; i--) {
        Node<K, V> node = keep.get(i);
        if (map.putIfAbsent(node.key, node) == null) {
          link(node);
        }
      }
      return keep.size();
    } finally {
      lock.unlock();
    }
  }

  /** Converts a persisted wall-clock expiry to this store's clock. */
  long toNanos(PersistedEntry<K, V> e, long nowNanos, long nowMillis) {
    if (e.expiresAtEpochMillis() == PersistedEntry.NEVER) {
      return Node.NO_EXPIRY;
    }
    long remainingMillis = Math.max(0, e.expiresAtEpochMillis() - nowMillis);
    long remainingNanos =
        remainingMillis > Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : remainingMillis * 1_000_000L;
    return expiryOf(nowNanos, remainingNanos);
  }

  // ----- internals -----

  static long expiryOf(long now, long ttlNanos) {
    if (ttlNanos < 0) {
      return Node.NO_EXPIRY;
    }
    long at = now + ttlNanos;
    return ((now ^ at) & (ttlNanos ^ at)) < 0 || at == Node.NO_EXPIRY ? Node.NO_EXPIRY : at;
  }

  private static long toEpochMillis(long expiresAt, long now) {
    if (expiresAt == Node.NO_EXPIRY) {
      return PersistedEntry.NEVER;
    }
    return System.currentTimeMillis() + Math.max(0, (expiresAt - now) / 1_000_000L);
  }

  private static long toEpochMillis(long expiresAt, long now, long nowMillis) {
    return expiresAt == Node.NO_EXPIRY
        ? PersistedEntry.NEVER
        : nowMillis + Math.max(0, (expiresAt - now) / 1_000_000L);
  }

  private void removeExpired(Node<K, V> node) {
    lock.lock();
    try {
      if (map.get(node.key) == node && retireIfStillExpired(node, time.nanoTime() - staleGraceNanos)) {
        map.remove(node.key, node);
        unlink(node);
        order.countExpiration();
        removeFromBackend(node.key);
        drainReadBuffer(); // do not keep the expired value reachable from the buffer
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Hands the maintenance (the buffered reads, a batch of expired entries) to the maintenance
   * executor, unless a task is already pending or the lock is held (a writer, or the maintenance
   * itself: the next read that finds its ring full asks again). At most one task is pending. The
   * task is handed over under the lock, so that a same-thread executor runs it at once (the lock
   * is reentrant) and another executor's task waits for this thread to let go; if the executor
   * refuses it (a closed cache), the maintenance runs here.
   */
  private void scheduleDrain() {
    if (lock.isLocked() && !lock.isHeldByCurrentThread()) {
      return; // a plain read first: while another thread holds the lock, readers do not queue
    }
    if (!lock.tryLock()) {
      return;
    }
    try {
      if (drainScheduled) {
        return;
      }
      drainScheduled = true;
      try {
        maintenance.execute(backgroundDrain);
        // The task needs the lock this thread holds: it is done already only if it ran here.
        maintenanceInline = !drainScheduled;
      } catch (RuntimeException closedOrRejected) {
        drainScheduled = false;
        maintainAfterReads();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The maintenance task: runs under the lock, then lets the next one be scheduled; on another
   * thread than the reader's, only after {@link #MAINTENANCE_PAUSE}, so that a busy reader wakes
   * the maintenance thread at most once per pause, not once per full ring (reads that find their
   * ring full meanwhile are dropped, as while any drain is pending).
   */
  private void runMaintenance() {
    boolean pause = false;
    lock.lock();
    try {
      maintainAfterReads();
      pause = !maintenanceInline;
    } finally {
      if (!pause) {
        drainScheduled = false;
      }
      lock.unlock();
    }
    if (pause) {
      try {
        Thread.sleep(MAINTENANCE_PAUSE);
      } catch (InterruptedException closing) {
        Thread.currentThread().interrupt();
      } finally {
        drainScheduled = false;
      }
    }
  }

  /** Under the lock: applies the buffered reads and removes a bounded batch of expired entries. */
  private void maintainAfterReads() {
    drainReadBuffer();
    if (expiringCount() > 0) {
      expireUpTo(time.nanoTime(), EXPIRE_BATCH);
    }
  }

  /**
   * A node, refreshable when it has a refresh age: due after that age less a random 0-10 %, so
   * that the replicas of a fleet that loaded a key together do not reload it in lockstep.
   */
  private static <K, V> Node<K, V> newNode(
      K key, V value, long expiresAt, int weight, long refreshNanos, long now, boolean defaultTtl) {
    if (refreshNanos < 0) {
      return Node.of(key, value, expiresAt, weight, defaultTtl);
    }
    long jitter = refreshNanos >= 10 ? ThreadLocalRandom.current().nextLong(refreshNanos / 10 + 1) : 0;
    return new RefreshableNode<>(key, value, expiresAt, weight, expiryOf(now, refreshNanos - jitter));
  }

  private void drainReadBuffer() {
    readBuffer.drainTo(recordUse);
  }

  /** How many entries are in the expiry order and heap. */
  private int expiringCount() {
    return expiryOrder.size() + expiryQueue.size();
  }

  private void expireUpTo(long now, int limit) {
    long horizon = now - staleGraceNanos;
    for (int i = 0; i < limit; i++) {
      ExpiringNode<K, V> first = expiryOrder.peek();
      if (first == null) {
        break;
      }
      if (retireIfStillExpired(first, horizon)) {
        evict(first, true);
      } else if (first.expiryMoved) {
        expiryOrder.reposition(first); // an in-place write moved its expiry later
      } else {
        break; // nothing after it has expired (see ExpiryOrder)
      }
    }
    for (int i = 0; i < limit; i++) {
      TimedNode<K, V> first = expiryQueue.peek();
      if (first == null || horizon - expiryQueue.peekKey() < 0) {
        return;
      }
      if (retireIfStillExpired(first, horizon)) {
        evict(first, true);
      } else {
        expiryQueue.rekeyHead(first.expiresAt); // an in-place write moved its expiry later
      }
    }
  }

  /**
   * Under the lock: if {@code node} is expired at {@code horizon}, marks it retired and returns
   * {@code true}, unless an in-place write moved its expiry later meanwhile. The expiry is read
   * again after retiring, so that an in-place write racing the removal either sees the node
   * retired (and redoes itself under the lock) or is seen here (and the node stays, retired: its
   * next write replaces it).
   */
  private static boolean retireIfStillExpired(Node<?, ?> node, long horizon) {
    if (!node.isExpiredAt(horizon)) {
      return false;
    }
    node.retired = true;
    return node.isExpiredAt(horizon);
  }

  /** Under the lock: evicts what the policy chooses until the entries fit in the bound. */
  private void evictToFit() {
    while (order.weightedSize() > maximum) {
      Node<K, V> victim = order.selectVictim();
      if (victim == null) {
        return;
      }
      evict(victim, false);
    }
  }

  /** The weight of an entry: 1 without a weigher. */
  private int weigh(K key, V value) {
    if (weigher == null) {
      return 1;
    }
    int weight = weigher.weigh(key, value);
    if (weight < 0) {
      throw new IllegalArgumentException(
          "the weigher returned a negative weight (" + weight + ") for key " + key);
    }
    if (weight > maximum) {
      throw new IllegalArgumentException(
          "the entry of key " + key + " weighs " + weight + ", more than maximumWeight "
              + maximum + ": it can never fit in this cache, so it was refused");
    }
    return weight;
  }

  /** Under the lock: removes a node the policy chose, from memory and the write-through file. */
  private void evict(Node<K, V> node, boolean expired) {
    map.remove(node.key, node);
    node.retired = true;
    unlink(node);
    if (expired) {
      order.countExpiration();
    } else {
      order.countEviction();
    }
    removeFromBackend(node.key);
  }

  private void removeFromBackend(K key) {
    if (writeThrough != null) {
      try {
        writeThrough.remove(key);
      } catch (RuntimeException e) {
        LOG.warn("write-through backend could not remove an evicted or expired key; it stays on"
            + " disk until overwritten", e);
      }
    }
  }

  private void link(Node<K, V> node) {
    order.add(node);
    linkExpiry(node);
  }

  private void unlink(Node<K, V> node) {
    if (order.contains(node)) {
      order.remove(node);
      unlinkExpiry(node);
    }
  }

  /** Puts an expiring node in the expiry order (default TTL) or the heap (any other). */
  private void linkExpiry(Node<K, V> node) {
    if (node instanceof TimedNode<K, V> t) {
      if (t.expiresAt != Node.NO_EXPIRY) {
        expiryQueue.add(t);
      }
    } else if (node instanceof ExpiringNode<K, V> e) {
      expiryOrder.add(e);
    }
  }

  private void unlinkExpiry(Node<K, V> node) {
    if (node instanceof TimedNode<K, V> t) {
      expiryQueue.remove(t);
    } else if (node instanceof ExpiringNode<K, V> e) {
      expiryOrder.remove(e);
    }
  }
}
