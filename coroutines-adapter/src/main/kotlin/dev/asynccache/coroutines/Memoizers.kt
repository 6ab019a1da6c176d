package dev.asynccache.coroutines

import dev.asynccache.CacheMetrics
import dev.asynccache.TimeSource
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers

/*
 * Memoizers for suspend functions: the Kotlin counterparts of the seed's AsyncLRU / AsyncTTL and of
 * the core's dev.asynccache.memoize.Memoizer. Each memoized function owns a SuspendingCache keyed by
 * its (non-skipped) arguments, so it inherits single-flight and the cancellation rules of
 * SuspendingCache.get.
 */

/** The default size bound of both flavours, as the core's `Memoizer.DEFAULT_MAX_SIZE`. */
public const val DEFAULT_MEMO_MAX_SIZE: Long = 128

/** The default time to live of the TTL flavour, as the core's `Memoizer.DEFAULT_TIME_TO_LIVE`. */
public val DEFAULT_MEMO_TIME_TO_LIVE: Duration = 60.seconds

/**
 * What every memoized suspend function offers besides being called: see [SuspendMemoized1],
 * [SuspendMemoized2], [SuspendMemoized3].
 */
public interface SuspendMemoized {
    /** Forgets every cached result. */
    public fun invalidateAll()

    /** Returns the counters of the underlying cache. */
    public fun metrics(): CacheMetrics
}

/**
 * A suspend function of one argument whose results are cached per argument (compared with
 * `equals`, arrays by content, `null` allowed): concurrent calls with an equal argument run the
 * function once, in a scope the memoizer owns, and a cancelled caller never cancels that run.
 * Failures are not cached. Thread-safe.
 */
public interface SuspendMemoized1<A, R : Any> : SuspendMemoized {
    /** Returns the cached result for [a], calling the function on a miss. */
    public suspend operator fun invoke(a: A): R

    /**
     * Calls the function again whatever is cached, caches the fresh result and returns it (the
     * seed's `use_cache=False`). A cached result is dropped first, so calls made meanwhile wait for
     * the fresh one; concurrent refreshes of one argument share one call.
     */
    public suspend fun refresh(a: A): R

    /** Forgets the cached result for [a]. */
    public fun invalidate(a: A)
}

/** As [SuspendMemoized1], for two arguments. */
public interface SuspendMemoized2<A, B, R : Any> : SuspendMemoized {
    /** Returns the cached result for the arguments, calling the function on a miss. */
    public suspend operator fun invoke(a: A, b: B): R

    /** Calls the function again, caches and returns the fresh result; see [SuspendMemoized1.refresh]. */
    public suspend fun refresh(a: A, b: B): R

    /** Forgets the cached result for the arguments. */
    public fun invalidate(a: A, b: B)
}

/** As [SuspendMemoized1], for three arguments. */
public interface SuspendMemoized3<A, B, C, R : Any> : SuspendMemoized {
    /** Returns the cached result for the arguments, calling the function on a miss. */
    public suspend operator fun invoke(a: A, b: B, c: C): R

    /** Calls the function again, caches and returns the fresh result; see [SuspendMemoized1.refresh]. */
    public suspend fun refresh(a: A, b: B, c: C): R

    /** Forgets the cached result for the arguments. */
    public fun invalidate(a: A, b: B, c: C)
}

/**
 * Memoizes [function], keeping the [maxSize] most recently used results (the seed's `AsyncLRU`).
 *
 * @param maxSize at least 1
 * @param skipLeadingArgs how many leading arguments (a client, a receiver) to leave out of the key
 * @param dispatcher where the function runs
 * @throws IllegalArgumentException if [maxSize] < 1 or [skipLeadingArgs] is negative or more than
 *   the function's arity
 */
public fun <A, R : Any> memoizeLru(
    maxSize: Long = DEFAULT_MEMO_MAX_SIZE,
    skipLeadingArgs: Int = 0,
    dispatcher: CoroutineDispatcher = Dispatchers.Default,
    function: suspend (A) -> R,
): SuspendMemoized1<A, R> = Memo1(MemoCalls(1, skipLeadingArgs, maxSize, null, TimeSource.system(), dispatcher), function)

/** As [memoizeLru] for one argument; [skipLeadingArgs] may be 0 to 2. */
public fun <A, B, R : Any> memoizeLru(
    maxSize: Long = DEFAULT_MEMO_MAX_SIZE,
    skipLeadingArgs: Int = 0,
    dispatcher: CoroutineDispatcher = Dispatchers.Default,
    function: suspend (A, B) -> R,
): SuspendMemoized2<A, B, R> = Memo2(MemoCalls(2, skipLeadingArgs, maxSize, null, TimeSource.system(), dispatcher), function)

/** As [memoizeLru] for one argument; [skipLeadingArgs] may be 0 to 3. */
public fun <A, B, C, R : Any> memoizeLru(
    maxSize: Long = DEFAULT_MEMO_MAX_SIZE,
    skipLeadingArgs: Int = 0,
    dispatcher: CoroutineDispatcher = Dispatchers.Default,
    function: suspend (A, B, C) -> R,
): SuspendMemoized3<A, B, C, R> = Memo3(MemoCalls(3, skipLeadingArgs, maxSize, null, TimeSource.system(), dispatcher), function)

/**
 * Memoizes [function]; each result lives [timeToLive], at most [maxSize] of them are kept (the
 * seed's `AsyncTTL`).
 *
 * @param timeToLive positive, or [Duration.INFINITE] for no expiry
 * @param maxSize at least 1
 * @param skipLeadingArgs how many leading arguments to leave out of the key
 * @param timeSource the clock for expiry (tests pass one they move by hand)
 * @param dispatcher where the function runs
 * @throws IllegalArgumentException if an option is out of range (the message names it)
 */
