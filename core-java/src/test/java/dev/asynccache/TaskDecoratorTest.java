package dev.asynccache;

import static dev.asynccache.testing.Concurrency.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.testing.ManualTimeSource;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The caller's context (SLF4J MDC, an OpenTelemetry context) follows every task the cache runs on
 * the caller's behalf, and stays out of the tasks that come after. The MDC is logback's (a test
 * dependency), a plain thread-local as in services: nothing reaches a cache thread unless the
 * decorator carries it.
 */
class TaskDecoratorTest {
  private static final Duration LONG = Duration.ofMinutes(1);

  /** What a loader saw: the MDC map (empty for none) and whether it ran on the test's thread. */
  private record Seen(Map<String, String> mdc, Thread thread) {}

  private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();

  private Seen look() {
    Map<String, String> mdc = MDC.getCopyOfContextMap();
    Seen s = new Seen(mdc == null ? Map.of() : mdc, Thread.currentThread());
    seen.add(s);
    return s;
  }

  /** A loader that records what it saw and then pollutes its thread's MDC, as careless code does. */
  private Loader<String> recording(String value) {
    return () -> {
      look();
      MDC.put("polluted", "by " + value);
      return value;
    };
  }

  private static void request(String id) {
    MDC.clear();
    MDC.put("request", id);
  }

  private static AsyncCacheBuilder withMdc() {
    return AsyncCache.builder().taskDecorator(TaskDecorator.mdc());
  }

  @AfterEach
  void clearCallerMdc() {
    MDC.clear();
  }

  /** After the decorated work: a caller without MDC starts a task; it must see none at all. */
  private void assertNextTaskIsClean(AsyncCache<String, String> cache) throws Exception {
    MDC.clear();
    seen.clear();
    cache.getAsync("next-" + System.nanoTime(), recording("next")).get(30, TimeUnit.SECONDS);
    Seen next = seen.remove();
    assertEquals(Map.of(), next.mdc(), "no MDC leaks into the cache's next task");
    assertNotSame(Thread.currentThread(), next.thread());
  }

  private Seen only() {
    assertEquals(1, seen.size(), "loader calls: " + seen);
    return seen.peek();
  }

  // ----- each kind of task -----

  @Test
  void getAsyncLoadSeesTheCallersMdc() throws Exception {
    try (AsyncCache<String, String> cache = withMdc().build()) {
      request("r-1");
      assertEquals("v", cache.getAsync("k", recording("v")).get(30, TimeUnit.SECONDS));
      assertEquals(Map.of("request", "r-1"), only().mdc());
      assertNotSame(Thread.currentThread(), only().thread(), "getAsync loads on a cache thread");
      assertEquals(Map.of("request", "r-1"), MDC.getCopyOfContextMap(), "the caller's MDC is untouched");
      assertNextTaskIsClean(cache);
    }
  }

  @Test
  void aJoinerDoesNotChangeTheContextOfTheLoadItJoins() throws Exception {
    try (AsyncCache<String, String> cache = withMdc().build()) {
      CountDownLatch release = new CountDownLatch(1);
      AtomicInteger calls = new AtomicInteger();
      Loader<String> gated = () -> {
        calls.incrementAndGet();
        release.await();
        look();
        return "v";
      };
      request("r-1");
      CompletableFuture<String> first = cache.getAsync("k", gated);
      request("r-2");
      CompletableFuture<String> second = cache.getAsync("k", gated);
      release.countDown();
      assertEquals("v", first.get(30, TimeUnit.SECONDS));
      assertEquals("v", second.get(30, TimeUnit.SECONDS));
      assertEquals(1, calls.get());
      assertEquals(Map.of("request", "r-1"), only().mdc());
    }
  }

  @Test
  void aTimedLoadRunsOnACacheThreadWithTheCallersMdc() throws Exception {
    try (AsyncCache<String, String> cache = withMdc().loadTimeout(LONG).build()) {
      request("r-timed");
      assertEquals("v", cache.get("k", recording("v")));
      assertEquals(Map.of("request", "r-timed"), only().mdc());
      assertNotSame(Thread.currentThread(), only().thread(), "a timed load runs on a cache thread");
      assertNextTaskIsClean(cache);
    }
  }

