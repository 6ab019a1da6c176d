package dev.asynccache.perf;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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
 * Benchmark 5, batching: {@code callers} virtual threads each ask at the same moment for a
 * different key that no cache holds; the {@link Backend} charges 1 ms per call, whatever the number
 * of keys. The score is the time from their release until all of them hold their value;
 * {@code backendCalls} reports the backend calls per repetition (N one by one; with the batch
 * loader at least N / 100, the default {@code maxBatchSize}). Every caller must get the right value
 * or the benchmark fails.
 *
 * <p>{@code java -jar perf/target/benchmarks.jar BatchBenchmark -f 2}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 30)
@Fork(2)
public class BatchBenchmark {
  @Param({"10", "100", "1000"})
  public int callers;

  @Param public BatchContender contender;

  final Backend backend = new Backend();
  BatchContender.Caller cache;
  int nextKey = 1_000_000;
  CountDownLatch start;
  CountDownLatch done;
  final AtomicInteger served = new AtomicInteger();
  final AtomicReference<Throwable> failure = new AtomicReference<>();

  /** The backend calls of each repetition, reported beside the time. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Counters {
    public long backendCalls;
  }

  @Setup(Level.Trial)
  public void setUpTrial() {
    // Large enough that no key of the run is evicted: every get of a repetition is a true miss.
    cache = contender.create(1 << 20, backend);
  }

  @TearDown(Level.Trial)
  public void tearDownTrial() {
    cache.close();
  }

  @Setup(Level.Invocation)
  public void setUp() throws InterruptedException {
    backend.reset();
    served.set(0);
    start = new CountDownLatch(1);
    done = new CountDownLatch(callers);
    CountDownLatch parked = new CountDownLatch(callers);
    for (int i = 0; i < callers; i++) {
      Integer key = nextKey++;
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  parked.countDown();
                  start.await();
                  Integer value = cache.get(key);
                  if (value != null && value == key + 1) {
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
  public void concurrentGets(Counters counters) throws InterruptedException {
    start.countDown();
    done.await();
    counters.backendCalls += backend.calls();
  }

  @TearDown(Level.Invocation)
  public void check() {
    Throwable t = failure.get();
    if (t != null) {
      throw new IllegalStateException(contender + ": a caller failed", t);
    }
    if (served.get() != callers) {
      throw new IllegalStateException(contender + ": " + served + " of " + callers + " served");
    }
    int calls = backend.calls();
    int least = contender == BatchContender.ASYNC_CACHE_BATCHED ? (callers + 99) / 100 : callers;
    if (calls < least || calls > callers) {
      throw new IllegalStateException(
          contender + " made " + calls + " backend calls for " + callers + " keys");
    }
  }
}
