package dev.asynccache;

import com.google.common.collect.testing.ConcurrentMapTestSuiteBuilder;
import com.google.common.collect.testing.TestStringMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import junit.framework.Test;
import junit.framework.TestFailure;
import junit.framework.TestResult;
import junit.framework.TestSuite;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Guava's testlib {@code ConcurrentMap} suite (932 tests a configuration) against {@link
 * AsyncCache#asMap()}, for five cache configurations, as Caffeine runs it against its own. The
 * JUnit 3 suite is turned into JUnit 5 dynamic tests (one per Guava test), which the platform runs
 * far faster than the vintage engine would.
 */
class MapViewGuavaTests {

  @TestFactory
  Stream<DynamicNode> concurrentMapSuite() {
    return Stream.of(
            suiteFor("unbounded", () -> AsyncCache.builder().build()),
            suiteFor("bounded, exact LRU",
                () -> AsyncCache.builder().maxSize(1_000).evictionPolicy(EvictionPolicy.LRU).build()),
            suiteFor("bounded, adaptive", () -> AsyncCache.builder().maxSize(1_000).build()),
            suiteFor("default TTL of one hour",
                () -> AsyncCache.builder().defaultTtl(Duration.ofHours(1)).build()),
            suiteFor("weighed",
                () -> AsyncCache.builder()
                    .maximumWeight(100_000)
                    .weigher((k, v) -> v.toString().length())
                    .build()))
        .map(MapViewGuavaTests::toDynamic);
  }

  private static TestSuite suiteFor(String name, Supplier<AsyncCache<Object, Object>> caches) {
    return ConcurrentMapTestSuiteBuilder.using(
            new TestStringMapGenerator() {
              @Override
              protected Map<String, String> create(Map.Entry<String, String>[] entries) {
                @SuppressWarnings("unchecked")
                Map<String, String> map = (Map<String, String>) (Map<?, ?>) caches.get().asMap();
                for (Map.Entry<String, String> e : entries) {
                  map.put(e.getKey(), e.getValue());
                }
                return map;
              }
            })
        .named(name)
        .withFeatures(
            CollectionSize.ANY, MapFeature.GENERAL_PURPOSE, CollectionFeature.SUPPORTS_ITERATOR_REMOVE)
        .createTestSuite();
  }

  private static DynamicNode toDynamic(Test test) {
    if (test instanceof TestSuite suite) {
      List<DynamicNode> children = new ArrayList<>();
      for (Test child : Collections.list(suite.tests())) {
        children.add(toDynamic(child));
      }
      return DynamicContainer.dynamicContainer(String.valueOf(suite.getName()), children);
    }
    return DynamicTest.dynamicTest(test.toString(), () -> {
      TestResult result = new TestResult();
      test.run(result);
      for (TestFailure f : Collections.list(result.errors())) {
        throw f.thrownException();
      }
      for (TestFailure f : Collections.list(result.failures())) {
        throw f.thrownException();
      }
    });
  }
}