  @Test
  void aBatchSeesTheMdcOfTheCallThatOpenedIt() throws Exception {
    try (AsyncCache<String, String> cache = withMdc().batchWindow(LONG).maxBatchSize(2).build()) {
      Batcher<String, String> batcher =
          cache.batcher(
              keys -> {
                look();
                MDC.put("polluted", "by the batch");
                Map<String, String> values = new HashMap<>();
                keys.forEach(k -> values.put(k, k.toUpperCase()));
                return values;
              });
      request("r-opener");
      CompletableFuture<String> a = batcher.getAsync("a"); // opens the batch (a long window)
      request("r-second");
      CompletableFuture<String> b = batcher.getAsync("b"); // fills it: dispatched now
      assertEquals("A", a.get(30, TimeUnit.SECONDS));
      assertEquals("B", b.get(30, TimeUnit.SECONDS));
      assertEquals(Map.of("request", "r-opener"), only().mdc());
      assertNotSame(Thread.currentThread(), only().thread());
      assertNextTaskIsClean(cache);
    }
  }

  @Test
  void aBatchClosedByItsWindowSeesTheOpenersMdc() throws Exception {
    // The window closes on the cache's timer thread: the context must come from the opener.
    try (AsyncCache<String, String> cache = withMdc().batchWindow(Duration.ofMillis(1)).build()) {
      request("r-window");
      String v =
          cache.get(
              "k",
              (BatchLoader<String, String>)
                  keys -> {
                    look();
                    return Map.of("k", "v");
                  });
      assertEquals("v", v);
      assertEquals(Map.of("request", "r-window"), only().mdc());
      assertNextTaskIsClean(cache);
    }
  }

  @Test
  void getAllBatchesSeeTheCallersMdcAndAFlushedOpenBatchKeepsItsOpeners() throws Exception {
    try (AsyncCache<String, String> cache = withMdc().batchWindow(LONG).maxBatchSize(3).build()) {
      List<Map.Entry<List<String>, Map<String, String>>> batches = new CopyOnWriteArrayList<>();
      Batcher<String, String> batcher =
          cache.batcher(
              keys -> {
                Map<String, String> mdc = MDC.getCopyOfContextMap();
                batches.add(Map.entry(List.copyOf(keys), mdc == null ? Map.of() : mdc));
                Map<String, String> values = new HashMap<>();
                keys.forEach(k -> values.put(k, k));
                return values;
              });
      request("r-opener");
      CompletableFuture<String> opened = batcher.getAsync("o"); // an open batch, long window
      request("r-all");
      // 5 keys: 2 fill the open batch (opener's context), 3 make a batch of their own (caller's).
      Map<String, String> all = batcher.getAll(List.of("a", "b", "c", "d", "e"));
      assertEquals(5, all.size());
      assertEquals("o", opened.get(30, TimeUnit.SECONDS));
      Map<List<String>, Map<String, String>> byKeys = new HashMap<>();
      batches.forEach(e -> byKeys.put(e.getKey(), e.getValue()));
      assertEquals(
          Map.of(
              List.of("o", "a", "b"), Map.of("request", "r-opener"),
              List.of("c", "d", "e"), Map.of("request", "r-all")),
          byKeys);
    }
  }

  @Test
  void warmupLoadsSeeTheMdcOfTheWarmupCall() throws Exception {
    try (AsyncCache<String, String> cache = withMdc().build()) {
      request("r-warmup");
      WarmupResult<String> result =
          cache.warmup(Map.of("a", recording("A"), "b", recording("B"), "c", recording("C")));
      assertEquals(3, result.loaded().size(), result.toString());
      assertEquals(3, seen.size());
      for (Seen s : seen) {
        assertEquals(Map.of("request", "r-warmup"), s.mdc());
        assertNotSame(Thread.currentThread(), s.thread(), "warmup loads on cache threads");
      }
      assertNextTaskIsClean(cache);
    }
  }

  @Test
  void warmupWithATimeoutStillSeesTheWarmupCallsMdc() throws Exception {
    try (AsyncCache<String, String> cache = withMdc().loadTimeout(LONG).build()) {
      request("r-warmup");
      cache.warmup(Map.of("a", recording("A"), "b", recording("B")));
      assertEquals(2, seen.size());
      seen.forEach(s -> assertEquals(Map.of("request", "r-warmup"), s.mdc()));
    }
  }

  @Test
  void aRefreshSeesTheMdcOfTheReadThatTriggeredIt() throws Exception {
    ManualTimeSource clock = new ManualTimeSource();
    try (AsyncCache<String, String> cache =
        withMdc().timeSource(clock).refreshAfterWrite(LONG).build()) {
      request("r-first");
      assertEquals("v1", cache.get("k", () -> "v1"));
      clock.advance(Duration.ofSeconds(61));
      request("r-reader");
      assertEquals("v1", cache.get("k", recording("v2")), "the reader gets the current value at once");
      awaitTrue("the reload ran", () -> "v2".equals(cache.getIfPresent("k")));
      assertEquals(Map.of("request", "r-reader"), only().mdc());
      assertNotSame(Thread.currentThread(), only().thread(), "a reload runs in the background");
      assertNextTaskIsClean(cache);
    }
  }

