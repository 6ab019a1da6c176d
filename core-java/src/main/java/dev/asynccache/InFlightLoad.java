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

  /**
   * Expiries the loader chose for the value it will complete with ({@link LoadExpiry}), newest
   * first; {@code null} while none was chosen. Written under {@code this}.
   */
  private volatile @Nullable ChosenExpiry chosen;

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

  /** What {@link #chosenTtlOf} answers when no expiry was chosen for the value. */
  static final long NOT_CHOSEN = -2;

  /** Whether its loader chose an expiry (for any value). */
  boolean hasChosenExpiry() {
    return chosen != null;
  }

  /**
   * Records that an entry of exactly {@code value} from this load lives {@code ttlNanos} ({@code
   * -1}: forever) from clock reading {@code chosenAt}.
   */
  synchronized void chooseExpiry(Object value, long ttlNanos, long chosenAt) {
    chosen = new ChosenExpiry(value, ttlNanos, chosenAt, chosen);
  }

  /**
   * The time to live left at clock reading {@code now} ({@code -1}: forever; at least 0) of the
   * expiry chosen for {@code value}, matched by identity (the shortest if several were), or {@link
   * #NOT_CHOSEN}: a choice made for another value (by the loader of a load this one overtook,
   * say) never applies.
   */
  long chosenTtlOf(Object value, long now) {
    long ttl = NOT_CHOSEN;
    for (ChosenExpiry c = chosen; c != null; c = c.next) {
      if (c.value != value) {
        continue;
      }
      long left = c.ttlNanos < 0 ? -1 : Math.max(0, c.ttlNanos - (now - c.chosenAt));
      if (ttl == NOT_CHOSEN || ttl == -1 || (left >= 0 && left < ttl)) {
        ttl = left;
      }
    }
    return ttl;
  }

  /** One expiry chosen by a loader: the value it is for, its time to live and when it began. */
  private record ChosenExpiry(
      Object value, long ttlNanos, long chosenAt, @Nullable ChosenExpiry next) {}

  @Override
  public String toString() {
    return "load of key " + key;
  }
}
