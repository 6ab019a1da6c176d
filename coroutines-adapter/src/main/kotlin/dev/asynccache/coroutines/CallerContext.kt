package dev.asynccache.coroutines

import dev.asynccache.AsyncCacheBuilder
import dev.asynccache.TaskDecorator
import kotlin.coroutines.ContinuationInterceptor
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext
import kotlinx.coroutines.Job

/*
 * The caller's coroutine context, carried into the loads it starts (the rule is stated on
 * SuspendingCache and in the module README):
 * - a single-key load, refresh or warmup load: the core calls the adapter's AsyncLoader on the
 *   caller's thread, inside the caller's own call, so the adapter captures currentCoroutineContext()
 *   there;
 * - a batch: the core calls the batch function later, on a cache thread; the caller's context
 *   travels there through the core's TaskDecorator (BatchCallerContext below), which the core
 *   applies on the thread of the call that opened the batch.
 */

/**
 * The context a load runs with: [caller]'s elements minus its [Job] (the load is a child of the
 * cache's scope, so cancelling the caller never cancels it), minus its dispatcher unless
 * [onCallerDispatcher] (the cache's scope supplies its own), plus [chain] for the recursion check.
 */
internal fun loadContext(caller: CoroutineContext, onCallerDispatcher: Boolean, chain: LoadChain): CoroutineContext {
    var context = caller.minusKey(Job)
    if (!onCallerDispatcher) context = context.minusKey(ContinuationInterceptor)
    return context + chain
}

/**
 * Hands the coroutine context of a Kotlin caller of a core batcher to the batch that its call opens.
 * The caller sets it around its (non-suspending) call into the core ([withCaller]); the core calls
 * [decorator] on that same thread when the call opens a batch, and the decorated batch task makes
 * the context [current] on the batch's thread while the batch function is called.
 */
internal object BatchCallerContext {
    private val context = ThreadLocal<CoroutineContext?>()

    val decorator: TaskDecorator = object : TaskDecorator {
        override fun decorate(task: Runnable): Runnable {
            val captured = context.get() ?: return task // not a Kotlin batch call: nothing to carry
            return Runnable { withCaller(captured) { task.run() } }
        }

        override fun toString(): String = "coroutineContextTaskDecorator()"
    }

    /** The context of the caller on whose behalf this thread runs, if a Kotlin caller. */
    fun current(): CoroutineContext? = context.get()

    fun <T> withCaller(caller: CoroutineContext, block: () -> T): T {
        val previous = context.get()
        context.set(caller)
        try {
            return block()
        } finally {
            if (previous == null) context.remove() else context.set(previous)
        }
    }
}

/**
 * The [TaskDecorator] that lets a Java cache wrapped with [asSuspending] run each suspend batch
 * function with the coroutine context of the call that opened its batch. Caches made by the
 * [SuspendingCache] factory have it already; give it to the builder of a Java cache you wrap:
 * `AsyncCache.builder().taskDecorator(coroutineContextTaskDecorator())`, or combined with a Java
 * decorator, `TaskDecorator.mdc().andThen(coroutineContextTaskDecorator())`. It leaves the tasks of
 * Java callers as they are. Without it, the batch functions of a wrapped cache run with the cache's
 * scope alone (single-key loads, refreshes and warmup carry the caller's context either way).
 *
 * @return the decorator (one shared, stateless, thread-safe instance)
 * @see AsyncCacheBuilder.taskDecorator
 */
public fun coroutineContextTaskDecorator(): TaskDecorator = BatchCallerContext.decorator

/** The caller context of the batch being dispatched on this thread, or an empty one (a wrapped Java cache without the decorator). */
internal fun batchOpenerContext(): CoroutineContext = BatchCallerContext.current() ?: EmptyCoroutineContext
