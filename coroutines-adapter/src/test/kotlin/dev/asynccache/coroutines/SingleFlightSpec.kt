package dev.asynccache.coroutines

import dev.asynccache.AsyncCache
import dev.asynccache.CacheClosedException
import dev.asynccache.CacheException
import dev.asynccache.Loader
import dev.asynccache.LoadTimeoutException
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicReferenceArray
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.joinAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout

/** What one waiter got: its value or its exception. */
private sealed interface Outcome {
    data class Value(val value: String) : Outcome
    data class Failed(val error: Throwable) : Outcome
}

class SingleFlightSpec : FunSpec({

    /**
     * Starts [n] coroutines on Dispatchers.Default that all get "k" from [cache] with a loader that
     * waits for [gate]; returns once every one of them is waiting for the one load.
     */
    suspend fun kotlinx.coroutines.CoroutineScope.herd(
        cache: SuspendingCache<String, String>,
        n: Int,
        calls: AtomicInteger,
        gate: CompletableDeferred<Unit>,
        outcomes: AtomicReferenceArray<Outcome>,
    ): List<Job> {
        val jobs = List(n) { i ->
            launch(Dispatchers.Default) {
                try {
                    val v = cache.get("k") {
                        calls.incrementAndGet()
                        gate.await()
                        "value"
                    }
                    outcomes.set(i, Outcome.Value(v))
                } catch (e: Throwable) {
                    outcomes.set(i, Outcome.Failed(e))
                    throw e
                }
            }
        }
        // every caller has missed: one started the load, all the others joined it (a miss is
        // counted before the join, so wait for the joins)
        awaitCondition { cache.metrics().joinedLoadCount == n - 1L }
        cache.metrics().missCount shouldBe n.toLong()
        return jobs
    }

    test("1000 concurrent coroutines on one cold key call the loader once (50 repetitions)") {
        repeat(50) {
            SuspendingCache<String, String>().use { cache ->
                val calls = AtomicInteger()
                val gate = CompletableDeferred<Unit>()
                val outcomes = AtomicReferenceArray<Outcome>(1000)
                hangDetector {
                    coroutineScope {
                        herd(cache, 1000, calls, gate, outcomes)
                        gate.complete(Unit)
                    }
                }
                calls.get() shouldBe 1
                for (i in 0 until 1000) outcomes.get(i) shouldBe Outcome.Value("value")
                cache.getIfPresent("k") shouldBe "value"
            }
        }
    }

    test("cancelling the caller that started the load: the load goes on for the others (20 repetitions)") {
        repeat(20) {
            SuspendingCache<String, String>().use { cache ->
                val calls = AtomicInteger()
                val started = CompletableDeferred<Unit>()
                val gate = CompletableDeferred<Unit>()
                hangDetector {
                    coroutineScope {
                        val first = async(Dispatchers.Default) {
                            cache.get("k") {
                                calls.incrementAndGet()
                                started.complete(Unit)
                                gate.await()
                                "value"
                            }
                        }
                        started.await() // the load is provably in flight, started by `first`
                        val others = List(99) {
                            async(Dispatchers.Default) { cache.get("k") { error("second load") } }
                        }
                        awaitCondition { cache.metrics().joinedLoadCount == 99L }

                        first.cancel()
                        first.join() // it stops waiting while the load is still in flight
                        gate.isCompleted shouldBe false
                        shouldThrow<CancellationException> { first.await() }

                        gate.complete(Unit)
                        others.forEach { it.await() shouldBe "value" }
                    }
                }
                calls.get() shouldBe 1
                cache.getIfPresent("k") shouldBe "value"
                cache.metrics().loadSuccessCount shouldBe 1
            }
        }
    }

    test("cancelling half of 1000 waiters mid-load: they get CancellationException, the others the value (10 repetitions)") {
        repeat(10) {
            SuspendingCache<String, String>().use { cache ->
                val n = 1000
                val calls = AtomicInteger()
                val gate = CompletableDeferred<Unit>()
                val outcomes = AtomicReferenceArray<Outcome>(n)
                hangDetector {
                    coroutineScope {
                        val jobs = herd(cache, n, calls, gate, outcomes)
                        val cancelled = jobs.filterIndexed { i, _ -> i % 2 == 0 } // index 0 started the load
                        cancelled.forEach { it.cancel() }
                        cancelled.joinAll() // all stopped waiting before the load finished
                        gate.isCompleted shouldBe false
                        gate.complete(Unit)
                        jobs.joinAll()
                    }
                }
                calls.get() shouldBe 1
                for (i in 0 until n) {
                    val outcome = outcomes.get(i)
                    if (i % 2 == 0) {
                        outcome.shouldBeInstanceOf<Outcome.Failed>().error.shouldBeInstanceOf<CancellationException>()
                    } else {
                        outcome shouldBe Outcome.Value("value") // no CancellationException leaked here
                    }
                }
                cache.getIfPresent("k") shouldBe "value"
            }
        }
    }

    test("a hit returns without suspending") {
        SuspendingCache<String, String>().use { cache ->
            cache.set("k", "cached")
            runBlocking {
                var got: String? = null
                // UNDISPATCHED runs the body in place up to its first suspension; runBlocking's event
                // loop has not run yet, so a suspension here would leave the job unfinished.
                val job = launch(start = CoroutineStart.UNDISPATCHED) { got = cache.get("k") { error("no load") } }
                job.isCompleted shouldBe true
                got shouldBe "cached"
            }
        }
    }

    test("a throwing loader: every waiter gets its exception, nothing is cached, the next call loads again") {
        SuspendingCache<String, String>().use { cache ->
            val calls = AtomicInteger()
            val gate = CompletableDeferred<Unit>()
            hangDetector {
                coroutineScope {
                    val waiters = List(200) {
                        async(Dispatchers.Default) {
                            runCatching {
                                cache.get("k") {
                                    calls.incrementAndGet()
                                    gate.await()
                                    throw Boom("backend down")
                                }
                            }
                        }
                    }
                    awaitCondition { cache.metrics().joinedLoadCount == 199L }
                    gate.complete(Unit)
                    waiters.forEach {
                        val failure = it.await().exceptionOrNull()
                        failure.shouldBeInstanceOf<Boom>().message shouldBe "backend down"
                    }
                }
            }
            calls.get() shouldBe 1
            cache.getIfPresent("k").shouldBeNull()
            cache.metrics().loadFailureCount shouldBe 1
            cache.get("k") { calls.incrementAndGet(); "recovered" } shouldBe "recovered"
            calls.get() shouldBe 2
        }
    }

    test("a loader that throws CancellationException on its own does not pose as the waiters' cancellation") {
        SuspendingCache<String, String>().use { cache ->
            val failure = shouldThrow<CacheException> {
                cache.get("k") { withTimeout(1.milliseconds) { CompletableDeferred<String>().await() } }
            }
            failure.message shouldContain "cancelled although no caller cancelled it"
            // (with assertions on, kotlinx.coroutines hands each caller a copy with the original as cause)
            generateSequence<Throwable>(failure) { it.cause }.any { it is CancellationException } shouldBe true
            cache.getIfPresent("k").shouldBeNull()
        }
    }

    test("Java and Kotlin callers of one cache share entries and loads") {
        val java = AsyncCache.builder().build<String, String>()
        java.asSuspending().use { cache ->
            val calls = AtomicInteger()
            val started = CompletableDeferred<Unit>()
            val gate = CompletableDeferred<Unit>()
            hangDetector {
                coroutineScope {
                    val kotlinCaller = async(Dispatchers.Default) {
                        cache.get("k") { calls.incrementAndGet(); started.complete(Unit); gate.await(); "from kotlin" }
                    }
                    started.await()
                    val javaResult = CompletableDeferred<String?>()
                    Thread.ofVirtual().start {
                        javaResult.complete(java.get("k", Loader { calls.incrementAndGet(); "from java" }))
                    }
                    awaitCondition { cache.metrics().joinedLoadCount == 1L }
                    gate.complete(Unit)
                    kotlinCaller.await() shouldBe "from kotlin"
                    javaResult.await() shouldBe "from kotlin"
                }
            }
            calls.get() shouldBe 1
            cache.asJava() shouldBe java
            java.set("j", "set in java")
            cache.get("j") { "never" } shouldBe "set in java"
        }
    }

    test("loadTimeout: waiters get LoadTimeoutException, and the overrunning loader is cancelled") {
        SuspendingCache<String, String>(loadTimeout = 50.milliseconds).use { cache ->
            val loaderCancelled = CompletableDeferred<Throwable>()
            hangDetector {
                shouldThrow<LoadTimeoutException> {
                    cache.get("k") {
                        try {
                            CompletableDeferred<String>().await() // never completes by itself
                        } catch (e: CancellationException) {
                            loaderCancelled.complete(e)
                            throw e
                        }
                    }
                }
                loaderCancelled.await().shouldBeInstanceOf<CancellationException>()
            }
            cache.getIfPresent("k").shouldBeNull()
            cache.metrics().loadFailureCount shouldBe 1
        }
    }

    test("close fails the waiters with CacheClosedException and cancels the running loaders") {
        val cache = SuspendingCache<String, String>()
        val started = CompletableDeferred<Unit>()
        val loaderCancelled = CompletableDeferred<Throwable>()
        hangDetector {
            coroutineScope {
                val waiter = async(Dispatchers.Default) {
                    runCatching {
                        cache.get("k") {
                            started.complete(Unit)
                            try {
                                CompletableDeferred<String>().await() // never completes by itself
                            } catch (e: CancellationException) {
                                loaderCancelled.complete(e)
                                throw e
                            }
                        }
                    }
                }
                started.await()
                cache.close()
                waiter.await().exceptionOrNull().shouldBeInstanceOf<CacheClosedException>()
                loaderCancelled.await().shouldBeInstanceOf<CancellationException>()
            }
        }
        shouldThrow<CacheClosedException> { cache.get("k") { "late" } }
        cache.close() // twice: nothing happens
    }
})
