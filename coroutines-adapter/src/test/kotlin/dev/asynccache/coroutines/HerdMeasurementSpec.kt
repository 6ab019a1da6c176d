package dev.asynccache.coroutines

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay

/**
 * Thundering-herd figure, comparable to ../shared/perf-anchors.md ("1,000 virtual threads on one
 * cold key, loader sleeping 10 ms, 80 repetitions"): 1,000 coroutines on Dispatchers.Default, loader
 * `delay(10 ms)`. Not part of `verify` (it measures, it does not test); run it with
 *
 *     ./mvnw -pl coroutines-adapter verify -Dasynccache.measure=true -Dtest=HerdMeasurementSpec
 */
class HerdMeasurementSpec : FunSpec({
    test("1000 coroutines on one cold key, loader delay 10 ms: time until all have the value")
        .config(enabled = System.getProperty("asynccache.measure") == "true") {
            val millis = mutableListOf<Double>()
            repeat(80) {
                SuspendingCache<String, String>().use { cache ->
                    val calls = AtomicInteger()
                    val start = System.nanoTime()
                    coroutineScope {
                        List(1000) {
                            async(Dispatchers.Default) { cache.get("k") { calls.incrementAndGet(); delay(10.milliseconds); "v" } }
                        }.awaitAll()
                    }
                    millis += (System.nanoTime() - start) / 1e6
                    calls.get() shouldBe 1
                }
            }
            val sorted = millis.drop(1).sorted()
            println(
                "HERD 1000 coroutines, 80 reps: first %.1f ms, median %.1f ms, p90 %.1f ms, max %.1f ms".format(
                    millis.first(), sorted[sorted.size / 2], sorted[sorted.size * 9 / 10], sorted.last(),
                ),
            )
        }
})
