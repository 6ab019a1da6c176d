package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.testing.ManualTimeSource;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The coarse clock of the hits' expiry check, ticked by hand (no thread, no sleeping). */
class CoarseClockTest {

  @Test
  void lagsTheExactClockByAtMostTheTimeSinceTheLastTickAndNeverLeadsIt() {
    ManualTimeSource exact = new ManualTimeSource();
    CoarseClock clock = new CoarseClock(exact, false);
    long start = exact.nanoTime();
    assertEquals(start, clock.read(), "the first reading is exact (it wakes the clock)");
    exact.advance(Duration.ofMillis(5));
    assertEquals(start, clock.read(), "between ticks the reading stays put");
    clock.tick();
    assertEquals(start + TimeUnit.MILLISECONDS.toNanos(5), clock.read());
    exact.advance(Duration.ofNanos(1));
    assertTrue(clock.read() <= exact.nanoTime());
  }

  @Test
  void parksAfterAProbePeriodWithoutReadersAndTheNextReaderReadsTheExactClock() {
    ManualTimeSource exact = new ManualTimeSource();
    CoarseClock clock = new CoarseClock(exact, false);
    clock.read();
    assertEquals(CoarseClock.RUNNING, clock.state());
    for (int i = 0; i < CoarseClock.PROBE_TICKS - 1; i++) {
      assertTrue(clock.tick());
    }
    assertTrue(clock.tick(), "the first probe only asks");
    assertEquals(CoarseClock.PROBING, clock.state());
    clock.read(); // a reader answers: keep ticking
    assertEquals(CoarseClock.RUNNING, clock.state());
    for (int i = 0; i < CoarseClock.PROBE_TICKS; i++) {
      assertTrue(clock.tick());
    }
    assertEquals(CoarseClock.PROBING, clock.state());
    boolean ticking = true;
    for (int i = 0; i < CoarseClock.PROBE_TICKS && ticking; i++) {
      ticking = clock.tick();
    }
    assertFalse(ticking, "nobody read for a whole period: the clock parks");
    assertEquals(CoarseClock.PARKED, clock.state());
    exact.advance(Duration.ofHours(1));
    assertEquals(exact.nanoTime(), clock.read(), "a parked clock is not trusted: exact reading");
    assertEquals(CoarseClock.RUNNING, clock.state());
    assertEquals(exact.nanoTime(), clock.read(), "and the woken clock starts from it");
  }

  @Test
  void theSystemClockThreadAdvancesTheSharedClock() throws InterruptedException {
    long before = CoarseClock.SYSTEM.read();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    // Waits for the clock thread (not for a TTL): on a loaded machine it may start late.
    while (CoarseClock.SYSTEM.read() == before && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    long after = CoarseClock.SYSTEM.read();
    assertTrue(after > before, "the clock thread never ticked");
    assertTrue(after <= System.nanoTime(), "the coarse clock ran ahead of the exact one");
  }

  @Test
  void theCoarseSystemTimeSourceIsTheSharedClockNeverAheadOfTheSystemClock() {
    TimeSource coarse = TimeSource.coarseSystem();
    assertTrue(coarse == TimeSource.coarseSystem(), "one shared instance");
    for (int i = 0; i < 100_000; i++) {
      long read = coarse.nanoTime();
      assertTrue(read <= System.nanoTime(), "ahead of the system clock");
    }
    long shared = CoarseClock.SYSTEM.read();
    assertTrue(coarse.nanoTime() >= shared, "not the shared clock, or it went backwards");
  }
}
