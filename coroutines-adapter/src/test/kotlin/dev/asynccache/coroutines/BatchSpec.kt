package dev.asynccache.coroutines

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import java.util.Collections
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope

/** A repository whose batch function records every call. */
private class Users {
    val calls: MutableList<List<Int>> = Collections.synchronizedList(mutableListOf())
    val gate = CompletableDeferred<Unit>().apply { complete(Unit) }

    suspend fun findAll(ids: List<Int>): Map<Int, String> {
        calls += ids.toList()
        gate.await()
        return ids.filter { it >= 0 }.associateWith { "user-$it" } // negative ids do not exist
    }
}

class BatchSpec : FunSpec({

    // The window is long and the batch size equals the number of callers: the batch is dispatched
    // when the last caller joins it, so a test passes only if every call landed in one batch (and
    // hangs, caught by hangDetector, if they did not).
    fun cache(maxBatchSize: Int) =
        SuspendingCache<Int, String>(batchWindow = 1.minutes, maxBatchSize = maxBatchSize)

    test("N concurrent gets with one batch loader make one batch call (20 repetitions)") {
        repeat(20) {
            val n = 100
            cache(n).use { cache ->
                val users = Users()
                val loader = SuspendBatchLoader(name = "users", function = users::findAll)
                val values = hangDetector(10.seconds) {
                    coroutineScope {
                        (0 until n).map { id -> async(Dispatchers.Default) { cache.get(id, loader) } }.awaitAll()
                    }
                }
                values shouldBe (0 until n).map { "user-$it" }
                users.calls.size shouldBe 1
                users.calls.single() shouldContainExactlyInAnyOrder (0 until n).toList()
                cache.metrics().batchCallCount shouldBe 1
                cache.getIfPresent(42) shouldBe "user-42"
            }
        }
    }

    test("handles over equal function references share a batch, wherever they are created") {
        cache(2).use { cache ->
            val users = Users()
            val values = hangDetector(10.seconds) {
                coroutineScope {
                    val a = async(Dispatchers.Default) { cache.get(1, SuspendBatchLoader(function = users::findAll)) }
                    val b = async(Dispatchers.Default) { cache.get(2, SuspendBatchLoader(function = users::findAll)) }
                    listOf(a, b).awaitAll()
                }
            }
            values shouldBe listOf("user-1", "user-2")
            users.calls.size shouldBe 1
        }
    }

    test("getAll serves cached keys and loads the others in one call, without waiting for the window") {
        cache(100).use { cache ->
            val users = Users()
            val loader = SuspendBatchLoader(function = users::findAll)
            cache.set(1, "cached-1")
            val found = hangDetector(10.seconds) { cache.getAll(listOf(1, 2, 3, -4, 2), loader) }
            found shouldBe mapOf(1 to "cached-1", 2 to "user-2", 3 to "user-3")
            users.calls shouldBe listOf(listOf(2, 3, -4))
            cache.getIfPresent(-4).shouldBeNull()
        }
    }

    test("a key the batch function leaves out gets null and nothing is cached") {
        cache(1).use { cache ->
            val users = Users()
            val loader = SuspendBatchLoader(function = users::findAll)
            hangDetector(10.seconds) { cache.get(-1, loader) }.shouldBeNull()
            cache.size() shouldBe 0
        }
    }

    test("a throwing batch function fails every caller of the batch; the next call loads again") {
        cache(10).use { cache ->
            val calls = AtomicInteger()
            val failing = SuspendBatchLoader<Int, String> { _ -> calls.incrementAndGet(); throw Boom("batch down") }
            val failures = hangDetector(10.seconds) {
                coroutineScope {
                    (0 until 10).map { id ->
                        async(Dispatchers.Default) { runCatching { cache.get(id, failing) }.exceptionOrNull() }
                    }.awaitAll()
                }
            }
            failures.forEach { it.shouldBeInstanceOf<Boom>().message shouldBe "batch down" }
            calls.get() shouldBe 1
            cache.size() shouldBe 0
        }
    }

    test("a cancelled waiter leaves its batch; the other callers get their values") {
        cache(3).use { cache ->
            val users = Users()
            val gate = CompletableDeferred<Unit>()
            val started = CompletableDeferred<Unit>()
            val loader = SuspendBatchLoader<Int, String> { ids ->
                started.complete(Unit)
                gate.await()
                users.findAll(ids)
            }
            hangDetector(10.seconds) {
                coroutineScope {
                    val waiters = (1..3).map { id -> async(Dispatchers.Default) { cache.get(id, loader) } }
                    started.await() // the batch of all three is running
                    waiters[0].cancel()
                    shouldThrow<CancellationException> { waiters[0].await() }
                    gate.complete(Unit)
                    waiters[1].await() shouldBe "user-2"
                    waiters[2].await() shouldBe "user-3"
                }
            }
            cache.getIfPresent(1) shouldBe "user-1" // the cancelled caller's key was loaded and cached
        }
    }
})
