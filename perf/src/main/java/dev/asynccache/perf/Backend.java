package dev.asynccache.perf;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a remote store: every call, for one key or many, costs one round trip of {@link
 * #ROUND_TRIP} (a sleep, so a virtual thread caller frees its carrier) and is counted. The value of
 * key {@code k} is {@code k + 1}.
 */
public final class Backend {
  static final Duration ROUND_TRIP = Duration.ofMillis(1);

  private final AtomicInteger calls = new AtomicInteger();

  Integer loadOne(Integer key) {
    calls.incrementAndGet();
    HerdBenchmark.sleep(ROUND_TRIP);
    return key + 1;
  }

  Map<Integer, Integer> loadMany(List<Integer> keys) {
    calls.incrementAndGet();
    HerdBenchmark.sleep(ROUND_TRIP);
    Map<Integer, Integer> values = new HashMap<>(keys.size() * 2);
    for (Integer key : keys) {
      values.put(key, key + 1);
    }
    return values;
  }

  int calls() {
    return calls.get();
  }

  void reset() {
    calls.set(0);
  }
}
