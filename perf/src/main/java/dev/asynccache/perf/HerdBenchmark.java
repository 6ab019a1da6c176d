package dev.asynccache.perf;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark 4, the thundering herd: {@value #CALLERS} virtual threads ask for one cold key at the
 * same moment; the loader takes {@value #LOAD_MILLIS} ms. The score is the time from their release
 * until all of them hold the value (threads are started and parked before the clock starts). After
 * every repetition the loader must have run exactly once and every caller must hold the right
 * value, or the benchmark fails; {@code loaderCalls} reports the calls per repetition.
 *
 * <p>{@code java -jar perf/target/benchmarks.jar HerdBenchmark -f 2}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 40)
@Fork(2)
public class HerdBenchmark {
  static final int CALLERS = 1000;
  static final long LOAD_MILLIS = 10;

  @Param public HerdContender contender;

  HerdContender.Getter cache;
  final AtomicInteger calls = new AtomicInteger();
  final Function<Integer, Integer> loader =
      key -> {
        calls.incrementAndGet();
        sleep(Duration.ofMillis(LOAD_MILLIS));
        return key + 1;
      };
  int nextKey = 1_000_000;
  CountDownLatch start;
  CountDownLatch done;
  final AtomicInteger served = new AtomicInteger();
  final AtomicReference<Throwable> failure = new AtomicReference<>();

  /** The loader calls of each repetition, reported beside the time. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Counters {
    public long loaderCalls;
  }

  @Setup(Level.Trial)
  public void setUpTrial() {
    cache = contender.create(HitLatencyBenchmark.SIZE);
  }

  @TearDown(Level.Trial)
  public void tearDownTrial() {
    cache.close();
  }

  @Setup(Level.Invocation)
  public void setUp() throws InterruptedException {
    Integer key = nextKey++;
    Integer expected = key + 1;
    calls.set(0);
    served.set(0);
    start = new CountDownLatch(1);
    done = new CountDownLatch(CALLERS);
    CountDownLatch parked = new CountDownLatch(CALLERS);
    for (int i = 0; i < CALLERS; i++) {
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  parked.countDown();
                  start.await();
                  Integer value = cache.get(key, loader);
                  if (expected.equals(value)) {
                    served.incrementAndGet();
                  } else {
                    failure.compareAndSet(null, new AssertionError("got " + value + " for " + key));
                  }
                } catch (Throwable t) {
                  failure.compareAndSet(null, t);
                } finally {
                  done.countDown();
                }
              });
    }
    parked.await();
  }

  @Benchmark
  public void herd(Counters counters) throws InterruptedException {
    start.countDown();
    done.await();
    counters.loaderCalls += calls.get();
  }

  @TearDown(Level.Invocation)
  public void check() {
    Throwable t = failure.get();
    if (t != null) {
      throw new IllegalStateException(contender + ": a caller failed", t);
    }
    if (served.get() != CALLERS) {
      throw new IllegalStateException(contender + ": " + served + " of " + CALLERS + " served");
    }
    if (calls.get() != 1) {
      throw new IllegalStateException(
          contender + " ran the loader " + calls + " times for " + CALLERS + " callers of one key");
    }
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading", e);
    }
  }
}