  @Test
  void tasksAnAsyncLoaderSubmitsSeeTheMdcOfTheirSubmitter() throws Exception {
    try (AsyncCache<String, String> cache = withMdc().build()) {
      request("r-async");
      String v =
          cache
              .getAsync(
                  "k",
                  Ttl.cacheDefault(),
                  (AsyncLoader<String>)
                      executor -> CompletableFuture.supplyAsync(() -> look().mdc().get("request"), executor))
              .get(30, TimeUnit.SECONDS);
      assertEquals("r-async", v);
      assertNotSame(Thread.currentThread(), only().thread());
      assertNextTaskIsClean(cache);
    }
  }

  @Test
  void anInterruptedCallersLoadHandedToACacheThreadKeepsItsMdc() throws Exception {
    try (AsyncCache<String, String> cache = withMdc().build()) {
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch joined = new CountDownLatch(1);
      AtomicInteger calls = new AtomicInteger();
      Loader<String> loader = () -> {
        if (calls.incrementAndGet() == 1) {
          started.countDown();
          joined.await(); // interrupted here: the load restarts on a cache thread
        }
        look();
        return "v";
      };
      Thread first =
          Thread.ofVirtual()
              .start(
                  () -> {
                    request("r-interrupted");
                    try {
                      cache.get("k", loader);
                    } catch (WaitInterruptedException expected) {
                      // leaves; the load goes on for the joiner
                    }
                  });
      assertTrue(started.await(30, TimeUnit.SECONDS));
      request("r-joiner");
      CompletableFuture<String> joiner = cache.getAsync("k", loader);
      awaitTrue("the second caller joined", () -> cache.metrics().joinedLoadCount() == 1);
      first.interrupt();
      assertEquals("v", joiner.get(30, TimeUnit.SECONDS));
      first.join();
      assertEquals(Map.of("request", "r-interrupted"), only().mdc());
    }
  }

  @Test
  void cacheThreadsInheritNothingFromTheThreadThatStartsThem() throws Exception {
    // An inheritable thread-local (some MDC adapters are inheritable) must not leak into a cache
    // thread from whichever caller happens to start it: only the decorator carries context.
    InheritableThreadLocal<String> inherited = new InheritableThreadLocal<>();
    inherited.set("caller's");
    try (AsyncCache<String, String> cache = AsyncCache.builder().build()) {
      assertEquals("null", cache.getAsync("k", () -> String.valueOf(inherited.get())).get(30, TimeUnit.SECONDS));
    } finally {
      inherited.remove();
    }
  }

  // ----- no capture where no task is created -----

  @Test
  void hitsAndInlineLoadsCallNoDecorator() throws Exception {
    AtomicInteger decorations = new AtomicInteger();
    TaskDecorator counting =
        task -> {
          decorations.incrementAndGet();
          return task;
        };
    try (AsyncCache<String, String> cache = AsyncCache.builder().taskDecorator(counting).build()) {
      assertEquals("v", cache.get("k", () -> "v")); // inline: the caller's own thread
      assertEquals(0, decorations.get(), "a synchronous load without timeout creates no task");
      assertEquals("w", cache.getAsync("w", () -> "w").get(30, TimeUnit.SECONDS));
      assertEquals(1, decorations.get(), "one task, one decoration");
      Batcher<String, String> batcher = cache.batcher(keys -> Map.of());
      for (int i = 0; i < 1_000; i++) {
        cache.get("k", () -> "never");
        cache.getAsync("k", () -> "never").join();
        cache.getAsync("k", Ttl.cacheDefault(), (AsyncLoader<String>) e -> CompletableFuture.completedFuture("never")).join();
        cache.getIfPresent("k");
        batcher.get("k");
        batcher.getAll(List.of("k", "w"));
      }
      assertEquals(1, decorations.get(), "hits decorate nothing");
    }
  }

  // ----- the decorator's own behaviour -----

  @Test
  void theMdcDecoratorCapturesAtCreationAndRestoresTheRunningThreadsMdc() throws Exception {
    ExecutorService worker = Executors.newSingleThreadExecutor(); // one reused platform thread
    try {
      worker.submit(() -> MDC.put("worker", "w-1")).get();
      request("r-1");
      Runnable task =
          TaskDecorator.mdc()
              .decorate(
                  () -> {
                    look();
                    MDC.put("polluted", "yes");
                  });
      request("r-changed-after-creation");
      worker.submit(task).get();
      assertEquals(Map.of("request", "r-1"), only().mdc(), "captured when the task was created");
      assertEquals(Map.of("worker", "w-1"), worker.submit(MDC::getCopyOfContextMap).get(),
          "the thread gets its own MDC back, without the task's");
      MDC.clear();
      Runnable empty = TaskDecorator.mdc().decorate(this::look);
      seen.clear();
      worker.submit(empty).get();
      assertEquals(Map.of(), only().mdc(), "a caller without MDC gives the task none");
      assertEquals(Map.of("worker", "w-1"), worker.submit(MDC::getCopyOfContextMap).get());
    } finally {
      worker.shutdownNow();
    }
  }

