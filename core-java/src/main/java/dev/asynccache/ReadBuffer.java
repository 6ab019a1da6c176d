package dev.asynccache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * A lossy, striped buffer of read events, the way high-performance caches record recency without
 * a lock on the hit path: a hit appends its node to a small ring chosen by the thread, and the ring
 * is drained into the LRU order by whoever holds the store's lock. When a ring is full, or another
 * thread wins the race for a slot, the event is dropped: recency is then approximate, which is the
 * accepted trade (an evicted entry is at worst one that was read very recently by another thread).
 * The drain is the store's maintenance: on its maintenance executor by default (the reader drops
 * events until it has run), on the reader's thread with a same-thread executor (then a single
 * thread never loses an event: a full ring is drained before it records more).
 *
 * <p>{@link #offer} is lock-free and allocation-free; {@link #drainTo} must run under one lock.
 */
final class ReadBuffer<E> {
  static final int RING_SIZE = 32;
  /** The most events other threads may have pending for a write to drain them (and its own). */
  static final int QUIET_OTHERS = RING_SIZE / 2;
  private static final int RING_MASK = RING_SIZE - 1;

  // The results of offer(). Every offer is counted exactly once: in a ring's write count when
  // recorded, by the caller otherwise; the sum is the number of reads (the cache's hit count).

  /** Recorded. */
  static final int RECORDED = 0;

  /** Recorded, and the ring is now full: have the buffer drained. */
  static final int RECORDED_FULL = 1;

  /** Not recorded: the ring is full (have it drained, unless that is already under way). */
  static final int DROPPED_FULL = 2;

  /** Not recorded: another thread took the slot. */
  static final int DROPPED = 3;

  private final Ring<E>[] rings;
  private final int ringMask;

  @SuppressWarnings("unchecked")
  ReadBuffer() {
    int stripes = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors()) * 4 - 1) << 1;
    stripes = Math.min(64, Math.max(4, stripes));
    rings = (Ring<E>[]) new Ring<?>[stripes];
    for (int i = 0; i < stripes; i++) {
      rings[i] = new Ring<>();
    }
    ringMask = stripes - 1;
  }

  /**
   * Records a read of {@code e}: one compare-and-set on the thread's ring, no other shared write.
   * The caller has the buffer drained when told the ring is full (on its own thread or on the
   * maintenance executor); a thread that drains whenever told so never loses an event.
   *
   * @return one of the constants above
   */
  int offer(E e) {
    // Threads started together have consecutive ids: the low bits put them on different rings.
    Ring<E> ring = rings[(int) Thread.currentThread().threadId() & ringMask];
    return ring.offer(e);
  }

  /** Returns how many events were ever recorded (a racy sum, exact when the buffer is quiet). */
  long recordedCount() {
    long sum = 0;
    for (Ring<E> ring : rings) {
      sum += ring.writeCount;
    }
    return sum;
  }

  /** Passes every recorded event to {@code consumer}, in the order each thread recorded them. */
  void drainTo(Consumer<E> consumer) {
    for (Ring<E> ring : rings) {
      ring.drainTo(consumer, Integer.MAX_VALUE);
    }
  }

  /**
   * The drain of a write: every event, when the other threads have few pending (at most {@link
   * #QUIET_OTHERS}), so that one thread's writes always see its reads and a few reads of another
   * thread are not lost on a quiet cache; nothing otherwise. Under many readers the drain is the
   * background drain's work: a write must not do the maintenance of every reader under the store's
   * lock (with two threads reading flat out, draining on every insert kept the lock busy).
   *
   * @return whether it drained
   */
  boolean drainForWrite(Consumer<E> consumer) {
    Ring<E> mine = rings[(int) Thread.currentThread().threadId() & ringMask];
    long others = 0;
    for (Ring<E> ring : rings) {
      if (ring != mine) {
        others += ring.writeCount - ring.readCount;
        if (others > QUIET_OTHERS) {
          return false;
        }
      }
    }
    drainTo(consumer);
    return true;
  }

  /** Left padding, so a ring's counters do not share a cache line with its neighbour. */
  abstract static class PadBefore {
    long p00, p01, p02, p03, p04, p05, p06, p07;
  }

  /** The ring's counters. */
  abstract static class Counters extends PadBefore {
    volatile long readCount;
    volatile long writeCount;
  }

  /** One ring. */
  static final class Ring<E> extends Counters {
    private static final VarHandle WRITE_COUNT;
    private static final VarHandle READ_COUNT;

    static {
      try {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        WRITE_COUNT = lookup.findVarHandle(Counters.class, "writeCount", long.class);
        READ_COUNT = lookup.findVarHandle(Counters.class, "readCount", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    long q00, q01, q02, q03, q04, q05, q06, q07;
    private final AtomicReferenceArray<E> slots = new AtomicReferenceArray<>(RING_SIZE);

    int offer(E e) {
      long head = (long) READ_COUNT.getAcquire(this);
      long tail = (long) WRITE_COUNT.getOpaque(this);
      long size = tail - head;
      if (size >= RING_SIZE) {
        return DROPPED_FULL;
      }
      if (!WRITE_COUNT.compareAndSet(this, tail, tail + 1)) {
        return DROPPED;
      }
      slots.setRelease((int) (tail & RING_MASK), e);
      return size + 1 >= RING_SIZE ? RECORDED_FULL : RECORDED;
    }

    /** Drains at most {@code limit} events; returns how many. */
    int drainTo(Consumer<E> consumer, int limit) {
      long start = readCount;
      long head = start;
      long tail = (long) WRITE_COUNT.getAcquire(this);
      if (tail - head > limit) {
        tail = head + limit;
      }
      try {
        while (head != tail) {
          int index = (int) (head & RING_MASK);
          E e = slots.getAcquire(index);
          if (e == null) {
            break; // the writer claimed the slot but has not stored into it yet
          }
          slots.setRelease(index, null);
          head++;
          consumer.accept(e);
        }
      } finally {
        // Even if the consumer threw (a StackOverflowError in deeply nested loads): a slot already
        // emptied must not stay below the read count, or the ring would stop draining for good.
        if (head != readCount) {
          READ_COUNT.setRelease(this, head); // no write (and no cache-line steal) for an idle ring
        }
      }
      return (int) (head - start);
    }
  }
}
