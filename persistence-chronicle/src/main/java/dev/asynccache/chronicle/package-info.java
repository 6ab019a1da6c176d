/**
 * Persistence backends for async-cache stored in Chronicle Map files: a crash-safe snapshot file
 * and a write-through memory-mapped file. Start at {@link dev.asynccache.chronicle.ChronicleBackends}.
 */
@NullMarked
package dev.asynccache.chronicle;

import org.jspecify.annotations.NullMarked;
