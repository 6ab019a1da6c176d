package dev.asynccache.redis;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Consecutive-failure circuit breaker: CLOSED lets every call through; {@code threshold}
 * consecutive failures open it; after {@code openNanos} one caller is let through as a probe
 * (HALF_OPEN), whose outcome closes or reopens it. A probe that never reports is replaced after
 * another {@code openNanos}. Thread-safe, lock-free.
 */
final class CircuitBreaker {
  private final int threshold;
  private final long openNanos;
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicReference<BreakerState> state = new AtomicReference<>(BreakerState.CLOSED);
  private volatile long since = System.nanoTime();

  CircuitBreaker(int threshold, long openNanos) {
    this.threshold = threshold;
    this.openNanos = openNanos;
  }

  /** Tells whether a call may go to Redis now; may make this caller the probe. */
  boolean allowRequest() {
    BreakerState s = state.get();
    if (s == BreakerState.CLOSED) {
      return true;
    }
    long now = System.nanoTime();
    if (now - since < openNanos) {
      return false;
    }
    // OPEN long enough, or a HALF_OPEN probe that has not reported for openNanos: probe again.
    if (state.compareAndSet(s, BreakerState.HALF_OPEN)) {
      since = now;
      return true;
    }
    return false;
  }

  void onSuccess() {
    if (failures.get() != 0) {
      failures.set(0);
    }
    if (state.get() != BreakerState.CLOSED) {
      state.set(BreakerState.CLOSED);
    }
  }

  void onFailure() {
    int n = failures.incrementAndGet();
    BreakerState s = state.get();
    if (s == BreakerState.HALF_OPEN || (s == BreakerState.CLOSED && n >= threshold)) {
      if (state.compareAndSet(s, BreakerState.OPEN)) {
        since = System.nanoTime();
      }
    }
  }

  BreakerState state() {
    return state.get();
  }
}
