package dev.asynccache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The batching trap of issue 9: the natural Java idioms ({@code cache.get(id, ids ->
 * repo.findAll(ids))}, {@code cache.get(id, repo::findAll)}) from 50 concurrent requests make one
 * batch call, as does the DataLoader-shaped {@link Batcher}; and the async batch loader.
 */
class BatcherTest {
  private static final int REQUESTS = 50;

  /** A repository whose findAll counts its calls. */
  static final class Repository {
    final AtomicInteger calls = new AtomicInteger();

    Map<Integer, String> findAll(List<Integer> ids) {
      calls.incrementAndGet();
      Map<Integer, String> found = new HashMap<>();
      for (Integer id : ids) {
        found.put(id, "user" + id);
      }
      return found;
    }
  }

  /** A cache whose batch closes when it holds all 50 keys (no timing involved). */
  private static AsyncCache<Integer, String> cache() {
    return AsyncCache.builder().batchWindow(Duration.ofHours(1)).maxBatchSize(REQUESTS).build();
  }

  /** Runs 50 concurrent requests behind a latch; returns their answers. */
  private static List<String> concurrently(Function<Integer, String> request) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<String>> answers = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      int id = i;
      CompletableFuture<String> answer = new CompletableFuture<>();
      answers.add(answer);
      Thread.ofVirtual().start(() -> {
        try {
          start.await();
          answer.complete(request.apply(id));
        } catch (Throwable t) {
          answer.completeExceptionally(t);
        }
      });
    }
    start.countDown();
    List<String> out = new ArrayList<>();
    for (CompletableFuture<String> a : answers) {
      out.add(a.get(30, TimeUnit.SECONDS));
    }
    return out;
  }

  @Test
  void aCapturingLambdaPerRequestMakesOneBatch() throws Exception {
    for (int round = 0; round < 10; round++) {
      Repository repo = new Repository();
      try (AsyncCache<Integer, String> cache = cache()) {
        List<String> users = concurrently(id -> cache.get(id, ids -> repo.findAll(ids)));
        assertEquals("user7", users.get(7));
        assertEquals(1, repo.calls.get(), "batch calls for " + REQUESTS + " concurrent requests");
      }
    }
  }

  @Test
  void aMethodReferencePerRequestMakesOneBatch() throws Exception {
    for (int round = 0; round < 10; round++) {
      Repository repo = new Repository();
      try (AsyncCache<Integer, String> cache = cache()) {
        concurrently(id -> cache.get(id, repo::findAll));
        assertEquals(1, repo.calls.get());
      }
    }
  }

  @Test
  void aBatcherMakesOneBatch() throws Exception {
    for (int round = 0; round < 10; round++) {
      Repository repo = new Repository();
      try (AsyncCache<Integer, String> cache = cache()) {
        Batcher<Integer, String> users = cache.batcher(repo::findAll);
        concurrently(users::get);
        assertEquals(1, repo.calls.get());
        assertEquals("user3", cache.getIfPresent(3));
        assertEquals(Map.of(3, "user3", 4, "user4"), users.getAll(List.of(3, 4)));
        assertEquals(1, repo.calls.get(), "cached keys are not loaded again");
      }
    }
  }

  @Test
  void twoBatchersNeverShareABatch() throws Exception {
    Repository a = new Repository();
    Repository b = new Repository();
    try (AsyncCache<Integer, String> cache =
        AsyncCache.builder().batchWindow(Duration.ofHours(1)).maxBatchSize(2).build()) {
      Batcher<Integer, String> first = cache.batcher(a::findAll);
      Batcher<Integer, String> second = cache.batcher(b::findAll);
      CompletableFuture<@Nullable String> x = first.getAsync(1);
      CompletableFuture<@Nullable String> y = second.getAsync(2);
      CompletableFuture<@Nullable String> z = first.getAsync(3);
      CompletableFuture<@Nullable String> w = second.getAsync(4);
      assertEquals("user1", x.get(30, TimeUnit.SECONDS));
      assertEquals("user2", y.get(30, TimeUnit.SECONDS));
      assertEquals("user3", z.get(30, TimeUnit.SECONDS));
      assertEquals("user4", w.get(30, TimeUnit.SECONDS));
      assertEquals(1, a.calls.get());
      assertEquals(1, b.calls.get());
    }
  }

  @Test
  void anAsyncBatchLoaderAnswersEveryCallerOfItsBatch() throws Exception {
    Repository repo = new Repository();
    try (AsyncCache<Integer, String> cache = cache()) {
      Batcher<Integer, String> users =
          cache.batcher((ids, executor) -> CompletableFuture.supplyAsync(() -> repo.findAll(ids), executor));
      List<String> answers = concurrently(users::get);
      assertEquals("user49", answers.get(49));
      assertEquals(1, repo.calls.get());
      assertEquals(1, cache.metrics().batchCallCount());
      assertEquals(REQUESTS, cache.metrics().batchedKeyCount());
    }
  }

  @Test
  void anAsyncBatchLoaderThatFailsOrBreaksItsContractFailsItsCallers() throws Exception {
    try (AsyncCache<Integer, String> cache = AsyncCache.builder().batchWindow(Duration.ZERO).build()) {
      IllegalStateException boom = new IllegalStateException("db down");
      Batcher<Integer, String> failing = cache.batcher((ids, ex) -> CompletableFuture.failedFuture(boom));
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> failing.getAsync(1).get(30, TimeUnit.SECONDS));
      assertEquals(boom, e.getCause());
      assertEquals(boom, assertThrows(IllegalStateException.class, () -> failing.get(1)));

      Batcher<Integer, String> nullStage = cache.batcher((ids, ex) -> null);
      BatchLoadException broken = assertThrows(BatchLoadException.class, () -> nullStage.get(2));
      assertTrue(broken.getMessage().contains("returned null"), broken.getMessage());

      Batcher<Integer, String> nullMap = cache.batcher((ids, ex) -> CompletableFuture.completedFuture(null));
      assertThrows(BatchLoadException.class, () -> nullMap.get(3));

      Batcher<Integer, String> partial =
          cache.batcher((ids, ex) -> CompletableFuture.completedFuture(Map.of()));
      assertNull(partial.get(4));
      assertEquals(0, cache.size());
    }
  }

  @Test
  void aTimedOutAsyncBatchIsCancelled() throws Exception {
    try (AsyncCache<Integer, String> cache =
        AsyncCache.builder().batchWindow(Duration.ZERO).loadTimeout(Duration.ofMillis(50)).build()) {
      CompletableFuture<Map<Integer, String>> never = new CompletableFuture<>();
      Batcher<Integer, String> hung = cache.batcher((ids, ex) -> never);
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> hung.getAsync(1).get(30, TimeUnit.SECONDS));
      assertInstanceOf(LoadTimeoutException.class, e.getCause());
      // The timeout answers the waiters first, then cancels the stage.
      dev.asynccache.testing.Concurrency.awaitTrue("the batch's stage is cancelled", never::isCancelled);
    }
  }
}
