package dev.asynccache.coroutines

/**
 * A suspend function that loads many keys in one call, for [SuspendingCache.get] and
 * [SuspendingCache.getAll] (DataLoader style).
 *
 * The contract of [function]:
 * - it receives distinct keys that are neither cached nor loading, at most the cache's
 *   `maxBatchSize` of them, in a read-only list;
 * - it returns the values it found; a key left out has no value (its callers get `null`, nothing is
 *   cached for it), keys not asked for are ignored;
 * - what it throws reaches every caller of the batch, and nothing is cached.
 *
 * Batches are collected per batch loader by equality, and two batch loaders are equal when their
 * functions are. So keep one handle in a property and pass it to every call, or wrap a function
 * reference (`SuspendBatchLoader(users::findAll)`: references to the same function on the same
 * receiver are equal, wherever they are written). A lambda that captures variables is a new,
 * unequal object wherever it is evaluated: wrap it once, not at each call.
 *
 * Why a handle rather than a plain function parameter: `get(key) { ... }` with a trailing lambda
 * must mean the single-key loader, and a handle makes the batching identity visible.
 *
 * @param K the key type
 * @param V the value type
 * @property function loads a batch; runs in the cache's scope, with the coroutine context of the
 *   call that opened the batch minus its job
 * @property name shown in messages and `toString`, not part of equality
 */
public class SuspendBatchLoader<K : Any, V : Any>(
    public val name: String? = null,
    public val function: suspend (keys: List<K>) -> Map<K, V>,
) {
    internal suspend fun load(keys: List<K>): Map<K, V> = function(keys)

    /** Equal when the functions are equal (the [name] does not count). */
    override fun equals(other: Any?): Boolean = other is SuspendBatchLoader<*, *> && other.function == function

    override fun hashCode(): Int = function.hashCode()

    override fun toString(): String = "SuspendBatchLoader(${name ?: function})"
}
