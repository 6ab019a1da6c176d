package dev.asynccache.coroutines

import dev.asynccache.AsyncCache
import dev.asynccache.BatchLoadException
import dev.asynccache.CacheClosedException
import dev.asynccache.CacheMetrics
import dev.asynccache.LoadTimeoutException
import dev.asynccache.TimeSource
import dev.asynccache.WarmupResult
import dev.asynccache.persistence.PersistenceBackend
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers

/**
 * A cache for coroutines over an [AsyncCache]: the same entries, single-flight loads, LRU/TTL,
 * batching and metrics, with suspend functions as loaders. Create one with [SuspendingCache] (the
 * factory function) or wrap an existing Java cache with [AsyncCache.asSuspending].
 *
 * ## Where loaders run, and what cancellation does
 *
 * A suspend loader runs in a scope the cache owns (a [kotlinx.coroutines.SupervisorJob] with the
 * dispatcher chosen at creation, [Dispatchers.Default] unless told otherwise), never in the job of
 * the caller whose miss started it.
 *
 * **The context rule.** A load runs with the coroutine context of the caller that started it, minus
 * that caller's [kotlinx.coroutines.Job], and with the cache's dispatcher (the caller's own only if
 * the cache was created with `loadOnCallerDispatcher = true`). So a loader sees the caller's
 * `MDCContext` (kotlinx-coroutines-slf4j), OpenTelemetry context element, any other
 * [kotlinx.coroutines.ThreadContextElement] and its [kotlinx.coroutines.CoroutineName]:
 * - a load started by a miss: the context of that caller; callers that join the load later do not
 *   change what the running loader sees;
 * - a batch: the context of the call that opened the batch (for [getAll], of the caller whose keys
 *   fill a batch of their own);
 * - a refresh-after-write reload: the context of the read that found the entry due;
 * - [warmup]: the context of the `warmup` call.
 *
 * For a Java cache wrapped with [asSuspending], batches follow the rule only if that cache was built
 * with [coroutineContextTaskDecorator] (the factory does it for you); otherwise they run with the
 * cache's scope alone. Because the caller's job is left out:
 * - **A cancelled caller never cancels a load.** It stops waiting at once and gets
 *   [CancellationException]; the load runs on, its other waiters get its value, and the value is
 *   cached. This holds for the caller whose miss started the load too.
 * - **No waiter is left hanging** and no [CancellationException] reaches a caller that was not
 *   cancelled: a loader that throws `CancellationException` without having been cancelled (for
 *   example a `withTimeout` inside it) fails its load with a [dev.asynccache.CacheException] whose
 *   cause is that exception. The same holds for a Java loader whose stage was cancelled.
 * - **Closing** the cache ([close]) closes the Java cache (waiters of unfinished loads fail with
 *   [CacheClosedException]) and cancels the scope, so the loaders still running are cancelled.
 * - **No call blocks a thread**: a miss suspends until the load settles; a hit returns without
 *   suspending.
 *
 * A loader that asks the cache for its own key (directly or through other suspend loads) fails at
 * once with [dev.asynccache.RecursiveLoadException] instead of waiting for itself: each loader's
 * coroutine carries a context element naming the loads it belongs to. (A batch function's chain
 * links to the chain of the call that opened the batch only: a cycle that passes through a batch
 * and back into the loader of another of its callers is not seen.)
 *
 * ## Keys, values, nulls
 *
 * Keys must have consistent `equals`/`hashCode` and must not change while cached. Values are never
 * null. Every method is thread-safe.
 *
 * ## Time to live
 *
 * A `ttl` of `null` means the cache's default TTL; [Duration.INFINITE] means "never expires",
 * whatever the default; any other value must be positive ([IllegalArgumentException] otherwise,
 * thrown before anything is loaded or written).
 *
 * @param K the key type
 * @param V the value type
 */
public interface SuspendingCache<K : Any, V : Any> : AutoCloseable {

    /**
     * Returns the value of [key], loading it with [loader] on a miss. Concurrent misses of one key
     * (from coroutines or Java threads alike) share one call of one loader, which runs with the
     * context of the caller that started it, minus its job (see the class documentation).
     *
     * A hit returns without suspending. A miss suspends until the load settles; cancelling the
     * caller stops only its own wait (see the class documentation).
     *
     * @param key the key
     * @param ttl the time to live of a loaded value: `null` for the cache's default,
     *   [Duration.INFINITE] for none
     * @param loader computes the value; runs in the cache's scope, at most once for concurrent
     *   callers
     * @return the value
     * @throws IllegalArgumentException if [ttl] is zero or negative
     * @throws NoSuchElementException if the load this call joined was started by a Java caller whose
     *   loader returned `null` (a Kotlin loader cannot)
     * @throws LoadTimeoutException if the load ran longer than the cache's `loadTimeout` (the
     *   loader's coroutine is then cancelled)
     * @throws CacheClosedException if the cache is or gets closed
     * @throws CancellationException if the calling coroutine was cancelled
     * @throws Throwable whatever [loader] threw: every waiter of the load gets it, nothing is
     *   cached, and the next call loads again
     */
    public suspend fun get(key: K, ttl: Duration? = null, loader: suspend () -> V): V

