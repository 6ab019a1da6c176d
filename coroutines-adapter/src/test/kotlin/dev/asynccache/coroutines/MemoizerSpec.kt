package dev.asynccache.coroutines

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope

/** Stands for a client object passed first, as `self` is in the seed's decorators. */
private class Client(val name: String)

class MemoizerSpec : FunSpec({

    test("calls with equal arguments share one single-flight result") {
        val calls = AtomicInteger()
        val gate = CompletableDeferred<Unit>()
        val square = memoizeLru { x: Int -> calls.incrementAndGet(); gate.await(); x * x }
        val results = hangDetector {
            coroutineScope {
                val all = List(200) { async(Dispatchers.Default) { square(12) } }
                awaitCondition { square.metrics().joinedLoadCount == 199L }
                gate.complete(Unit)
                all.awaitAll()
            }
        }
        results.toSet() shouldBe setOf(144)
        calls.get() shouldBe 1
        square(13) shouldBe 169
        calls.get() shouldBe 2
    }

    test("LRU flavour keeps the maxSize most recently used results") {
        val calls = AtomicInteger()
        val f = memoizeLru(maxSize = 2) { x: Int -> calls.incrementAndGet(); "r$x" }
        f(1); f(2); f(1); f(3) // 2 is the least recently used when 3 arrives
        calls.get() shouldBe 3
        f(1) shouldBe "r1"
        calls.get() shouldBe 3
        f(2) shouldBe "r2"
        calls.get() shouldBe 4
    }

    test("TTL flavour expires results by the injected clock") {
        val clock = ManualClock()
        val calls = AtomicInteger()
        val f = memoizeTtl(timeToLive = 30.seconds, timeSource = clock) { x: String -> "$x#${calls.incrementAndGet()}" }
        f("a") shouldBe "a#1"
        clock.advance(29.seconds)
        f("a") shouldBe "a#1"
        clock.advance(1.seconds)
        f("a") shouldBe "a#2"
    }

    test("skipLeadingArgs leaves the client out of the key; arrays and nulls are keys by content") {
        val calls = AtomicInteger()
        val fetch = memoizeLru(skipLeadingArgs = 1) { client: Client, id: Int? -> calls.incrementAndGet(); "${client.name}:$id" }
        fetch(Client("first"), 7) shouldBe "first:7"
        fetch(Client("second"), 7) shouldBe "first:7"
        fetch(Client("second"), null) shouldBe "second:null"
        fetch(Client("first"), null) shouldBe "second:null"
        calls.get() shouldBe 2

        val sum = memoizeTtl { a: IntArray, b: IntArray, scale: Int -> calls.incrementAndGet(); (a.sum() + b.sum()) * scale }
        sum(intArrayOf(1, 2), intArrayOf(3), 10) shouldBe 60
        sum(intArrayOf(1, 2), intArrayOf(3), 10) shouldBe 60
        calls.get() shouldBe 3
    }

    test("refresh calls the function again and caches the fresh result; invalidate forgets") {
        val calls = AtomicInteger()
        val f = memoizeLru { x: Int -> "$x#${calls.incrementAndGet()}" }
        f(1) shouldBe "1#1"
        f.refresh(1) shouldBe "1#2"
        f(1) shouldBe "1#2"
        f.invalidate(1)
        f(1) shouldBe "1#3"
        f(2) shouldBe "2#4"
        f.invalidateAll()
        f(2) shouldBe "2#5"
    }

    test("failures are not cached") {
        val calls = AtomicInteger()
        val f = memoizeLru { x: Int -> if (calls.incrementAndGet() == 1) throw Boom("first call fails") else x }
        shouldThrow<Boom> { f(5) }
        f(5) shouldBe 5
        calls.get() shouldBe 2
    }

    test("bad options fail at once with a message naming them") {
        shouldThrow<IllegalArgumentException> { memoizeLru(skipLeadingArgs = 2) { x: Int -> x } }.message shouldBe
            "skipLeadingArgs must be between 0 and the function's 1 argument(s), was 2"
        shouldThrow<IllegalArgumentException> { memoizeLru(maxSize = 0) { x: Int -> x } }.message shouldBe
            "maxSize must be at least 1, was 0"
        shouldThrow<IllegalArgumentException> { memoizeTtl(timeToLive = (-1).seconds) { x: Int -> x } }.message shouldBe
            "timeToLive must be positive and finite, was -1s"
    }
})
