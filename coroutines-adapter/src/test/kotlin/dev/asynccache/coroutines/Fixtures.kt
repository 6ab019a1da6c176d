package dev.asynccache.coroutines

import dev.asynccache.TimeSource
import java.util.concurrent.atomic.AtomicLong
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout

/** A clock the test moves by hand: no test sleeps waiting for a TTL. */
class ManualClock : TimeSource {
    private val nanos = AtomicLong(1_000_000_000L)

    override fun nanoTime(): Long = nanos.get()

    fun advance(d: Duration) {
        nanos.addAndGet(d.inWholeNanoseconds)
    }
}

/** Fails a test that would otherwise hang: a waiter left hanging is a bug, not a slow test. */
suspend fun <T> hangDetector(limit: Duration = 30.seconds, block: suspend () -> T): T = withTimeout(limit) { block() }

/** Suspends until [condition] holds (polled; bounded by the caller's [hangDetector]). */
suspend fun awaitCondition(condition: () -> Boolean) {
    while (!condition()) delay(1)
}

class Boom(message: String) : RuntimeException(message)
