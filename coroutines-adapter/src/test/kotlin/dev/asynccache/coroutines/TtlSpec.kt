package dev.asynccache.coroutines

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.shouldBe
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration
import kotlin.time.Duration.Companion.days
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

class TtlSpec : FunSpec({

    val clock = ManualClock()
    val calls = AtomicInteger()
    suspend fun SuspendingCache<String, String>.load(key: String, ttl: Duration? = null) =
        get(key, ttl) { "v${calls.incrementAndGet()}" }

    beforeTest { calls.set(0) }

    test("an explicit ttl expires by the injected clock") {
        SuspendingCache<String, String>(timeSource = clock).use { cache ->
            cache.load("k", 1.minutes) shouldBe "v1"
            clock.advance(59.seconds)
            cache.load("k", 1.minutes) shouldBe "v1"
            clock.advance(1.seconds)
            cache.getIfPresent("k").shouldBeNull()
            cache.load("k", 1.minutes) shouldBe "v2"
            cache.metrics().expirationCount shouldBe 1
        }
    }

    test("null means the cache's defaultTtl") {
        SuspendingCache<String, String>(defaultTtl = 10.seconds, timeSource = clock).use { cache ->
            cache.load("k") shouldBe "v1"
            clock.advance(9.seconds)
            cache.load("k") shouldBe "v1"
            clock.advance(1.seconds)
            cache.load("k") shouldBe "v2"
        }
    }

    test("Duration.INFINITE never expires, whatever the default") {
        SuspendingCache<String, String>(defaultTtl = 10.seconds, timeSource = clock).use { cache ->
            cache.load("k", Duration.INFINITE) shouldBe "v1"
            cache.set("s", "set", Duration.INFINITE)
            clock.advance(10_000.days)
            cache.load("k", Duration.INFINITE) shouldBe "v1"
            cache.getIfPresent("s") shouldBe "set"
        }
    }

    test("set takes a ttl too") {
        SuspendingCache<String, String>(timeSource = clock).use { cache ->
            cache.set("k", "x", 5.seconds)
            clock.advance(4.seconds)
            cache.getIfPresent("k") shouldBe "x"
            clock.advance(1.seconds)
            cache.getIfPresent("k").shouldBeNull()
        }
    }

    test("a zero or negative ttl fails at once with a message naming it; nothing is loaded or written") {
        SuspendingCache<String, String>().use { cache ->
            shouldThrow<IllegalArgumentException> { cache.load("k", Duration.ZERO) }.message shouldBe
                "ttl must be positive and finite, was 0s"
            shouldThrow<IllegalArgumentException> { cache.load("k", (-5).seconds) }.message shouldBe
                "ttl must be positive and finite, was -5s"
            shouldThrow<IllegalArgumentException> { cache.set("k", "x", -Duration.INFINITE) }.message shouldBe
                "ttl must be positive and finite, was -Infinity"
            calls.get() shouldBe 0
            cache.size() shouldBe 0
            cache.metrics().missCount shouldBe 0
        }
    }

    test("the factory converts its durations at the edge and names the bad option") {
        shouldThrow<IllegalArgumentException> { SuspendingCache<String, String>(defaultTtl = Duration.ZERO) }
            .message shouldBe "defaultTtl must be positive and finite, was 0s"
        shouldThrow<IllegalArgumentException> { SuspendingCache<String, String>(loadTimeout = (-1).milliseconds) }
            .message shouldBe "loadTimeout must be positive and finite, was -1ms"
        shouldThrow<IllegalArgumentException> { SuspendingCache<String, String>(batchWindow = (-1).milliseconds) }
            .message shouldBe "batchWindow must be zero or more and finite, was -1ms"
        shouldThrow<IllegalArgumentException> { SuspendingCache<String, String>(batchWindow = Duration.INFINITE) }
            .message shouldBe "batchWindow must be zero or more and finite, was Infinity"
        shouldThrow<IllegalArgumentException> { SuspendingCache<String, String>(maxSize = 0) }
            .message shouldBe "maxSize must be at least 1, was 0"
        shouldThrow<IllegalStateException> { SuspendingCache<String, String>(saveOnShutdown = true) }
        // INFINITE means "none" for the optional bounds; zero is a valid batch window
        SuspendingCache<String, String>(
            defaultTtl = Duration.INFINITE,
            loadTimeout = Duration.INFINITE,
            batchWindow = Duration.ZERO,
            maxSize = SuspendingCache.UNBOUNDED,
        ).use { it.metrics().maxSize shouldBe Long.MAX_VALUE }
    }
})
