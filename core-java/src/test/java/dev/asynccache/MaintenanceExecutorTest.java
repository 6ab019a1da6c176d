package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Where the policy maintenance runs: on the maintenance executor, never on a reader's thread by
 * default (a hit only records itself in the read buffer), on the reader's thread with a
 * same-thread executor; the hit count stays exact whatever reads the buffer dropped.
 */
class MaintenanceExecutorTest {

  /** An executor that keeps the tasks it is given, to run them when the test says. */
  private static final class HeldExecutor implements Executor {
    final List<Runnable> tasks = new ArrayList<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    synchronized List<Runnable> take() {
      List<Runnable> taken = new ArrayList<>(tasks);
      tasks.clear();
      return taken;
    }
  }

  @Test
  void aReaderHandsTheMaintenanceToTheExecutorAndDropsReadsUntilItRuns() {
    HeldExecutor executor = new HeldExecutor();
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().maxSize(100).maintenanceExecutor(executor).build()) {
      for (int k = 0; k < 10; k++) {
        cache.set(k, k);
      }
      executor.take(); // whatever the writes scheduled
      for (int i = 0; i < 10_000; i++) {
        assertNotNull(cache.getIfPresent(i % 10));
      }
      List<Runnable> tasks = executor.take();
      assertEquals(1, tasks.size(), "one pending maintenance task at a time, however many reads");
      assertEquals(10_000, cache.metrics().hitCount(), "dropped reads still count as hits");
      tasks.get(0).run();
      for (int i = 0; i < 10_000; i++) {
        assertNotNull(cache.getIfPresent(i % 10));
      }
      assertEquals(1, executor.take().size(), "once it ran, the next full buffer schedules again");
      assertEquals(20_000, cache.metrics().hitCount());
    }
  }

  @Test
  void theDefaultMaintenanceOfTheAdaptivePolicyRunsOnACacheThread() throws Exception {
    AtomicInteger onReader = new AtomicInteger();
    CountDownLatch ranElsewhere = new CountDownLatch(1);
    Thread reader = Thread.currentThread();
    Executor watching =
        task -> {
          Thread.ofVirtual()
              .start(
                  () -> {
                    if (Thread.currentThread() == reader) {
                      onReader.incrementAndGet();
                    }
                    task.run();
                    ranElsewhere.countDown();
                  });
        };
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().maxSize(100).maintenanceExecutor(watching).build()) {
      cache.set(1, 1);
      for (int i = 0; i < 1_000; i++) {
        cache.getIfPresent(1);
      }
      assertTrue(ranElsewhere.await(30, TimeUnit.SECONDS), "the maintenance ran");
      assertEquals(0, onReader.get());
      assertEquals(1_000, cache.metrics().hitCount());
    }
    // The default executor: reads on one thread, then close() stops the cache's threads.
    try (AsyncCache<Integer, Integer> cache = AsyncCache.builder().maxSize(100).build()) {
      for (int k = 0; k < 200; k++) {
        cache.set(k, k);
      }
      long hits = 0;
      for (int i = 0; i < 100_000; i++) {
        if (cache.getIfPresent(i % 200) != null) {
          hits++;
        }
      }
      assertTrue(cache.size() <= 100);
      assertEquals(hits, cache.metrics().hitCount());
    }
  }

  @Test
  void aSameThreadExecutorRecordsEveryReadOfOneThread() {
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().maxSize(100).maintenanceExecutor(Runnable::run).build()) {
      for (int k = 0; k < 10; k++) {
        cache.set(k, k);
      }
      for (int i = 0; i < 10_000; i++) {
        cache.getIfPresent(i % 10);
      }
      DefaultAsyncCache<Integer, Integer> impl = (DefaultAsyncCache<Integer, Integer>) cache;
      assertEquals(0, impl.droppedReadsForTest(), "a same-thread executor drops no read of one thread");
      assertEquals(10_000, cache.metrics().hitCount());
    }
  }

  @Test
  void anExecutorThatRefusesLeavesTheMaintenanceToTheReader() {
    AtomicInteger refused = new AtomicInteger();
    Executor refusing =
        task -> {
          refused.incrementAndGet();
          throw new java.util.concurrent.RejectedExecutionException("full");
        };
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder().maxSize(100).maintenanceExecutor(refusing).build()) {
      for (int k = 0; k < 10; k++) {
        cache.set(k, k);
      }
      for (int i = 0; i < 10_000; i++) {
        assertNotNull(cache.getIfPresent(i % 10));
      }
      assertTrue(refused.get() > 0);
      assertEquals(10_000, cache.metrics().hitCount());
      DefaultAsyncCache<Integer, Integer> impl = (DefaultAsyncCache<Integer, Integer>) cache;
      assertEquals(0, impl.droppedReadsForTest(), "the reader drained when the executor refused");
    }
  }

  @Test
  void theExecutorIsSetOnceAndNotNull() {
    AsyncCacheBuilder builder = AsyncCache.builder().maintenanceExecutor(Runnable::run);
    assertThrows(IllegalStateException.class, () -> builder.maintenanceExecutor(Runnable::run));
    assertThrows(NullPointerException.class, () -> AsyncCache.builder().maintenanceExecutor(null));
  }
}
