package dev.asynccache.server;

import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The filter every request passes: counts the requests in flight and the responses by status, and
 * once {@link #drain} has begun turns new requests away with 503 so that a stop can wait for the
 * ones already running. Thread-safe.
 */
final class RequestGate implements Filter {
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Map<Integer, LongAdder> responses = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();
  private volatile boolean draining;

  @Override
  public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
    // Count first, then look at the flag: drain() sets the flag, then reads the count, so either
    // it sees this request or this request sees the flag.
    inFlight.incrementAndGet();
    try {
      if (draining) {
        res.status(Status.SERVICE_UNAVAILABLE_503)
            .header(HeaderValues.CONNECTION_CLOSE)
            .header(HeaderValues.CONTENT_TYPE_JSON)
            .send(Json.error("server is shutting down"));
      } else {
        chain.proceed();
      }
    } finally {
      responses.computeIfAbsent(res.status().code(), code -> new LongAdder()).increment();
      if (inFlight.decrementAndGet() == 0 && draining) {
        signalIdle();
      }
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

  /** Responses sent so far by status code, in code order. */
  SortedMap<Integer, Long> responsesByStatus() {
    SortedMap<Integer, Long> copy = new TreeMap<>();
    responses.forEach((code, count) -> copy.put(code, count.sum()));
    return copy;
  }
}
