package dev.asynccache.server;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The open connections and the one thread that enforces their time limits: every
 * {@link #TICK_MILLIS} ms it reads the clock once and interrupts the connections whose current
 * phase (idle between requests, reading a head, reading a body, writing a response) has outlived
 * its limit. Interrupting a thread blocked on a socket channel closes the channel, so a slow or
 * silent client cannot hold a connection past its limit, however it paces its bytes. The
 * connections read the coarse clock ({@link #now()}) instead of calling {@link System#nanoTime}
 * per request. Thread-safe.
 */
final class Connections implements AutoCloseable {
  static final long TICK_MILLIS = 200;

  private final Set<HttpConnection> open = ConcurrentHashMap.newKeySet();
  private final Thread reaper;
  private volatile long now = System.nanoTime();
  private volatile boolean closed;

  Connections() {
    reaper = Thread.ofPlatform().daemon().name("async-cache-deadlines").unstarted(this::run);
    reaper.start();
  }

  /** The coarse clock: {@link System#nanoTime()} as of the last tick (at most 200 ms old). */
  long now() {
    return now;
  }

  void add(HttpConnection c) {
    open.add(c);
  }

  void remove(HttpConnection c) {
    open.remove(c);
  }

  /** Connections open now. */
  int count() {
    return open.size();
  }

  private void run() {
    while (!closed) {
      try {
        TimeUnit.MILLISECONDS.sleep(TICK_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      long t = System.nanoTime();
      now = t;
      for (HttpConnection c : open) {
        c.expireIfLate(t);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    reaper.interrupt();
  }
}
