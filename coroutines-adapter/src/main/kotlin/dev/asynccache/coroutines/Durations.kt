package dev.asynccache.coroutines

import dev.asynccache.Ttl
import kotlin.time.Duration
import kotlin.time.toJavaDuration

/*
 * Kotlin Duration -> core types, at the edge of the API. Each check names the option and the value,
 * and runs before the core is called, so bad input changes nothing.
 */

/** `null` -> the cache default; INFINITE -> never; else must be positive. */
internal fun Duration?.toTtl(): Ttl = when {
    this == null -> Ttl.cacheDefault()
    this == Duration.INFINITE -> Ttl.never()
    else -> Ttl.of(positiveFinite(this, "ttl"))
}

/** `null` or INFINITE -> none (`null`); else must be positive. */
internal fun optionalPositive(d: Duration?, option: String): java.time.Duration? =
    if (d == null || d == Duration.INFINITE) null else positiveFinite(d, option)

internal fun positiveFinite(d: Duration, option: String): java.time.Duration {
    require(d.isPositive() && d.isFinite()) { "$option must be positive and finite, was $d" }
    return d.toJavaDuration()
}

internal fun nonNegativeFinite(d: Duration, option: String): java.time.Duration {
    require(!d.isNegative() && d.isFinite()) { "$option must be zero or more and finite, was $d" }
    return d.toJavaDuration()
}
