package dev.asynccache.gatling;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seed's sequential scenario: one user sets {@code -Dsequential} keys, gets each of them, then
 * deletes each of them, one request at a time on one keep-alive connection. Seed floors: SET 300
 * ops/s, GET 500 ops/s.
 */
public class SequentialSimulation extends CacheSimulation {
  static final double SET_FLOOR = 300;
  static final double GET_FLOOR = 500;

  private final OpStats sets = new OpStats();
  private final OpStats gets = new OpStats();
  private final OpStats deletes = new OpStats();
  private final OpStats all = new OpStats();

  @SuppressWarnings("this-escape") // Gatling simulations are set up in the constructor
  public SequentialSimulation() {
    super("sequential");
    requireThroughput("sequential SET", sets, SET_FLOOR);
    requireThroughput("sequential GET", gets, GET_FLOOR);
    requireHitRate("sequential GET", gets);
    int n = params.sequential();
    var scn =
        scenario("sequential")
            .exec(phaseStart(sets, all))
            .repeat(n, "i").on(put("sequential SET", "seq-#{i}", sets, all))
            .exec(phaseEnd(sets), phaseStart(gets))
            .repeat(n, "i").on(get("sequential GET", "seq-#{i}", gets, all))
            .exec(phaseEnd(gets), phaseStart(deletes))
            .repeat(n, "i").on(delete("sequential DELETE", "seq-#{i}", false, deletes, all))
            .exec(phaseEnd(deletes, all))
            .exec(thresholdChecks());
    setUp(warmUp().andThen(scn.injectOpen(atOnceUsers(1)))).protocols(protocol).assertions(assertions());
  }

  @Override
  void collect(Map<String, Object> figures) {
    figures.putAll(all.toMap());
    Map<String, Object> byOperation = new LinkedHashMap<>();
    byOperation.put("set", sets.toMap());
    byOperation.put("get", gets.toMap());
    byOperation.put("delete", deletes.toMap());
    figures.put("by_operation", byOperation);
    figures.put("parameters", Map.of("sequential", params.sequential(), "value_bytes", params.valueBytes()));
  }
}
