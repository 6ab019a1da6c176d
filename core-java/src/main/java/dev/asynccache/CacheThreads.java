package dev.asynccache;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The threads one cache owns: virtual threads for loads, batches and saves, and one timer (created
 * on first use, itself a virtual thread) for batch windows, load timeouts and periodic saves.
 * {@link #close()} interrupts them all and waits until none is left.
 *
 * <p>A task run on a caller's behalf is first passed through {@link #capture} on the caller's
 * thread (the cache's {@link TaskDecorator}); the cache's own housekeeping is started as it is.
 * The threads inherit no inheritable thread-locals from the thread that starts them.
 */
final class CacheThreads {
  private final Set<Thread> live = ConcurrentHashMap.newKeySet();
  private final ThreadFactory factory;
  private final TaskDecorator decorator;
  private final ReentrantLock timerLock = new ReentrantLock();
  private @Nullable ScheduledThreadPoolExecutor timer;
  private volatile boolean closed;

  CacheThreads(String name, TaskDecorator decorator) {
    // No inherited thread-locals (an inheritable MDC, say): a cache thread starts clean whoever
    // happens to start it, and a caller's context reaches it only through the decorator.
    this.factory = Thread.ofVirtual().name(name + "-", 0).inheritInheritableThreadLocals(false).factory();
    this.decorator = decorator;
  }

  /**
   * Decorates a task about to be created on the calling thread's behalf (called on that thread):
   * the result carries the caller's context into the cache thread that runs it.
   *
   * @throws RuntimeException whatever the decorator throws
   * @throws NullPointerException if the decorator returns null
   */
  Runnable capture(Runnable task) {
    Runnable decorated = decorator.decorate(task);
    if (decorated == null) {
      throw new NullPointerException(
          "the cache's task decorator " + decorator + " returned null instead of a task");
    }
    return decorated;
  }

  /**
   * Starts {@code task} for the calling thread: {@link #capture} then {@link #start}.
   *
   * @throws CacheClosedException if closed
   * @throws RuntimeException whatever the decorator throws (nothing is started then)
   */
  Thread startForCaller(Runnable task) {
    return start(capture(task));
  }

  /**
   * Starts {@code task} on a new virtual thread of this cache.
   *
   * @throws CacheClosedException if closed
   */
  Thread start(Runnable task) {
    Thread thread =
        factory.newThread(
            () -> {
              try {
                if (!closed) {
                  task.run();
                }
              } finally {
                live.remove(Thread.currentThread());
              }
            });
    live.add(thread);
    if (closed) {
      live.remove(thread);
      throw new CacheClosedException("cache is closed");
    }
    thread.start();
    return thread;
  }

  /** Runs {@code task} (which must be short) on the timer after {@code delayNanos}. */
  Future<?> schedule(Runnable task, long delayNanos) {
    try {
      return timer().schedule(task, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      throw new CacheClosedException("cache is closed");
    }
  }

  /** Runs {@code task} (which must be short) on the timer every {@code period}. */
  Future<?> scheduleAtFixedRate(Runnable task, Duration period) {
    long nanos = Ttl.saturatedNanos(period);
    try {
      return timer().scheduleAtFixedRate(task, nanos, nanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      throw new CacheClosedException("cache is closed");
    }
  }

  private ScheduledThreadPoolExecutor timer() {
    timerLock.lock();
    try {
      if (closed) {
        throw new CacheClosedException("cache is closed");
      }
      if (timer == null) {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, factory);
        t.setRemoveOnCancelPolicy(true);
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        timer = t;
      }
      return timer;
    } finally {
      timerLock.unlock();
    }
  }

  /** Stops the timer, interrupts every thread of the cache and waits for all of them to end. */
  void close() {
    closed = true;
    ScheduledThreadPoolExecutor t;
    timerLock.lock();
    try {
      t = timer;
    } finally {
      timerLock.unlock();
    }
    boolean interrupted = false;
    if (t != null) {
      t.shutdownNow();
    }
    while (!live.isEmpty()) {
      for (Thread thread : live) {
        if (thread == Thread.currentThread()) {
          live.remove(thread);
          continue;
        }
        thread.interrupt();
        try {
          thread.join(Duration.ofMillis(10));
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    if (t != null) {
      try {
        while (!t.awaitTermination(1, TimeUnit.SECONDS)) {
          t.shutdownNow();
        }
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
