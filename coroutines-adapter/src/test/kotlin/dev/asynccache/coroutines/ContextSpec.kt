package dev.asynccache.coroutines

import dev.asynccache.AsyncCache
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger
import kotlin.coroutines.AbstractCoroutineContextElement
import kotlin.coroutines.CoroutineContext
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.ExecutorCoroutineDispatcher
import kotlinx.coroutines.ThreadContextElement
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.slf4j.MDCContext
import kotlinx.coroutines.withContext
import org.slf4j.MDC

/** A custom [ThreadContextElement]: a tenant id in a thread-local while its coroutine runs. */
class Tenant(private val id: String) : ThreadContextElement<String?>, AbstractCoroutineContextElement(Key) {
    companion object Key : CoroutineContext.Key<Tenant> {
        val current = ThreadLocal<String?>()
    }

    override fun updateThreadContext(context: CoroutineContext): String? {
        val previous = current.get()
        current.set(id)
        return previous
    }

    override fun restoreThreadContext(context: CoroutineContext, oldState: String?) {
        current.set(oldState)
    }
}

/** What a loader saw of its context: the MDC's request id and the tenant thread-local. */
data class Seen(val request: String?, val tenant: String?)

private fun look(): Seen = Seen(MDC.get("request"), Tenant.current.get())

/** The thread's name without the coroutine that debug mode (on with `-ea`) appends to it. */
private fun threadName(): String = Thread.currentThread().name.substringBefore(" @")

private fun request(id: String, tenant: String) = MDCContext(mapOf("request" to id)) + Tenant(tenant)

private fun singleThread(name: String): ExecutorCoroutineDispatcher =
    Executors.newSingleThreadExecutor { r -> Thread(r, name).apply { isDaemon = true } }.asCoroutineDispatcher()

/**
 * Issue 15: a load runs with the coroutine context of the caller that started it, minus its job,
 * on the cache's dispatcher unless the caller's is asked for. The MDC is logback's (a test
 * dependency), a plain thread-local as in services.
 */
