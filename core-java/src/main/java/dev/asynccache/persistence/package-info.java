/**
 * The persistence SPI: how a cache saves its entries to, and restores them from, a durable store.
 *
 * <p>A cache is given a {@link dev.asynccache.persistence.PersistenceBackend} by its builder.
 * Keys and values cross into bytes through explicit {@link dev.asynccache.persistence.Codec}s,
 * never through Java serialization.
 */
@NullMarked
package dev.asynccache.persistence;

import org.jspecify.annotations.NullMarked;
