package dev.asynccache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * One load of one key, shared by every caller that misses the key while it runs (single-flight).
 *
 * <p>A load is settled exactly once, by whichever comes first: its loader's result, its timeout,
 * or the cache closing. Callers join it while it is open; a load whose runner was interrupted is
 * either handed to a new runner (if callers wait) or sealed so that nobody joins it any more.
 */
final class InFlightLoad<K, V> {
  private static final VarHandle WAITERS;
  private static final VarHandle SETTLED;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      WAITERS = lookup.findVarHandle(InFlightLoad.class, "waiters", int.class);
      SETTLED = lookup.findVarHandle(InFlightLoad.class, "settled", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final K key;
  /** The time to live of the loaded value in nanoseconds, -1 for none. */
  final long ttlNanos;
  /** The loads the creating thread was running when it created this one (for recursion checks). */
  final @Nullable LoadFrame origin;

  final CompletableFuture<@Nullable V> future = new CompletableFuture<>();

  /** Callers waiting besides the runner; -1 once sealed. */
  @SuppressWarnings("unused")
  private volatile int waiters;

  @SuppressWarnings("unused")
  private volatile boolean settled;

  private volatile boolean invalidated;
  /** The thread that created (registered) the load. */
  final Thread registrant = Thread.currentThread();
  /**
   * Set once the registrant has handed the load to other threads (a cache thread, a batch, an
   * async loader's stage); until then only the registrant can run or settle it. Read only by the
   * registrant.
   */
  boolean handedOff;
  volatile @Nullable Thread runner;
  volatile @Nullable Future<?> timeoutTask;
  /** The stage of an {@link AsyncLoader}, cancelled when the load is abandoned. */
  volatile @Nullable Future<?> asyncWork;

  /** The refresh age of the loaded entry in nanoseconds, -1 for none. */
  final long refreshNanos;
  /** For a background reload ahead of expiry: the entry it refreshes; else {@code null}. */
  final @Nullable RefreshableNode<K, V> refreshOf;

  InFlightLoad(K key, long ttlNanos, long refreshNanos, @Nullable LoadFrame origin) {
    this(key, ttlNanos, refreshNanos, origin, null);
  }

  InFlightLoad(
      K key,
      long ttlNanos,
      long refreshNanos,
      @Nullable LoadFrame origin,
      @Nullable RefreshableNode<K, V> refreshOf) {
    this.key = key;
    this.ttlNanos = ttlNanos;
    this.refreshNanos = refreshNanos;
    this.origin = origin;
    this.refreshOf = refreshOf;
  }

  /** Joins the load as a waiter; {@code false} if it was sealed (the caller must look again). */
  boolean tryJoin() {
    for (; ; ) {
      int w = waiters;
      if (w < 0) {
        return false;
      }
      if (WAITERS.compareAndSet(this, w, w + 1)) {
        return true;
      }
    }
  }

  /** A waiter stops waiting (interrupted). */
  void leave() {
    for (; ; ) {
      int w = waiters;
      if (w <= 0 || WAITERS.compareAndSet(this, w, w - 1)) {
        return;
      }
    }
  }

  /** Seals the load if no caller waits for it; {@code true} if sealed. */
  boolean sealIfUnwaited() {
    return WAITERS.compareAndSet(this, 0, -1);
  }

  /** Claims the right to settle the load; {@code true} exactly once. */
  boolean trySettle() {
    if (!SETTLED.compareAndSet(this, false, true)) {
      return false;
    }
    Future<?> t = timeoutTask;
    if (t != null) {
      t.cancel(false);
    }
    return true;
  }

  /**
   * Stops the work of a load that was settled without its result (timeout, close): cancels an
   * async loader's stage. A thread running a loader is interrupted by the caller, who knows it.
   */
  void abandonAsyncWork() {
    Future<?> work = asyncWork;
    if (work != null) {
      work.cancel(true);
    }
  }

  boolean isSettled() {
    return settled;
  }

  /** Keeps the load's result out of the cache: a write or delete of the key overtook it. */
  void invalidate() {
    invalidated = true;
  }

  boolean isInvalidated() {
    return invalidated;
  }

  @Override
  public String toString() {
    return "load of key " + key;
  }
}
