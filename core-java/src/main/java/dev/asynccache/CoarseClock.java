package dev.asynccache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A clock that hits of expiring entries can read for the price of a field read: a daemon thread
 * copies the exact {@link TimeSource} into {@link #read()}'s field every {@link #TICK_NANOS}, so
 * that a hit does not pay for a call to the exact clock ({@code System.nanoTime()} costs as much
 * as a whole cache hit on some virtual machines).
 *
 * <p><b>Staleness.</b> A reading is never ahead of the exact clock, so an entry is never treated as
 * expired early. It may lag behind by one tick (1 ms) plus however late the operating system runs
 * the clock thread; an entry can therefore be served up to that long after its expiry (about 1 ms
 * on an idle machine, a few milliseconds on a loaded one). Only the expiry check of hits uses this
 * clock: writes, loads, maintenance and every other check read the exact one.
 *
 * <p><b>Idle.</b> The thread runs only while readers use it: every {@link #PROBE_TICKS} ticks it
 * raises a flag that the next reader clears (one write per period, not per read); if nobody
 * cleared it for a whole period the thread parks, and the next reader reads the exact clock itself
 * and wakes it. So an unused cache costs no wake-ups.
 *
 * <p>Thread-safe. One instance serves every cache on {@link TimeSource#system()}; a cache on
 * another time source (a test's manual clock) reads that source on every hit instead, so tests
 * stay deterministic.
 */
final class CoarseClock {
  /** The period of the clock thread. */
  static final long TICK_NANOS = 1_000_000L;

  /** Ticks between two checks for readers (about a second). */
  static final int PROBE_TICKS = 1024;

  /** The clock thread ticks; readers read {@link #now}. */
  static final int RUNNING = 0;

  /** The clock thread asked whether anyone still reads; the next reader answers. */
  static final int PROBING = 1;

  /** The clock thread parked (nobody read for a probe period); the next reader wakes it. */
  static final int PARKED = 2;

  /** A reader is waking the clock thread; others read the exact clock meanwhile. */
  static final int WAKING = 3;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(CoarseClock.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The shared clock over {@link TimeSource#system()}, its thread started on first use. */
  static final CoarseClock SYSTEM = new CoarseClock(TimeSource.system(), true);

  private final TimeSource source;
  private final boolean ownThread;
  private volatile long now;
  private volatile int state;
  private volatile Thread thread;
  /** Set if the clock thread could not be started: readers then read the exact clock. */
  private volatile boolean noThread;
  private int ticks;

  /**
   * @param source the exact clock
   * @param ownThread whether to run a clock thread ({@code false}: the caller calls {@link #tick}
   *     by hand, in tests)
   */
  CoarseClock(TimeSource source, boolean ownThread) {
    this.source = source;
    this.ownThread = ownThread;
    this.now = source.nanoTime();
    this.state = PARKED; // the thread starts with the first reader
  }

  /** Returns the time, at most one tick (and the clock thread's scheduling delay) behind. */
  long read() {
    int s = state;
    if (s == RUNNING) {
      return now;
    }
    return readSlow(s);
  }

  private long readSlow(int s) {
    if (s == PROBING) {
      STATE.compareAndSet(this, PROBING, RUNNING); // someone still reads: keep ticking
      return now;
    }
    long exact = source.nanoTime();
    if (s == PARKED && !noThread && STATE.compareAndSet(this, PARKED, WAKING)) {
      if (exact - now > 0) {
        now = exact;
      }
      // RUNNING before the wake-up: a clock thread that wakes and still saw WAKING would park
      // again with the permit spent, and readers would trust a clock nobody advances. If the
      // thread cannot be started, the clock parks again: every hit then reads the exact clock.
      state = RUNNING;
      if (!wake()) {
        state = PARKED;
      }
    }
    return exact;
  }

  /** Starts or unparks the clock thread; {@code false} if it could not be started. */
  private boolean wake() {
    if (!ownThread) {
      return true;
    }
    Thread t = thread;
    if (t == null) {
      synchronized (this) {
        t = thread;
        if (t == null) {
          try {
            t = Thread.ofPlatform().daemon().name("async-cache-clock").unstarted(this::run);
            t.start();
          } catch (RuntimeException | OutOfMemoryError cannotStart) {
            noThread = true;
            return false;
          }
          thread = t;
          return true;
        }
      }
    }
    LockSupport.unpark(t);
    return true;
  }

  private void run() {
    for (; ; ) {
      LockSupport.parkNanos(this, TICK_NANOS);
      if (!tick()) {
        while (state == PARKED || state == WAKING) {
          LockSupport.park(this); // until a reader wakes us (a stray wake-up just loops)
        }
      }
    }
  }

  /**
   * One step of the clock thread: copies the exact time and, once per probe period, checks for
   * readers.
   *
   * @return {@code false} if nobody read during the last probe period and the clock is now parked
   */
  boolean tick() {
    long exact = source.nanoTime();
    if (exact - now > 0) {
      now = exact;
    }
    if (++ticks < PROBE_TICKS) {
      return true;
    }
    ticks = 0;
    if (STATE.compareAndSet(this, PROBING, PARKED)) {
      return false;
    }
    STATE.compareAndSet(this, RUNNING, PROBING);
    return true;
  }

  /** The state, for tests. */
  int state() {
    return state;
  }
}
