package dev.asynccache.coroutines

import dev.asynccache.RecursiveLoadException
import kotlin.coroutines.AbstractCoroutineContextElement
import kotlin.coroutines.CoroutineContext

/**
 * The coroutine-context marker of a running load: which cache, which keys, and the chain of loads
 * that started it. A suspend loader runs on a dispatcher thread, where the core's thread-local
 * recursion check cannot see it; this element travels with the loader's coroutine instead, so a
 * loader that asks its own cache for a key it is (directly or through nested loads) loading fails
 * at once with [RecursiveLoadException] instead of waiting for itself forever.
 */
internal class LoadChain(
    private val cache: Any,
    private val keys: Collection<Any>,
    private val parent: LoadChain?,
) : AbstractCoroutineContextElement(Key) {

    companion object Key : CoroutineContext.Key<LoadChain>

    /** Throws if this chain is loading [key] of [cache]. */
    fun refuseRecursion(cache: Any, key: Any) {
        var link: LoadChain? = this
        while (link != null) {
            if (link.cache === cache && key in link.keys) {
                throw RecursiveLoadException(
                    "the loader of key $key asked the cache for that same key (directly or through " +
                        "nested loads); it would wait for itself forever",
                )
            }
            link = link.parent
        }
    }

    override fun toString(): String = "LoadChain($keys)"
}