public fun <A, R : Any> memoizeTtl(
    timeToLive: Duration = DEFAULT_MEMO_TIME_TO_LIVE,
    maxSize: Long = DEFAULT_MEMO_MAX_SIZE,
    skipLeadingArgs: Int = 0,
    timeSource: TimeSource = TimeSource.system(),
    dispatcher: CoroutineDispatcher = Dispatchers.Default,
    function: suspend (A) -> R,
): SuspendMemoized1<A, R> = Memo1(MemoCalls(1, skipLeadingArgs, maxSize, timeToLive, timeSource, dispatcher), function)

/** As [memoizeTtl] for one argument; [skipLeadingArgs] may be 0 to 2. */
public fun <A, B, R : Any> memoizeTtl(
    timeToLive: Duration = DEFAULT_MEMO_TIME_TO_LIVE,
    maxSize: Long = DEFAULT_MEMO_MAX_SIZE,
    skipLeadingArgs: Int = 0,
    timeSource: TimeSource = TimeSource.system(),
    dispatcher: CoroutineDispatcher = Dispatchers.Default,
    function: suspend (A, B) -> R,
): SuspendMemoized2<A, B, R> = Memo2(MemoCalls(2, skipLeadingArgs, maxSize, timeToLive, timeSource, dispatcher), function)

/** As [memoizeTtl] for one argument; [skipLeadingArgs] may be 0 to 3. */
public fun <A, B, C, R : Any> memoizeTtl(
    timeToLive: Duration = DEFAULT_MEMO_TIME_TO_LIVE,
    maxSize: Long = DEFAULT_MEMO_MAX_SIZE,
    skipLeadingArgs: Int = 0,
    timeSource: TimeSource = TimeSource.system(),
    dispatcher: CoroutineDispatcher = Dispatchers.Default,
    function: suspend (A, B, C) -> R,
): SuspendMemoized3<A, B, C, R> = Memo3(MemoCalls(3, skipLeadingArgs, maxSize, timeToLive, timeSource, dispatcher), function)

/** The cache key of a memoized call: the arguments after the skipped ones, compared deeply. */
internal class ArgsKey(private val args: Array<out Any?>) {
    private val hash = args.contentDeepHashCode()

    override fun equals(other: Any?): Boolean =
        other is ArgsKey && other.hash == hash && other.args.contentDeepEquals(args)

    override fun hashCode(): Int = hash

    override fun toString(): String = args.contentDeepToString()
}

/** The cache of one memoized function, shared by the arity wrappers. */
internal class MemoCalls<R : Any>(
    arity: Int,
    private val skip: Int,
    maxSize: Long,
    timeToLive: Duration?,
    timeSource: TimeSource,
    dispatcher: CoroutineDispatcher,
) {
    init {
        require(skip in 0..arity) {
            "skipLeadingArgs must be between 0 and the function's $arity argument(s), was $skip"
        }
        require(maxSize >= 1) { "maxSize must be at least 1, was $maxSize" }
    }

    private val cache: SuspendingCache<ArgsKey, R> = SuspendingCache(
        maxSize = maxSize,
        defaultTtl = timeToLive?.also { optionalPositive(it, "timeToLive") },
        timeSource = timeSource,
        dispatcher = dispatcher,
    )

    fun key(vararg args: Any?): ArgsKey = ArgsKey(args.copyOfRange(skip, args.size))

    suspend fun get(key: ArgsKey, call: suspend () -> R): R = cache.get(key, loader = call)

    suspend fun refresh(key: ArgsKey, call: suspend () -> R): R {
        cache.delete(key)
        return cache.get(key, loader = call)
    }

    fun invalidate(key: ArgsKey) {
        cache.delete(key)
    }

    fun invalidateAll() = cache.clear()

    fun metrics(): CacheMetrics = cache.metrics()
}

private class Memo1<A, R : Any>(private val calls: MemoCalls<R>, private val f: suspend (A) -> R) :
    SuspendMemoized1<A, R> {
    override suspend fun invoke(a: A): R = calls.get(calls.key(a)) { f(a) }
    override suspend fun refresh(a: A): R = calls.refresh(calls.key(a)) { f(a) }
    override fun invalidate(a: A) = calls.invalidate(calls.key(a))
    override fun invalidateAll() = calls.invalidateAll()
    override fun metrics(): CacheMetrics = calls.metrics()
}

private class Memo2<A, B, R : Any>(private val calls: MemoCalls<R>, private val f: suspend (A, B) -> R) :
    SuspendMemoized2<A, B, R> {
    override suspend fun invoke(a: A, b: B): R = calls.get(calls.key(a, b)) { f(a, b) }
    override suspend fun refresh(a: A, b: B): R = calls.refresh(calls.key(a, b)) { f(a, b) }
    override fun invalidate(a: A, b: B) = calls.invalidate(calls.key(a, b))
    override fun invalidateAll() = calls.invalidateAll()
    override fun metrics(): CacheMetrics = calls.metrics()
}

private class Memo3<A, B, C, R : Any>(private val calls: MemoCalls<R>, private val f: suspend (A, B, C) -> R) :
    SuspendMemoized3<A, B, C, R> {
    override suspend fun invoke(a: A, b: B, c: C): R = calls.get(calls.key(a, b, c)) { f(a, b, c) }
    override suspend fun refresh(a: A, b: B, c: C): R = calls.refresh(calls.key(a, b, c)) { f(a, b, c) }
    override fun invalidate(a: A, b: B, c: C) = calls.invalidate(calls.key(a, b, c))
    override fun invalidateAll() = calls.invalidateAll()
    override fun metrics(): CacheMetrics = calls.metrics()
}
