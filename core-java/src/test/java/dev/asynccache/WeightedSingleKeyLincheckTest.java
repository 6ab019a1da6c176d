package dev.asynccache;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * {@link SingleKeyLincheckTest}'s operations and specification over a weighted cache: a {@code set}
 * that rewrites {@code "v1"} with {@code "v2"} keeps the entry's weight (the value's length) and
 * takes the lock-free in-place write, one that replaces the loaded value (another weight) replaces
 * the node under the lock, and the two race with loads and deletes of the same key.
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

  @Test
  @Override
  void modelChecking() {
    new ModelCheckingOptions()
        .iterations(10)
        .invocationsPerIteration(100)
        .threads(2)
        .actorsPerThread(2)
        .actorsBefore(1)
        .actorsAfter(1)
        .sequentialSpecification(Spec.class)
        .check(WeightedSingleKeyLincheckTest.class);
  }

  @Test
  @Override
  void stress() {
    new StressOptions()
        .iterations(10)
        .invocationsPerIteration(1_000)
        .threads(2)
        .actorsPerThread(2)
        .actorsBefore(1)
        .actorsAfter(1)
        .sequentialSpecification(Spec.class)
        .check(WeightedSingleKeyLincheckTest.class);
  }
}
