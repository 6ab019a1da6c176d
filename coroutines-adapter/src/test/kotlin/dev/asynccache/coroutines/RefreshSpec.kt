package dev.asynccache.coroutines

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.seconds

/** refreshAfterWrite and staleIfError through the Kotlin factory, on a clock moved by hand. */
class RefreshSpec : FunSpec({

    test("a due entry is served at once and reloaded in the background by a suspend loader") {
        val clock = ManualClock()
        SuspendingCache<String, String>(timeSource = clock, refreshAfterWrite = 10.seconds).use { cache ->
            hangDetector {
                cache.get("k") { "v1" } shouldBe "v1"
                clock.advance(11.seconds)
                val reloads = AtomicInteger()
                cache.get("k") { reloads.incrementAndGet(); "v2" } shouldBe "v1"
                awaitCondition { cache.getIfPresent("k") == "v2" }
                reloads.get() shouldBe 1
                cache.metrics().refreshCount shouldBe 1
            }
        }
    }

    test("an expired value answers a failing suspend loader during the grace period") {
        val clock = ManualClock()
        SuspendingCache<String, String>(
            timeSource = clock,
            defaultTtl = 10.seconds,
            staleIfError = 60.seconds,
        ).use { cache ->
            hangDetector {
                cache.get("k") { "v1" }
                clock.advance(11.seconds)
                cache.get("k") { throw Boom("db down") } shouldBe "v1"
                cache.metrics().staleServedCount shouldBe 1
            }
        }
    }

    test("the options are validated, naming themselves") {
        shouldThrow<IllegalArgumentException> {
            SuspendingCache<String, String>(refreshAfterWrite = (-1).seconds)
        }.message shouldBe "refreshAfterWrite must be positive and finite, was -1s"
    }
})
