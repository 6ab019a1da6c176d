package dev.asynccache.testing;

import dev.asynccache.TimeSource;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when a test says so. Shared with other modules through the test-jar. */
public final class ManualTimeSource implements TimeSource {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  /** Moves the clock forward. */
  public void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }
}
