package dev.asynccache.redis

import dev.asynccache.redis.testing.RedisServer

import dev.asynccache.coroutines.SuspendBatchLoader
import dev.asynccache.coroutines.asSuspending
import java.time.Duration
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout

/**
 * The coroutines adapter's `SuspendingCache`, unchanged, over two `RedisCache`s (two JVMs of a
 * fleet) on one real Redis: `asSuspending()` wraps any `AsyncCache`, and a `RedisCache` is one.
 */
@Timeout(60)
class SuspendingOverRedisTest {
    companion object {
        private lateinit var redis: RedisServer

        @JvmStatic
        @BeforeAll
        fun startRedis() {
            redis = RedisServer.start()
        }

        @JvmStatic
        @AfterAll
        fun stopRedis() {
            redis.close()
        }
    }

    @Test
    fun `suspend get, getAll, set and delete go through Redis with one load for the fleet`() = runBlocking {
        Fixtures.strings(redis, "kotlin").build().asSuspending().use { a ->
            Fixtures.strings(redis, "kotlin").build().asSuspending().use { b ->
                val loads = AtomicInteger()
                val ready = CountDownLatch(1)
                val results = (0 until 200).map { i ->
                    async(Dispatchers.Default) {
                        ready.await()
                        (if (i % 2 == 0) a else b).get("k") {
                            loads.incrementAndGet()
                            delay(50) // a slow suspending source, so the callers overlap
                            "v"
                        }
                    }
                }
                ready.countDown()
                assertEquals(List(200) { "v" }, results.awaitAll())
                assertEquals(1, loads.get(), "loader calls in the fleet")

                a.set("k", "new")
                Fixtures.await("b to drop its copy", Duration.ofSeconds(10)) { b.getIfPresent("k") == "new" }

                val batchCalls = AtomicInteger()
                val loader = SuspendBatchLoader<String, String> { keys ->
                    batchCalls.incrementAndGet()
                    keys.associateWith { "batch-$it" }
                }
                assertEquals(mapOf("x" to "batch-x", "y" to "batch-y", "k" to "new"), a.getAll(listOf("x", "y", "k"), loader))
                assertEquals(mapOf("x" to "batch-x", "y" to "batch-y"), b.getAll(listOf("x", "y"), loader))
                assertEquals(1, batchCalls.get(), "b read the batch from Redis")

                assertEquals(true, b.delete("x"))
                assertEquals(":0", redis.command("EXISTS kotlin:{x}"))
                Fixtures.await("a to drop its copy of x", Duration.ofSeconds(10)) { a.getIfPresent("x") == null }
            }
        }
    }
}
