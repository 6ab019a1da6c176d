package dev.asynccache.perf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KeyDistributionTest {
  private static final Integer[] KEYS = KeyDistribution.distinctKeys(10_000);

  @ParameterizedTest
  @EnumSource(KeyDistribution.class)
  void draw_sameSeedSameDraws_andTheKeyInstancesThemselves(KeyDistribution d) {
    Integer[] a = d.draw(KEYS, KEYS.length, 1 << 16, 7);
    Integer[] b = d.draw(KEYS, KEYS.length, 1 << 16, 7);
    assertArrayEquals(a, b);
    for (Integer k : a) {
      assertSame(KEYS[k - 1_000_000], k, "a draw must be one of the loaded key objects");
    }
  }

  @Test
  void zipf_isSkewed_andScrambled() {
    Map<Integer, Integer> counts = counts(KeyDistribution.ZIPF.draw(KEYS, KEYS.length, 1 << 16, 1));
    int top = counts.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
    // Zipf(0.99) over 10,000 keys: the top key has about 1 / H(10000, 0.99) ≈ 9.5% of the draws.
    assertTrue(top > 0.07 * (1 << 16) && top < 0.13 * (1 << 16), "top share " + top);
    Integer hottest =
        counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    assertTrue(hottest != KEYS[0], "ranks must be scrambled onto keys");
  }

  @Test
  void uniform_isFlat() {
    Map<Integer, Integer> counts =
        counts(KeyDistribution.UNIFORM.draw(KEYS, KEYS.length, 1 << 16, 1));
    int top = counts.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
    assertTrue(top < 30, "uniform top count " + top);
    assertTrue(counts.size() > 9_000, "distinct keys drawn " + counts.size());
  }

  @Test
  void draw_onlyFromTheFirstItems() {
    Integer[] draws = KeyDistribution.ZIPF.draw(KEYS, 100, 1 << 10, 3);
    assertTrue(Arrays.stream(draws).allMatch(k -> k < 1_000_100));
  }

  @Test
  void draw_rejectsBadSizes() {
    assertThrows(IllegalArgumentException.class, () -> KeyDistribution.UNIFORM.draw(KEYS, 10, 1000, 1));
    assertThrows(IllegalArgumentException.class, () -> KeyDistribution.UNIFORM.draw(KEYS, 0, 1024, 1));
    assertThrows(
        IllegalArgumentException.class, () -> KeyDistribution.UNIFORM.draw(KEYS, KEYS.length + 1, 1024, 1));
  }

  private static Map<Integer, Integer> counts(Integer[] draws) {
    Map<Integer, Integer> counts = new IdentityHashMap<>();
    for (Integer k : draws) {
      counts.merge(k, 1, Integer::sum);
    }
    return counts;
  }
}
