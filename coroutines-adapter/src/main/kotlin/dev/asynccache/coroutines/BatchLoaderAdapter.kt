package dev.asynccache.coroutines

import dev.asynccache.BatchLoader
import java.util.concurrent.ExecutionException
import kotlinx.coroutines.CoroutineScope

/**
 * A [SuspendBatchLoader] as the core's blocking [BatchLoader]. The core calls [load] on a virtual
 * thread it owns; the suspend function runs as a child of the cache's [scope] on its dispatcher
 * while that virtual thread parks in `get()` (no dispatcher thread is blocked). If the virtual
 * thread is interrupted (load timeout, cache closed), the coroutine is cancelled.
 *
 * The core collects batches per batch loader by `equals`, so equality is the handle's: adapters of
 * equal handles share batches.
 */
internal class BatchLoaderAdapter<K : Any, V : Any>(
    private val handle: SuspendBatchLoader<K, V>,
    private val scope: CoroutineScope,
    /** The Java cache, the identity the recursion check uses. */
    private val cache: Any,
) : BatchLoader<K, V> {

    override fun load(keys: List<K>): Map<K, V> {
        val result = scope.futureGuarded("a batch of ${keys.size} keys of $handle", LoadChain(cache, keys, null)) {
            handle.load(keys)
        }
        try {
            return result.get()
        } catch (e: InterruptedException) {
            result.cancel(true)
            throw e
        } catch (e: ExecutionException) {
            throw e.cause ?: e
        }
    }

    override fun equals(other: Any?): Boolean = other is BatchLoaderAdapter<*, *> && other.handle == handle

    override fun hashCode(): Int = handle.hashCode()

    override fun toString(): String = handle.toString()
}
