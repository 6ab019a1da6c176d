package dev.asynccache;

import java.util.Objects;

/**
 * Lets a loader set the time to live of the entry its load creates once it knows it: a token that
 * comes with its own expiry, an HTTP answer with {@code max-age}, a value read from a store that
 * reports the time it has left. The {@code Ttl} given to {@code get} is chosen before the load
 * starts; this one replaces it, for this one entry.
 *
 * <pre>{@code
 * Token token = cache.get(user, () -> {
 *   Token t = authServer.issue(user);
 *   LoadExpiry.expireAfter(cache, user, t, Ttl.of(t.lifetime()));
 *   return t;
 * });
 * }</pre>
 *
 * <p>The choice applies to the load of the key that the calling thread runs (single or batch; a
 * background refresh included), or, called from another thread (an asynchronous loader's stage),
 * to the key's load in flight; and only if that load completes with this very {@code value}
 * (compared by identity). So a loader that a write overtook (see {@link AsyncCache#set}) never
 * sets the expiry of the load that replaced it: from the loader's own thread, never; from another
 * thread, only if both loads complete with the very same object, and then the shorter of their
 * choices applies. If the same value is given several expiries, the shortest applies. The time to
 * live counts from this call, not from the moment the value is cached: a value whose time runs out
 * before the load completes is returned to its callers and not kept, like a {@code Ttl} of zero.
 * Thread-safe.
 */
public final class LoadExpiry {
  private LoadExpiry() {}

  /**
   * Sets the time to live of the entry that the load now in flight for {@code key} will create if
   * it completes with {@code value}. Call it from that load's loader, before it returns {@code
   * value} (or completes its stage with it); a call while no load of the key is in flight has no
   * effect.
   *
   * @param cache the cache loading {@code key}, one built by {@link AsyncCache#builder()}
   * @param key the key being loaded
   * @param value the value the load will complete with
   * @param ttl its time to live from now: a duration, {@link Ttl#never()}, or {@link
   *     Ttl#cacheDefault()}
   * @return {@code true} if a load of {@code key} was in flight and took the choice, {@code false}
   *     if none was, or the calling thread's load was overtaken by a write (the call had no effect)
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code cache} was not built by {@link AsyncCache#builder()}
   *     (a {@code RedisCache} decides its entries' lifetimes itself)
   */
  public static <K, V> boolean expireAfter(AsyncCache<K, V> cache, K key, V value, Ttl ttl) {
    Objects.requireNonNull(cache, "cache must not be null");
    if (!(cache instanceof DefaultAsyncCache<K, V> core)) {
      throw new IllegalArgumentException(
          "LoadExpiry works with caches built by AsyncCache.builder(), not " + cache.getClass());
    }
    return core.chooseExpiry(key, value, ttl);
  }
}