class ContextSpec : FunSpec({

    test("the loader sees the starter's MDCContext, ThreadContextElement and name; a joiner changes nothing; cancelling the starter leaves the load to the joiner") {
        val cacheThread = singleThread("cache-loader")
        try {
            SuspendingCache<String, String>(dispatcher = cacheThread).use { cache ->
                val calls = AtomicInteger()
                val seen = ConcurrentLinkedQueue<Seen>()
                val names = ConcurrentLinkedQueue<String?>()
                val started = CompletableDeferred<Unit>()
                val gate = CompletableDeferred<Unit>()
                val loader: suspend () -> String = {
                    calls.incrementAndGet()
                    seen.add(look())
                    names.add(currentCoroutineContext()[CoroutineName]?.name)
                    started.complete(Unit)
                    gate.await() // resumes later, possibly after the starter was cancelled
                    seen.add(look())
                    "v-" + MDC.get("request")
                }
                hangDetector {
                    coroutineScope {
                        val first = async(Dispatchers.Default + request("r-1", "t-1") + CoroutineName("caller-1")) {
                            cache.get("k", loader = loader)
                        }
                        started.await()
                        val second = async(Dispatchers.Default + request("r-2", "t-2") + CoroutineName("caller-2")) {
                            cache.get("k", loader = loader)
                        }
                        awaitCondition { cache.metrics().joinedLoadCount == 1L }
                        first.cancelAndJoin()
                        first.isCancelled shouldBe true
                        calls.get() shouldBe 1
                        gate.complete(Unit)
                        second.await() shouldBe "v-r-1"
                    }
                }
                calls.get() shouldBe 1
                seen.toList() shouldBe List(2) { Seen("r-1", "t-1") }
                names.toList() shouldBe listOf("caller-1")
                // The cache's thread is clean afterwards: no request id or tenant stays behind.
                withContext(cacheThread) { Seen(MDC.get("request"), Tenant.current.get()) } shouldBe Seen(null, null)
            }
        } finally {
            cacheThread.close()
        }
    }

    test("a batch runs with the context of the call that opened it") {
        SuspendingCache<String, String>(batchWindow = 1.minutes, maxBatchSize = 2).use { cache ->
            val seen = ConcurrentLinkedQueue<Seen>()
            val batch = SuspendBatchLoader<String, String>("by key") { keys ->
                seen.add(look())
                keys.associateWith { it.uppercase() }
            }
            hangDetector {
                coroutineScope {
                    // UNDISPATCHED: each call reaches the core (and opens or fills the batch) in order.
                    val a = async(request("r-opener", "t-opener"), start = CoroutineStart.UNDISPATCHED) { cache.get("a", batch) }
                    val b = async(request("r-second", "t-second"), start = CoroutineStart.UNDISPATCHED) { cache.get("b", batch) }
                    a.await() shouldBe "A"
                    b.await() shouldBe "B"
                }
            }
            seen.toList() shouldBe listOf(Seen("r-opener", "t-opener"))
        }
    }

    test("getAll batches run with the caller's context") {
        SuspendingCache<String, String>().use { cache ->
            val seen = ConcurrentLinkedQueue<Seen>()
            val batch = SuspendBatchLoader<String, String>("by key") { keys ->
                seen.add(look())
                keys.associateWith { it }
            }
            hangDetector {
                withContext(request("r-all", "t-all")) { cache.getAll(listOf("a", "b", "c"), batch) }.size shouldBe 3
            }
            seen.toList() shouldBe listOf(Seen("r-all", "t-all"))
        }
    }

    test("a wrapped Java cache built with coroutineContextTaskDecorator gives batches their opener's context") {
        val java = AsyncCache.builder().taskDecorator(coroutineContextTaskDecorator()).build<String, String>()
        java.asSuspending().use { cache ->
            val seen = ConcurrentLinkedQueue<Seen>()
            val batch = SuspendBatchLoader<String, String>("by key") { keys ->
                seen.add(look())
                keys.associateWith { it }
            }
            hangDetector { withContext(request("r-java", "t-java")) { cache.get("a", batch) } } shouldBe "a"
            seen.toList() shouldBe listOf(Seen("r-java", "t-java"))
        }
    }

    test("a refresh runs with the context of the read that found the entry due") {
        val clock = ManualClock()
        SuspendingCache<String, String>(timeSource = clock, refreshAfterWrite = 1.minutes).use { cache ->
            val seen = ConcurrentLinkedQueue<Seen>()
            hangDetector {
                withContext(request("r-first", "t-first")) { cache.get("k") { "v1" } } shouldBe "v1"
                clock.advance(61.seconds)
                val read = withContext(request("r-reader", "t-reader")) {
                    cache.get("k") {
                        seen.add(look())
                        "v2"
                    }
                }
                read shouldBe "v1"
                awaitCondition { cache.getIfPresent("k") == "v2" }
            }
            seen.toList() shouldBe listOf(Seen("r-reader", "t-reader"))
        }
    }

    test("warmup loads run with the context of the warmup call") {
        SuspendingCache<String, String>().use { cache ->
            val seen = ConcurrentLinkedQueue<Seen>()
            val loaders = listOf("a", "b", "c").associateWith { key ->
                suspend {
                    seen.add(look())
                    key
                }
            }
            val result = hangDetector { withContext(request("r-warmup", "t-warmup")) { cache.warmup(loaders) } }
            result.loaded().size shouldBe 3
            seen.toList() shouldBe List(3) { Seen("r-warmup", "t-warmup") }
        }
    }

    test("loads run on the cache's dispatcher unless the caller's is asked for") {
        val callerThread = singleThread("caller-thread")
        val cacheThread = singleThread("cache-thread")
        try {
            for (onCaller in listOf(false, true)) {
                SuspendingCache<String, String>(dispatcher = cacheThread, loadOnCallerDispatcher = onCaller).use { cache ->
                    var thread = ""
                    var seen: Seen? = null
                    hangDetector {
                        withContext(callerThread + request("r-1", "t-1")) {
                            cache.get("k") {
                                thread = threadName()
                                seen = look()
                                "v"
                            }
                        }
                    }
                    thread shouldBe (if (onCaller) "caller-thread" else "cache-thread")
                    seen shouldBe Seen("r-1", "t-1")
                }
            }
        } finally {
            callerThread.close()
            cacheThread.close()
        }
    }
})
