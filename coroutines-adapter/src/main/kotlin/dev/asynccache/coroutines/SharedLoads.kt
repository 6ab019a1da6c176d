package dev.asynccache.coroutines

import dev.asynccache.CacheException
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ExecutionException
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.future.await
import kotlinx.coroutines.future.future
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext

/*
 * The two crossings between a shared load and coroutines, in one place:
 * - a waiter awaits its own copy of the load's future (awaitShared);
 * - a suspend loader becomes the load's CompletionStage (futureGuarded).
 */

/**
 * Awaits a future that the core made for this caller alone (the per-caller copy `getAsync` returns,
 * or the future `getAllAsync` derives from the shared loads).
 *
 * - Done already (a hit): returns without suspending.
 * - The caller is cancelled: `await()` cancels the future it waits on. That future is this caller's
 *   copy, so cancelling it detaches this caller and leaves the shared load and its other waiters
 *   alone (`CompletableFuture.cancel` on a dependent never reaches its source).
 * - The load failed: throws the loader's own exception (unwrapped from `CompletionException`).
 * - The load itself was cancelled while this caller was not: throws [CacheException] instead of
 *   the `CancellationException`, which would otherwise end the caller's coroutine silently as if
 *   the caller had been cancelled.
 */
internal suspend fun <T> CompletableFuture<T>.awaitShared(what: Any): T {
    try {
        if (isDone) {
            try {
                return get()
            } catch (e: ExecutionException) {
                throw e.cause ?: e
            }
        }
        return await()
    } catch (e: CancellationException) {
        currentCoroutineContext().ensureActive() // our own cancellation: let it through
        throw strayCancellation(what, e)
    }
}

/**
 * Starts [block] as a child of this scope and returns its future. A `CancellationException` thrown
 * by [block] while the scope is active (the loader's own `withTimeout`, a cancelled call inside it)
 * fails the future with [CacheException] instead, so that it cannot pose as the waiters'
 * cancellation. The scope itself is cancelled only when the cache closes, after the core has
 * settled every load.
 */
internal fun <T> CoroutineScope.futureGuarded(
    what: Any,
    context: CoroutineContext = EmptyCoroutineContext,
    block: suspend () -> T,
): CompletableFuture<T> =
    future(context) {
        try {
            block()
        } catch (e: CancellationException) {
            currentCoroutineContext().ensureActive()
            throw strayCancellation(what, e)
        }
    }

private fun strayCancellation(what: Any, e: CancellationException): CacheException =
    CacheException(
        "the load of $what was cancelled although no caller cancelled it (a loader threw " +
            "CancellationException, e.g. from a withTimeout inside it): $e",
        e,
    )