    /**
     * Returns the value of [key]; a miss joins the batch of [batchLoader] that is collecting keys
     * (one batch window, at most `maxBatchSize` keys), DataLoader style. Batches are collected per
     * batch loader by equality: see [SuspendBatchLoader] for how to keep calls in one batch.
     *
     * The batch function runs in the cache's scope and no thread waits for it (the core gets the
     * coroutine's future). Cancelling the caller stops only its own wait; the batch goes on for its
     * other keys and callers.
     *
     * @param key the key
     * @param batchLoader loads a batch of keys
     * @return the value, or `null` if the batch loader returned none for [key]
     * @throws BatchLoadException if the batch loader broke its contract
     * @throws LoadTimeoutException if the batch ran longer than the cache's `loadTimeout`
     * @throws CacheClosedException if the cache is or gets closed
     * @throws CancellationException if the calling coroutine was cancelled
     * @throws Throwable whatever the batch function threw: every caller of the batch gets it
     */
    public suspend fun get(key: K, batchLoader: SuspendBatchLoader<K, V>): V?

    /**
     * Returns the values of [keys]: cached ones at once, the others through [batchLoader], which is
     * dispatched without waiting for the rest of its batch window (split into calls of at most
     * `maxBatchSize` keys). Batches are shared with [get] calls passing an equal batch loader.
     *
     * @param keys the keys; duplicates are ignored
     * @param batchLoader loads the missing keys
     * @return the keys that have a value, mapped to it
     * @throws BatchLoadException if the batch loader broke its contract
     * @throws CacheClosedException if the cache is or gets closed
     * @throws CancellationException if the calling coroutine was cancelled (the batches go on)
     * @throws Throwable whatever the batch function threw
     */
    public suspend fun getAll(keys: Collection<K>, batchLoader: SuspendBatchLoader<K, V>): Map<K, V>

    /**
     * Returns the cached value of [key] without loading; never suspends.
     *
     * @return the value, or `null` when absent or expired
     * @throws CacheClosedException if the cache is closed
     */
    public fun getIfPresent(key: K): V?

    /**
     * Stores [value] under [key], replacing any value and keeping a load of [key] in flight out of
     * the cache. With a write-through persistence backend this writes to it before returning.
     *
     * @param ttl `null` for the cache's default, [Duration.INFINITE] for none, else positive
     * @throws IllegalArgumentException if [ttl] is zero or negative
     * @throws CacheClosedException if the cache is closed
     */
    public fun set(key: K, value: V, ttl: Duration? = null)

    /**
     * Removes [key] and keeps a load of it in flight out of the cache.
     *
     * @return `true` if a live entry was removed
     * @throws CacheClosedException if the cache is closed
     */
    public fun delete(key: K): Boolean

    /**
     * Removes every entry and keeps the loads in flight out of the cache.
     *
     * @throws CacheClosedException if the cache is closed
     */
    public fun clear()

    /**
     * Loads the given keys concurrently and returns when every one has settled: structured
     * concurrency, each key a child coroutine of a `coroutineScope`. A key that is cached or loading
     * is not loaded again. A failure is reported in the result and does not stop the others.
     *
     * Cancelling the caller cancels the warmup: every child stops waiting and this function throws
     * [CancellationException] once they have all finished. Loads it started go on in the cache's
     * scope, as for any cancelled caller, because other callers may have joined them.
     *
     * @param loaders a loader per key
     * @return which keys loaded, which failed and with what; [WarmupResult.missing] holds only keys
     *   whose joined load was started by a Java caller whose loader returned `null`
     * @throws CacheClosedException if the cache is closed
     * @throws CancellationException if the calling coroutine was cancelled
     */
    public suspend fun warmup(loaders: Map<K, suspend () -> V>): WarmupResult<K>

    /** Returns a snapshot of the counters; see [CacheMetrics] for when each one moves. */
    public fun metrics(): CacheMetrics

    /** Returns the number of entries held, expired ones not yet removed included. */
    public fun size(): Long

    /**
     * Removes the expired entries now.
     *
     * @throws CacheClosedException if the cache is closed
     */
    public fun cleanUp()

    /**
     * Writes every live entry to the persistence backend, on [Dispatchers.IO] (interruptible).
     *
     * @return the number of entries written
     * @throws IllegalStateException if the cache has no persistence backend
     * @throws CacheClosedException if the cache is closed
     */
    public suspend fun saveToBackend(): Long

    /**
     * Restores the backend's entries into the cache, on [Dispatchers.IO] (interruptible).
     *
     * @return the number of entries restored
     * @throws IllegalStateException if the cache has no persistence backend
     * @throws CacheClosedException if the cache is closed
     */
    public suspend fun loadFromBackend(): Long

    /**
     * Returns the Java cache underneath. Java callers of it share entries and loads with the
     * Kotlin callers of this cache.
     */
    public fun asJava(): AsyncCache<K, V>

    /**
     * Closes the Java cache (waiters of unfinished loads fail with [CacheClosedException]) and
     * cancels the scope the loaders run in. Closing twice does nothing.
     */
    override fun close()

