package dev.asynccache.coroutines

import dev.asynccache.BatchLoader
import java.util.concurrent.ExecutionException
import kotlinx.coroutines.CoroutineScope

/**
 * A suspend batch function as the core's blocking [BatchLoader]. The core calls [load] on a virtual
 * thread it owns; the function runs as a child of the cache's [scope] on its dispatcher, while that
 * virtual thread parks in `get()` (no dispatcher thread is blocked). If the virtual thread is
 * interrupted (load timeout, cache closed), the coroutine is cancelled.
 *
 * The core collects batches per batch loader by `equals`, so equality is the wrapped function's:
 * two adapters of one function (or of equal function references) share batches.
 */
internal class SuspendBatchLoader<K : Any, V : Any>(
    private val function: suspend (List<K>) -> Map<K, V>,
    private val scope: CoroutineScope,
) : BatchLoader<K, V> {

    override fun load(keys: List<K>): Map<K, V> {
        val result = scope.futureGuarded("a batch of ${keys.size} keys") { function(keys) }
        try {
            return result.get()
        } catch (e: InterruptedException) {
            result.cancel(true)
            throw e
        } catch (e: ExecutionException) {
            throw e.cause ?: e
        }
    }

    override fun equals(other: Any?): Boolean = other is SuspendBatchLoader<*, *> && other.function == function

    override fun hashCode(): Int = function.hashCode()

    override fun toString(): String = "SuspendBatchLoader($function)"
}