  @Test
  void aDecoratorThatThrowsFailsThatLoadOnlyAndPoisonsNoKey() throws Exception {
    AtomicInteger failuresLeft = new AtomicInteger();
    TaskDecorator flaky =
        task -> {
          if (failuresLeft.getAndDecrement() > 0) {
            throw new IllegalStateException("no context to capture");
          }
          return task;
        };
    try (AsyncCache<String, String> cache =
        AsyncCache.builder().taskDecorator(flaky).batchWindow(Duration.ZERO).build()) {
      failuresLeft.set(1);
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> cache.getAsync("k", () -> "v").get(30, TimeUnit.SECONDS));
      assertInstanceOf(IllegalStateException.class, e.getCause());
      assertEquals("v", cache.getAsync("k", () -> "v").get(30, TimeUnit.SECONDS), "the key loads again");

      Batcher<String, String> batcher = cache.batcher(keys -> Map.of("b", "B", "c", "C"));
      failuresLeft.set(1);
      assertThrows(IllegalStateException.class, () -> batcher.get("b"));
      assertEquals("B", batcher.get("b"));
      failuresLeft.set(1);
      assertThrows(IllegalStateException.class, () -> batcher.getAll(List.of("c")));
      assertEquals(Map.of("c", "C"), batcher.getAll(List.of("c")));

      failuresLeft.set(1);
      assertThrows(IllegalStateException.class, () -> cache.warmup(Map.of("w", () -> "W")));
      assertEquals(1, cache.warmup(Map.of("w", () -> "W")).loaded().size());
    }
  }

  @Test
  void aDecoratorReturningNullIsReportedByName() throws Exception {
    TaskDecorator broken = task -> null;
    try (AsyncCache<String, String> cache = AsyncCache.builder().taskDecorator(broken).build()) {
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> cache.getAsync("k", () -> "v").get(30, TimeUnit.SECONDS));
      NullPointerException npe = assertInstanceOf(NullPointerException.class, e.getCause());
      assertTrue(npe.getMessage().contains("task decorator"), npe.getMessage());
    }
  }

  @Test
  void theOptionIsSetOnceAndNeverNull() {
    AsyncCacheBuilder b = AsyncCache.builder().taskDecorator(TaskDecorator.mdc());
    assertThrows(IllegalStateException.class, () -> b.taskDecorator(TaskDecorator.none()));
    assertThrows(NullPointerException.class, () -> AsyncCache.builder().taskDecorator(null));
    assertThrows(NullPointerException.class, () -> TaskDecorator.mdc().andThen(null));
    assertTrue(b.toString().contains("taskDecorator=TaskDecorator.mdc()"), b.toString());
    Runnable r = () -> {};
    assertSame(r, TaskDecorator.none().decorate(r));
  }

  // ----- OpenTelemetry: the README's one-liner -----

  private static final ContextKey<String> SPAN = ContextKey.named("span");

  @Test
  void openTelemetrysOneLinerCarriesTheContextAlongsideTheMdc() throws Exception {
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .taskDecorator(TaskDecorator.mdc().andThen(task -> Context.current().wrap(task)))
            .batchWindow(Duration.ofMillis(1))
            .build()) {
      List<@Nullable String> spans = new ArrayList<>();
      request("r-otel");
      try (Scope ignored = Context.current().with(SPAN, "span-1").makeCurrent()) {
        String v =
            cache
                .getAsync(
                    "k",
                    () -> {
                      look();
                      synchronized (spans) {
                        spans.add(Context.current().get(SPAN));
                      }
                      return "v";
                    })
                .get(30, TimeUnit.SECONDS);
        assertEquals("v", v);
        cache.get(
            "b",
            (BatchLoader<String, String>)
                keys -> {
                  synchronized (spans) {
                    spans.add(Context.current().get(SPAN));
                  }
                  return Map.of();
                });
      }
      assertEquals(List.of("span-1", "span-1"), spans);
      assertEquals(Map.of("request", "r-otel"), only().mdc());
      // A task created outside the span sees none.
      MDC.clear();
      String outside = cache.getAsync("k2", () -> String.valueOf(Context.current().get(SPAN))).get(30, TimeUnit.SECONDS);
      assertEquals("null", outside);
    }
  }
}
