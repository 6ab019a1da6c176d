package dev.asynccache.server;

import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The gate every request passes once its head is read: counts the requests in flight and the
 * responses by status, and once {@link #drain} has begun turns new requests away (the connection
 * answers 503) so that a stop can wait for the ones already running. Thread-safe.
 */
final class RequestGate {
  private final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder[] responses = new LongAdder[600];
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();
  private volatile boolean draining;

  RequestGate() {
    for (int i = 0; i < responses.length; i++) {
      responses[i] = new LongAdder();
    }
  }

  /**
   * Counts a request in; every call must be paired with {@link #exit}.
   *
   * @return {@code false} if the server is draining: answer 503 and close
   */
  boolean enter() {
    // Count first, then look at the flag: drain() sets the flag, then reads the count, so either
    // it sees this request or this request sees the flag.
    inFlight.incrementAndGet();
    return !draining;
  }

  /** Counts a request out, with the status it was answered (0: none, the connection failed). */
  void exit(int status) {
    if (status > 0 && status < responses.length) {
      responses[status].increment();
    }
    if (inFlight.decrementAndGet() == 0 && draining) {
      signalIdle();
    }
  }

  /** Counts a response to a request that never entered (a malformed head). */
  void count(int status) {
    if (status > 0 && status < responses.length) {
      responses[status].increment();
    }
  }

  /**
   * Turns new requests away from now on and waits until the requests in flight have finished, at
   * most {@code timeoutNanos}.
   *
   * @return {@code true} if none is left in flight
   */
  boolean drain(long timeoutNanos) throws InterruptedException {
    draining = true;
    lock.lock();
    try {
      long left = timeoutNanos;
      while (inFlight.get() > 0) {
        if (left <= 0) {
          return false;
        }
        left = idle.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void signalIdle() {
    lock.lock();
    try {
      idle.signalAll();
    } finally {
      lock.unlock();
    }
  }

  boolean isDraining() {
    return draining;
  }

  /** Requests being handled now (a draining server counts the ones it is turning away, briefly). */
  int inFlight() {
    return inFlight.get();
  }

  /** Responses sent so far with {@code status}. */
  long responses(int status) {
    return status > 0 && status < responses.length ? responses[status].sum() : 0;
  }

  /** Responses sent so far by status code, in code order. */
  SortedMap<Integer, Long> responsesByStatus() {
    SortedMap<Integer, Long> copy = new TreeMap<>();
    for (int code = 0; code < responses.length; code++) {
      long n = responses[code].sum();
      if (n > 0) {
        copy.put(code, n);
      }
    }
    return copy;
  }
}
