package dev.asynccache.gatling;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.ChainBuilder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The seed's concurrent scenario: {@code -Dconcurrency} users share {@code -Dconcurrent} SETs
 * (each user takes the next key number until all are done), then the same users share the GETs of
 * those keys. Seed floors: SET 1,000 ops/s, GET 2,000 ops/s.
 */
public class ConcurrentSimulation extends CacheSimulation {
  static final double SET_FLOOR = 1000;
  static final double GET_FLOOR = 2000;

  private final OpStats sets = new OpStats();
  private final OpStats gets = new OpStats();
  private final OpStats all = new OpStats();

  @SuppressWarnings("this-escape") // Gatling simulations are set up in the constructor
  public ConcurrentSimulation() {
    super("concurrent");
    requireThroughput("concurrent SET", sets, SET_FLOOR);
    requireThroughput("concurrent GET", gets, GET_FLOOR);
    requireHitRate("concurrent GET", gets);
    int n = params.concurrent();
    AtomicInteger nextSet = new AtomicInteger();
    AtomicInteger nextGet = new AtomicInteger();
    var setPhase =
        scenario("concurrent SET")
            .exec(phaseStart(sets, all))
            .exec(shared(nextSet, n, put("concurrent SET", "conc-#{i}", sets, all)))
            .exec(phaseEnd(sets));
    var getPhase =
        scenario("concurrent GET")
            .exec(phaseStart(gets))
            .exec(shared(nextGet, n, get("concurrent GET", "conc-#{i}", gets, all)))
            .exec(phaseEnd(gets, all));
    int users = params.concurrency();
    var checks = scenario("concurrent thresholds").exec(thresholdChecks());
    setUp(
            warmUp()
                .andThen(
                    setPhase
                        .injectOpen(atOnceUsers(users))
                        .andThen(getPhase.injectOpen(atOnceUsers(users)).andThen(checks.injectOpen(atOnceUsers(1))))))
        .protocols(protocol)
        .assertions(assertions());
  }

  /** Runs {@code request} for key numbers taken from {@code next} until {@code n} are taken. */
  private static ChainBuilder shared(AtomicInteger next, int n, ChainBuilder request) {
    return exec(session -> session.set("i", next.getAndIncrement()))
        .asLongAs(session -> session.getInt("i") < n)
        .on(exec(request).exec(session -> session.set("i", next.getAndIncrement())));
  }

  @Override
  void collect(Map<String, Object> figures) {
    figures.putAll(all.toMap());
    Map<String, Object> byOperation = new LinkedHashMap<>();
    byOperation.put("set", sets.toMap());
    byOperation.put("get", gets.toMap());
    figures.put("by_operation", byOperation);
    figures.put(
        "parameters",
        Map.of("concurrent", params.concurrent(), "concurrency", params.concurrency(), "value_bytes", params.valueBytes()));
  }
}
