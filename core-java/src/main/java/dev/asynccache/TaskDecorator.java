package dev.asynccache;

import java.util.Objects;

/**
 * Carries a caller's thread context (an SLF4J MDC, an OpenTelemetry span, a security principal)
 * into the tasks a cache runs on the caller's behalf on its own threads: {@code getAsync} loads,
 * loads with a {@code loadTimeout}, the tasks an {@link AsyncLoader} gives the cache's executor,
 * batches, {@code warmup}, refresh-after-write reloads, and a load handed over to a cache thread
 * when its interrupted caller leaves. Set it with {@link AsyncCacheBuilder#taskDecorator}.
 *
 * <p>{@link #decorate} is called on the caller's thread when the task is created, once per task:
 * it captures the caller's context there and returns a task that installs that context around the
 * original task's run and removes it afterwards, so that nothing leaks into the cache's next task.
 * Whose context a task gets:
 *
 * <ul>
 *   <li>a load: the caller whose miss started it (callers that join it later do not change it);
 *   <li>a batch: the caller whose miss opened the batch window (for {@code getAll}, the caller
 *       whose keys fill a batch of their own);
 *   <li>{@code warmup}: the caller of {@code warmup};
 *   <li>a refresh-after-write reload: the read that found the entry due;
 *   <li>a task an async loader gives the cache's executor: the thread that submits it.
 * </ul>
 *
 * <p>A hit creates no task and calls no decorator. A synchronous {@code get} without a {@code
 * loadTimeout} runs its loader on the calling thread, in the caller's own context, and needs no
 * decorator either. The cache's own housekeeping (draining read buffers, timeouts, periodic saves)
 * is not decorated; neither are the dependents of the futures the cache returns, which run on
 * whichever thread completes the future, as for any {@link java.util.concurrent.CompletableFuture}.
 *
 * <p>OpenTelemetry: {@code builder.taskDecorator(task -> Context.current().wrap(task))}. SLF4J:
 * {@link #mdc()}. Both: {@code TaskDecorator.mdc().andThen(task -> Context.current().wrap(task))}.
 *
 * <p>Implementations must be thread-safe, fast (they run on the caller's thread, on its miss path)
 * and must not call the cache. An exception thrown by {@link #decorate} fails the load (or batch) the
 * task was for with that exception; for a warmup task, the {@code warmup} call throws it; for an
 * async loader's task, {@code execute} throws it.
 */
@FunctionalInterface
public interface TaskDecorator {

  /**
   * Called on the caller's thread when the cache creates a task on its behalf: captures the
   * caller's context and returns the task to run instead of {@code task}, one that restores that
   * context around {@code task.run()} and cleans it up afterwards.
   *
   * @param task the task the cache will run on one of its threads; never null
   * @return the task to run in its place (possibly {@code task} itself); never null
   */
  Runnable decorate(Runnable task);

  /**
   * Returns a decorator that applies this one, then {@code next}: both capture on the caller's
   * thread, and at run time {@code next}'s context is installed around this one's.
   *
   * @param next the decorator applied second
   * @return the combined decorator
   * @throws NullPointerException if {@code next} is null
   */
  default TaskDecorator andThen(TaskDecorator next) {
    Objects.requireNonNull(next, "next decorator must not be null");
    return task -> next.decorate(decorate(task));
  }

  /**
   * Returns the decorator that leaves tasks as they are (the default): the cache's threads run
   * with no caller context.
   *
   * @return the no-op decorator
   */
  static TaskDecorator none() {
    return NoTaskDecorator.INSTANCE;
  }

  /**
   * Returns a decorator that copies the caller's SLF4J {@link org.slf4j.MDC} into the task: the
   * task runs with a copy of the map the caller had when the task was created (an empty MDC if the
   * caller had none), and the cache's thread gets its previous MDC back afterwards. Later changes
   * to the caller's MDC do not reach a task already created, nor the other way round.
   *
   * @return the MDC decorator
   */
  static TaskDecorator mdc() {
    return MdcTaskDecorator.INSTANCE;
  }
}
