package dev.asynccache.coroutines

import dev.asynccache.CacheClosedException
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async

class WarmupSpec : FunSpec({

    test("loads every key concurrently, reports per-key failures, returns after all have settled") {
        SuspendingCache<Int, String>().use { cache ->
            cache.set(0, "already there")
            val gate = CompletableDeferred<Unit>()
            val running = AtomicInteger()
            val finished = AtomicInteger()
            val loaders: Map<Int, suspend () -> String> = (0 until 20).associateWith { key ->
                suspend {
                    running.incrementAndGet()
                    gate.await() // all loads overlap: none finishes before all have started
                    finished.incrementAndGet()
                    if (key % 5 == 4) throw Boom("key $key failed") else "value-$key"
                }
            }
            val result = hangDetector {
                val warmup = async(Dispatchers.Default) { cache.warmup(loaders) }
                awaitCondition { running.get() == 19 } // key 0 is cached: not loaded again
                gate.complete(Unit)
                warmup.await()
            }
            finished.get() shouldBe 19
            result.loaded() shouldBe (0 until 20).filter { it % 5 != 4 }.toSet()
            result.failed().keys shouldBe setOf(4, 9, 14, 19)
            result.failed()[9].shouldBeInstanceOf<Boom>().message shouldBe "key 9 failed"
            result.missing() shouldBe emptySet()
            result.isComplete shouldBe false
            cache.getIfPresent(0) shouldBe "already there"
            cache.getIfPresent(3) shouldBe "value-3"
            cache.getIfPresent(4) shouldBe null
        }
    }

    test("cancelling the caller cancels the warmup at once; the shared loads go on and are cached") {
        SuspendingCache<Int, String>().use { cache ->
            val gate = CompletableDeferred<Unit>()
            val running = AtomicInteger()
            val loaders: Map<Int, suspend () -> String> = (1..10).associateWith { key ->
                suspend { running.incrementAndGet(); gate.await(); "value-$key" }
            }
            hangDetector {
                val warmup = async(Dispatchers.Default) { cache.warmup(loaders) }
                awaitCondition { running.get() == 10 }
                warmup.cancel()
                warmup.join() // returns while every load is still waiting for the gate
                gate.isCompleted shouldBe false
                shouldThrow<CancellationException> { warmup.await() }
                gate.complete(Unit)
                awaitCondition { cache.size() == 10L }
            }
            cache.getIfPresent(7) shouldBe "value-7"
        }
    }

    test("a closed cache fails the whole warmup with CacheClosedException") {
        val cache = SuspendingCache<Int, String>()
        cache.close()
        shouldThrow<CacheClosedException> { cache.warmup(mapOf(1 to suspend { "x" })) }
    }
})
