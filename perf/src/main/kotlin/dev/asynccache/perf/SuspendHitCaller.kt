package dev.asynccache.perf

import dev.asynccache.AsyncCache
import dev.asynccache.coroutines.SuspendingCache
import dev.asynccache.coroutines.asSuspending
import java.util.function.Function
import kotlin.coroutines.Continuation
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext
import kotlin.coroutines.intrinsics.COROUTINE_SUSPENDED
import kotlinx.coroutines.runBlocking

/**
 * Lets a Java JMH benchmark call [SuspendingCache.get] on a hit (benchmark 7).
 *
 * [get] makes the suspend call on the calling thread with no dispatcher and no event loop, the
 * way a running coroutine calls it: the suspend function is invoked with a completion and returns
 * its result at once. That is what a coroutine pays when its `get` hits, plus one interface call
 * and one tail call of the bridge, which [getIfPresentInCoroutine] measures alone. A hit must not
 * suspend; if the call suspends (a miss, or an adapter that no longer returns synchronously on a
 * hit) it throws [IllegalStateException], so the benchmark fails instead of timing something else.
 *
 * [getRunBlocking] is the other way into a coroutine from plain code, `runBlocking`; it also sets
 * up and tears down an event loop and a coroutine with a job on every call, so it measures that
 * setup more than the cache.
 *
 * The loader of both `get`s captures the key, as callers write it (`cache.get(id) { find(id) }`),
 * like the Java `get(key, () -> loader.apply(key))` it is compared with.
 *
 * The calls are as thread-safe as the cache; close it only when no call is running.
 *
 * @param K the key type
 * @param V the value type
 * @param java the Java cache to read; the suspending view over it is [SuspendingCache] from
 *   [asSuspending], so both APIs read the very same entries
 * @param loader called with the key on a miss (a hit benchmark's loader throws)
 */
public class SuspendHitCaller<K : Any, V : Any>(
    java: AsyncCache<K, V>,
    private val loader: Function<in K, out V>,
) : AutoCloseable {

    private val cache: SuspendingCache<K, V> = java.asSuspending()

    /*
     * Each call goes the way compiled Kotlin calls a suspend function: the function is invoked
     * with one more argument, the completion, and returns its result or COROUTINE_SUSPENDED. The
     * functions are invoked through their JVM form (a suspend function of one parameter is a
     * Function2 taking the continuation last) rather than started with
     * startCoroutineUninterceptedOrReturn: for a function reference that intrinsic allocates a
     * wrapper coroutine per call, and for a suspend lambda a new instance of the lambda, neither of
     * which a coroutine that calls `get` pays. Both functions only tail-call, so they have no state
     * machine of their own.
     */
    @Suppress("UNCHECKED_CAST")
    private val suspendGet = (::callGet as suspend (K) -> V) as Function2<K, Continuation<V>, Any?>

    @Suppress("UNCHECKED_CAST")
    private val suspendGetIfPresent =
        (::callGetIfPresent as suspend (K) -> V?) as Function2<K, Continuation<V?>, Any?>

    private suspend fun callGet(key: K): V = cache.get(key) { loader.apply(key) }

    @Suppress("RedundantSuspendModifier") // the point: a suspend call that never suspends
    private suspend fun callGetIfPresent(key: K): V? = cache.getIfPresent(key)

    /**
     * `suspend get(key) { loader(key) }` from plain code, without a dispatcher hop.
     *
     * @return the cached value
     * @throws IllegalStateException if the call suspended, i.e. [key] was not a hit
     */
    public fun get(key: K): V = startOnHit(suspendGet, key)

    /**
     * The bridge alone: a suspend function called as in [get] whose body is the non-suspending
     * `getIfPresent`. Its cost minus `getIfPresent`'s is what [get] pays for being called from
     * a plain Java benchmark method rather than from a running coroutine.
     *
     * @return the cached value, or `null`
     */
    public fun getIfPresentInCoroutine(key: K): V? = startOnHit(suspendGetIfPresent, key)

    /**
     * `runBlocking { get(key) { loader(key) } }`: the suspend get inside a new event loop and a new
     * blocking coroutine on every call.
     *
     * @return the value
     */
    public fun getRunBlocking(key: K): V = runBlocking { cache.get(key) { loader.apply(key) } }

    /** Closes the suspending view and the Java cache under it. */
    override fun close() {
        cache.close()
    }

    private fun <T> startOnHit(function: Function2<K, Continuation<T>, Any?>, key: K): T {
        @Suppress("UNCHECKED_CAST")
        val outcome = function.invoke(key, NeverResumed as Continuation<T>)
        check(outcome !== COROUTINE_SUSPENDED) {
            "the suspend call for key $key suspended: it was not a hit, so a hit benchmark would time something else"
        }
        @Suppress("UNCHECKED_CAST")
        return outcome as T
    }

    /**
     * The completion passed to the calls. A call that completes synchronously returns its result
     * directly and never resumes it; one that suspended has already failed [startOnHit], and its
     * late result is dropped.
     */
    private object NeverResumed : Continuation<Any?> {
        override val context: CoroutineContext get() = EmptyCoroutineContext

        override fun resumeWith(result: Result<Any?>) {}
    }
}
