package dev.asynccache.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Small helpers for concurrency tests. */
public final class Concurrency {
  private Concurrency() {}

  /** Waits (polling) until {@code condition} holds; fails after 30 s so that a bug cannot hang CI. */
  public static void awaitTrue(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting until " + what);
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what, e);
      }
    }
  }
}
