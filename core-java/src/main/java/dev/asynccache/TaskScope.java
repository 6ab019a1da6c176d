package dev.asynccache;

import java.util.ArrayList;
import java.util.List;

/**
 * Structured concurrency without preview APIs: tasks forked here run on the cache's virtual
 * threads, {@link #join()} returns when every one has finished, and {@link #close()} interrupts and
 * awaits any still running. Every task is therefore owned, joined and cancelled together. When
 * {@code java.util.concurrent.StructuredTaskScope} is final, this class is the one to replace.
 *
 * <p>Used by one owner thread; tasks report their own outcomes.
 */
final class TaskScope implements AutoCloseable {
  private final CacheThreads threads;
  private final List<Thread> forked = new ArrayList<>();

  TaskScope(CacheThreads threads) {
    this.threads = threads;
  }

  /**
   * Starts {@code task} in this scope, with the context of the owner (the cache's {@link
   * TaskDecorator}, applied on the owner's thread).
   *
   * @throws CacheClosedException if the cache is closed
   * @throws RuntimeException whatever the task decorator throws (nothing is started then)
   */
  void fork(Runnable task) {
    forked.add(threads.startForCaller(task));
  }

  /**
   * Waits until every forked task has finished.
   *
   * @throws InterruptedException if the owner was interrupted; the tasks are then cancelled by
   *     {@link #close()}
   */
  void join() throws InterruptedException {
    for (Thread t : forked) {
      t.join();
    }
  }

  /** Interrupts the tasks still running and waits for them, even if interrupted meanwhile. */
  @Override
  public void close() {
    boolean interrupted = false;
    for (Thread t : forked) {
      if (t.isAlive()) {
        t.interrupt();
      }
    }
    for (Thread t : forked) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
