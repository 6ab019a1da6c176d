package dev.asynccache.server;

import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** The server's event loops, given to new connections in turn. Thread-safe. */
final class EventLoops implements AutoCloseable {
  /**
   * How many event loops the server runs (system property {@code asynccache.eventLoops}, default:
   * one per available processor; 0: none, every connection on a thread of its own).
   */
  static final int COUNT =
      Math.max(0, Integer.getInteger("asynccache.eventLoops", Runtime.getRuntime().availableProcessors()));

  private final EventLoop[] loops;
  private final AtomicInteger next = new AtomicInteger();

  EventLoops(int count, Connections clock) {
    loops = new EventLoop[count];
    for (int i = 0; i < count; i++) {
      loops[i] = new EventLoop("async-cache-loop-" + i, clock);
    }
  }

  /** A running loop for a new connection, or null if there is none. */
  @Nullable EventLoop next() {
    for (int tries = 0; tries < loops.length; tries++) {
      EventLoop l = loops[Math.floorMod(next.getAndIncrement(), loops.length)];
      if (!l.isClosed()) {
        return l;
      }
    }
    return null;
  }

  /** What the loops did, summed: see {@link Counts}. */
  Counts counts() {
    Counts sum = new Counts(0, 0, 0);
    for (EventLoop l : loops) {
      sum = sum.plus(l.counts());
    }
    return sum;
  }

  /**
   * @param requests requests served on a loop's thread
   * @param handOffs connections handed to a thread of their own (a request that did not arrive whole)
   * @param outputWaits responses the client did not take at once (the rest was sent when it could)
   */
  record Counts(long requests, long handOffs, long outputWaits) {
    Counts plus(Counts o) {
      return new Counts(requests + o.requests, handOffs + o.handOffs, outputWaits + o.outputWaits);
    }
  }

  @Override
  public void close() {
    for (EventLoop l : loops) {
      l.close();
    }
  }
}
