package dev.asynccache.coroutines

import dev.asynccache.AsyncCache
import dev.asynccache.AsyncBatchLoader
import dev.asynccache.AsyncLoader
import dev.asynccache.Batcher
import dev.asynccache.CacheClosedException
import dev.asynccache.CacheMetrics
import dev.asynccache.Ttl
import dev.asynccache.WarmupResult
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import kotlin.coroutines.CoroutineContext
import kotlin.time.Duration
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.launch
import kotlinx.coroutines.runInterruptible

/**
 * The [SuspendingCache] behind the factory and [asSuspending]: every read goes through the Java
 * cache's future-returning methods, so single-flight, LRU/TTL, batching and metrics are the core's.
 * Loads run with the context of the caller that started them (see [loadContext]).
 */
internal class DefaultSuspendingCache<K : Any, V : Any>(
    private val java: AsyncCache<K, V>,
    dispatcher: CoroutineDispatcher,
    private val loadOnCallerDispatcher: Boolean,
) : SuspendingCache<K, V> {

    /** Where loaders run: not the callers' jobs, so that no caller's cancellation reaches a load. */
    private val scope = CoroutineScope(SupervisorJob() + dispatcher + CoroutineName("async-cache-loader"))

    override suspend fun get(key: K, ttl: Duration?, loader: suspend () -> V): V {
        val caller = currentCoroutineContext()
        caller[LoadChain]?.refuseRecursion(java, key)
        val value = java.getAsync(key, ttl.toTtl(), loaderFor(key, caller, loader)).awaitShared(key)
        return value ?: throw NoSuchElementException(
            "the load of key $key that this call joined was started by a Java caller whose loader returned null",
        )
    }

    /**
     * Adapts a suspend loader: the core calls it at most once, when [caller]'s miss (or read of an
     * entry due for refresh) starts a load, on the caller's thread; it starts the loader as a child
     * of [scope], with [caller]'s context minus its job, and returns at once.
     */
    private fun loaderFor(key: K, caller: CoroutineContext, loader: suspend () -> V): AsyncLoader<V> =
        // The core cancels this future when the load times out or the cache closes, which
        // cancels the loader's coroutine. The loader's coroutine carries the chain of loads it
        // belongs to, for the recursion check above.
        AsyncLoader { _ ->
            val chain = LoadChain(java, listOf(key), caller[LoadChain])
            scope.futureGuarded(key, loadContext(caller, loadOnCallerDispatcher, chain)) { loader() }
        }

    override suspend fun get(key: K, batchLoader: SuspendBatchLoader<K, V>): V? {
        val caller = currentCoroutineContext()
        caller[LoadChain]?.refuseRecursion(java, key)
        // A batch this call opens runs with this caller's context (see BatchCallerContext).
        val future = BatchCallerContext.withCaller(caller) { batcherFor(batchLoader).getAsync(key) }
        return future.awaitShared(key)
    }

    override suspend fun getAll(keys: Collection<K>, batchLoader: SuspendBatchLoader<K, V>): Map<K, V> {
        val caller = currentCoroutineContext()
        val chain = caller[LoadChain]
        if (chain != null) keys.forEach { chain.refuseRecursion(java, it) }
        // getAllAsync returns a future derived from the shared loads: cancelling it (as await()
        // does when this caller is cancelled) detaches this caller only.
        val future = BatchCallerContext.withCaller(caller) { batcherFor(batchLoader).getAllAsync(keys) }
        return future.awaitShared(keys)
    }

    /** One core [Batcher] per handle (by equality): equal handles share batches. */
    private val batchers = ConcurrentHashMap<SuspendBatchLoader<K, V>, Batcher<K, V>>()

    /**
     * The core batcher of [handle]: its batch function runs as a child of [scope] and returns the
     * coroutine's future to the core, so no thread waits while a batch runs (the core cancels that
     * future, and with it the coroutine, on `loadTimeout` or `close`). The coroutine has the context
     * of the call that opened the batch, minus its job (the core calls this on the batch's thread,
     * inside the task it decorated on the opener's thread), and carries the batch's keys, linked to
     * the opener's chain, for the recursion check.
     */
    private fun batcherFor(handle: SuspendBatchLoader<K, V>): Batcher<K, V> =
        batchers.computeIfAbsent(handle) { h ->
            java.batcher(
                AsyncBatchLoader<K, V> { keys, _ ->
                    val opener = batchOpenerContext()
                    val chain = LoadChain(java, keys, opener[LoadChain])
                    scope.futureGuarded("a batch of ${keys.size} keys of $h", loadContext(opener, loadOnCallerDispatcher, chain)) {
                        h.load(keys)
                    }
                },
            )
        }

    override fun getIfPresent(key: K): V? = java.getIfPresent(key)

    override fun set(key: K, value: V, ttl: Duration?) {
        java.set(key, value, ttl.toTtl())
    }

    override fun delete(key: K): Boolean = java.delete(key)

    override fun clear() {
        java.clear()
    }

    override suspend fun warmup(loaders: Map<K, suspend () -> V>): WarmupResult<K> {
        val loaded = ConcurrentHashMap.newKeySet<K>()
        val missing = ConcurrentHashMap.newKeySet<K>()
        val failed = ConcurrentHashMap<K, Throwable>()
        coroutineScope {
            for ((key, loader) in loaders) {
                launch {
                    try {
                        // This child's context is the warmup caller's (plus a child job the load drops).
                        val caller = currentCoroutineContext()
                        val value = java.getAsync(key, Ttl.cacheDefault(), loaderFor(key, caller, loader)).awaitShared(key)
                        if (value == null) missing.add(key) else loaded.add(key)
                    } catch (e: CancellationException) {
                        throw e // this warmup was cancelled: awaitCopy never lets a load's CE through
                    } catch (e: CacheClosedException) {
                        throw e // not a failure of this key: the whole warmup fails
                    } catch (e: Throwable) {
                        failed[key] = e
                    }
                }
            }
        }
        return WarmupResult(loaded, missing, failed)
    }

    override fun metrics(): CacheMetrics = java.metrics()

    override fun size(): Long = java.size()

    override fun cleanUp() {
        java.cleanUp()
    }

    override suspend fun saveToBackend(): Long = runInterruptible(Dispatchers.IO) { java.saveToBackend() }

    override suspend fun loadFromBackend(): Long = runInterruptible(Dispatchers.IO) { java.loadFromBackend() }

    override fun asJava(): AsyncCache<K, V> = java

    override fun close() {
        // The Java cache first: it fails the waiters of unfinished loads with CacheClosedException;
        // cancelling the loaders afterwards cannot reach any waiter with a CancellationException.
        try {
            java.close()
        } finally {
            scope.cancel("the cache was closed")
        }
    }

    override fun toString(): String = "SuspendingCache($java)"
}