    /** Holds [UNBOUNDED]. */
    public companion object {
        /** Pass as `maxSize` for a cache without a size bound. */
        public const val UNBOUNDED: Long = Long.MAX_VALUE
    }
}

/**
 * Creates a [SuspendingCache] over a new [AsyncCache]. The defaults are the core's.
 *
 * @param maxSize the most entries kept (the core's eviction policy chooses which go), at least 1,
 *   or [SuspendingCache.UNBOUNDED]
 * @param defaultTtl time to live of entries written without a `ttl`: `null` or
 *   [Duration.INFINITE] for none, else positive
 * @param batchWindow how long a batch collects keys, zero or more and finite
 * @param maxBatchSize the most keys per batch loader call, at least 1
 * @param loadTimeout bound on a load or batch: `null` or [Duration.INFINITE] for none, else
 *   positive
 * @param timeSource the clock for expiry (tests pass one they move by hand)
 * @param persistence a backend for `saveToBackend`/`loadFromBackend` (and every write if it is
 *   write-through); the cache closes it
 * @param saveOnShutdown save a snapshot when closed and at JVM shutdown (needs [persistence])
 * @param saveInterval save a snapshot this often: `null` for never, else positive and finite
 * @param dispatcher where suspend loaders and batch loaders run
 * @param refreshAfterWrite reload an entry older than this in the background when a `get` with a
 *   loader finds it (the core's `refreshAfterWrite`): `null` for never, else positive and finite
 * @param staleIfError serve an expired value for this long when its reload fails (the core's
 *   `staleIfError`): `null` for never, else positive and finite
 * @param loadOnCallerDispatcher run each load on the dispatcher of the caller that started it
 *   instead of [dispatcher] (which then serves only callers that have none). Only for callers whose
 *   dispatchers outlive the loads they start: a load is shared, and runs on after its starter left
 * @return a new cache; close it when done
 * @throws IllegalArgumentException if an option is out of range (the message names it)
 * @throws IllegalStateException if [saveOnShutdown] or [saveInterval] is set without [persistence]
 */
@Suppress("FunctionName") // a factory named after the type it creates, as CoroutineScope()
public fun <K : Any, V : Any> SuspendingCache(
    maxSize: Long = 128,
    defaultTtl: Duration? = null,
    batchWindow: Duration = 5.milliseconds,
    maxBatchSize: Int = 100,
    loadTimeout: Duration? = null,
    timeSource: TimeSource = TimeSource.system(),
    persistence: PersistenceBackend<K, V>? = null,
    saveOnShutdown: Boolean = false,
    saveInterval: Duration? = null,
    dispatcher: CoroutineDispatcher = Dispatchers.Default,
    refreshAfterWrite: Duration? = null,
    staleIfError: Duration? = null,
    loadOnCallerDispatcher: Boolean = false,
): SuspendingCache<K, V> {
    val builder = AsyncCache.builder()
    if (maxSize == SuspendingCache.UNBOUNDED) builder.unbounded() else builder.maxSize(maxSize)
    optionalPositive(defaultTtl, "defaultTtl")?.let { builder.defaultTtl(it) }
    builder.batchWindow(nonNegativeFinite(batchWindow, "batchWindow"))
    builder.maxBatchSize(maxBatchSize)
    optionalPositive(loadTimeout, "loadTimeout")?.let { builder.loadTimeout(it) }
    if (timeSource !== TimeSource.system()) builder.timeSource(timeSource)
    persistence?.let { builder.persistence(it) }
    if (saveOnShutdown) builder.saveOnShutdown(true)
    saveInterval?.let { builder.saveInterval(positiveFinite(it, "saveInterval")) }
    refreshAfterWrite?.let { builder.refreshAfterWrite(positiveFinite(it, "refreshAfterWrite")) }
    staleIfError?.let { builder.staleIfError(positiveFinite(it, "staleIfError")) }
    builder.taskDecorator(coroutineContextTaskDecorator()) // batches get their opener's context
    return DefaultSuspendingCache(builder.build(), dispatcher, loadOnCallerDispatcher)
}

/**
 * Wraps this Java cache for coroutines. Kotlin and Java callers share its entries and loads;
 * suspend loaders run in a new scope with [dispatcher], with the context of the caller that started
 * them minus its job (see [SuspendingCache]). Batch functions get the context of the call that
 * opened their batch only if this cache was built with
 * `taskDecorator(coroutineContextTaskDecorator())`. Closing the returned cache closes this one.
 *
 * @param dispatcher where suspend loaders and batch loaders run
 * @param loadOnCallerDispatcher run each load on the dispatcher of the caller that started it
 *   instead (see the factory's parameter of that name)
 * @return the suspending view
 */
public fun <K : Any, V : Any> AsyncCache<K, V>.asSuspending(
    dispatcher: CoroutineDispatcher = Dispatchers.Default,
    loadOnCallerDispatcher: Boolean = false,
): SuspendingCache<K, V> = DefaultSuspendingCache(this, dispatcher, loadOnCallerDispatcher)
