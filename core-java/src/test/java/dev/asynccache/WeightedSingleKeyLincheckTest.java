package dev.asynccache;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Param;

/**
 * {@link SingleKeyLincheckTest}'s operations and specification over a weighted cache: a {@code set}
 * that rewrites {@code "v1"} with {@code "v2"} keeps the entry's weight (the value's length) and
 * takes the lock-free in-place write, one that replaces the loaded value (another weight) replaces
 * the node under the lock, and the two race with loads and deletes of the same key. The checks
 * (model checking with its custom scenario, and stress) are {@link SingleKeyLincheckTest}'s own.
 */
@Param(name = "key", gen = IntGen.class, conf = "1:2")
@Param(name = "value", gen = IntGen.class, conf = "1:2")
public class WeightedSingleKeyLincheckTest extends SingleKeyLincheckTest {

  @Override
  AsyncCache<Integer, String> newCache() {
    return AsyncCache.builder()
        .maximumWeight(1_000)
        .weigher((Integer key, String value) -> value.length())
        .build();
  }
}
