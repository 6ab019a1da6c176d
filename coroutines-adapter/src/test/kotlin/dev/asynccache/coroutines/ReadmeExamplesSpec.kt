package dev.asynccache.coroutines

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeInRange
import io.kotest.matchers.shouldBe
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.serialization.Serializable

/*
 * The code of the README's Kotlin quick start, compiled and run on every build: when the API
 * changes, this stops compiling before the README goes stale. Keep the two in step.
 */

// --- README: quick start (begin) ---
@Serializable
data class Product(val id: Long, val name: String)

interface ProductRepository {
    suspend fun find(id: Long): Product
    suspend fun findAll(ids: List<Long>): Map<Long, Product>
}

class ProductService(private val repository: ProductRepository) : AutoCloseable {
    private val products = SuspendingCache<Long, Product>(maxSize = 10_000, defaultTtl = 5.minutes)
    private val byIds = SuspendBatchLoader("products by id", repository::findAll)

    /** One repository call however many coroutines ask for the same id at once. */
    suspend fun product(id: Long): Product = products.get(id) { repository.find(id) }

    /** Misses within 5 ms share one `findAll` call (DataLoader style). */
    suspend fun productBatched(id: Long): Product? = products.get(id, byIds)

    /** A memoized suspend function: results cached 30 s per argument. */
    val price = memoizeTtl(timeToLive = 30.seconds) { id: Long -> repository.find(id).name.length * 100L }

    override fun close() = products.close()
}
// --- README: quick start (end) ---

private class CountingRepository : ProductRepository {
    val finds = AtomicInteger()
    val batches = AtomicInteger()

    override suspend fun find(id: Long): Product {
        finds.incrementAndGet()
        return Product(id, "product $id")
    }

    override suspend fun findAll(ids: List<Long>): Map<Long, Product> {
        batches.incrementAndGet()
        return ids.associateWith { Product(it, "product $it") }
    }
}

class ReadmeExamplesSpec : FunSpec({

    test("the quick start runs as the README says") {
        val repository = CountingRepository()
        ProductService(repository).use { service ->
            service.product(1) shouldBe Product(1, "product 1")
            service.product(1) shouldBe Product(1, "product 1")
            repository.finds.get() shouldBe 1

            val batched = hangDetector {
                coroutineScope { (10L..14L).map { async { service.productBatched(it) } }.awaitAll() }
            }
            batched.map { it?.id } shouldBe listOf(10L, 11L, 12L, 13L, 14L)
            // Usually one call; the 5 ms window is wall-clock time, so this example does not insist
            // (BatchSpec proves the coalescing deterministically).
            repository.batches.get() shouldBeInRange 1..5

            service.price(3) shouldBe 900L
            service.price(3) shouldBe 900L
        }
    }
})
