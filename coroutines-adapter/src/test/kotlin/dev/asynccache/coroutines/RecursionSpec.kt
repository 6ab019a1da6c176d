package dev.asynccache.coroutines

import dev.asynccache.RecursiveLoadException
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.runBlocking

/** A suspend loader that asks its own cache for a key it is loading fails fast (issue 9, defect 4). */
class RecursionSpec : FunSpec({

    test("a suspend loader asking for its own key gets RecursiveLoadException") {
        SuspendingCache<String, String>().use { cache ->
            hangDetector {
                shouldThrow<RecursiveLoadException> {
                    cache.get("A") { cache.get("A") { "never" } }
                }
            }
        }
    }

    test("a cycle through nested suspend loaders is refused too") {
        SuspendingCache<String, String>().use { cache ->
            hangDetector {
                shouldThrow<RecursiveLoadException> {
                    cache.get("A") { cache.get("B") { cache.get("A") { "never" } } }
                }
            }
        }
    }

    test("a batch function asking for a key of its own batch is refused") {
        SuspendingCache<String, String>().use { cache ->
            lateinit var batch: SuspendBatchLoader<String, String>
            batch = SuspendBatchLoader(function = { keys -> keys.associateWith { cache.get(it, batch) ?: "none" } })
            hangDetector {
                shouldThrow<RecursiveLoadException> { cache.get("A", batch) }
            }
        }
    }

    test("a cycle through a batch back into the loader whose call opened it is refused (the batch carries its opener's chain)") {
        SuspendingCache<String, String>().use { cache ->
            val batch = SuspendBatchLoader<String, String>("back to A") { keys ->
                keys.associateWith { cache.get("A") { "never" } }
            }
            hangDetector {
                shouldThrow<RecursiveLoadException> { cache.get("A") { cache.get("B", batch) ?: "none" } }
            }
        }
    }

    test("nested loads of other keys still work, and the same key in another cache is no recursion") {
        SuspendingCache<String, String>().use { cache ->
            SuspendingCache<String, String>().use { other ->
                val v = hangDetector {
                    cache.get("A") { cache.get("B") { "b" } + other.get("A") { "a" } }
                }
                v shouldBe "ba"
            }
        }
    }
})
