package dev.asynccache.gatling;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.during;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.percent;
import static io.gatling.javaapi.core.CoreDsl.randomSwitch;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The seed's mixed scenario: {@code -Dconcurrency} users for {@code -Dduration} seconds, each
 * request on a uniformly random key of {@code -Dkeys} (preloaded): 80 % GET, 18 % PUT, 2 % DELETE.
 * In steady state a key is present with probability PUT / (PUT + DELETE) = 90 %, inside the seed's
 * 85–95 % hit range, so the hit rate measures the server rather than the key choice. Seed floors:
 * 800 ops/s, hit rate 80 %.
 */
public class MixedSimulation extends CacheSimulation {
  static final double FLOOR = 800;
  static final double GET_PERCENT = 80;
  static final double PUT_PERCENT = 18;
  static final double DELETE_PERCENT = 2;

  private final OpStats gets = new OpStats();
  private final OpStats sets = new OpStats();
  private final OpStats deletes = new OpStats();
  private final OpStats all = new OpStats();
  private volatile double hitsBefore;
  private volatile double missesBefore;

  @SuppressWarnings("this-escape") // Gatling simulations are set up in the constructor
  public MixedSimulation() {
    super("mixed");
    requireThroughput("mixed", all, FLOOR);
    requireHitRate("mixed GET (client: 200 vs 404)", gets);
    requireServerHitRate("mixed GET (server /stats)", this::serverHitRate);
    int keys = params.keys();
    var scn =
        scenario("mixed")
            .exec(phaseStart(all, gets, sets, deletes))
            .during(Duration.ofSeconds(params.durationSeconds()))
            .on(
                exec(session -> session.set("k", ThreadLocalRandom.current().nextInt(keys)))
                    .exec(
                        randomSwitch()
                            .on(
                                percent(GET_PERCENT).then(get("mixed GET", "mixed-#{k}", gets, all)),
                                percent(PUT_PERCENT).then(put("mixed SET", "mixed-#{k}", sets, all)),
                                percent(DELETE_PERCENT).then(delete("mixed DELETE", "mixed-#{k}", true, deletes, all)))))
            .exec(phaseEnd(all, gets, sets, deletes));
    var checks = scenario("mixed thresholds").exec(thresholdChecks());
    // The server's hit counters are read between the warm-up (all hits) and the measured phase.
    var baseline =
        scenario("mixed baseline")
            .exec(session -> {
              double[] before = target.hitsAndMisses(); // blocks a Gatling thread once, outside the measured phase
              hitsBefore = before[0];
              missesBefore = before[1];
              return session;
            });
    setUp(
            warmUp()
                .andThen(
                    baseline
                        .injectOpen(atOnceUsers(1))
                        .andThen(
                            scn.injectOpen(atOnceUsers(params.concurrency()))
                                .andThen(checks.injectOpen(atOnceUsers(1))))))
        .protocols(protocol)
        .assertions(assertions());
  }

  @Override
  public void before() {
    target.preload("mixed-", params.keys(), value);
  }

  /**
   * The servers' hit rate since the measured phase began, from their {@code /stats} (all of them,
   * read afresh: {@code ignored} is the body of the check request).
   */
  private double serverHitRate(String ignored) {
    double[] now = target.hitsAndMisses();
    double hits = now[0] - hitsBefore;
    double misses = now[1] - missesBefore;
    return hits / (hits + misses);
  }

  @Override
  void collect(Map<String, Object> figures) {
    figures.putAll(all.toMap());
    figures.put("server_hit_rate", Math.round(serverHitRate(target.statsBody()) * 1000) / 1000.0);
    Map<String, Object> byOperation = new LinkedHashMap<>();
    byOperation.put("get", gets.toMap());
    byOperation.put("set", sets.toMap());
    byOperation.put("delete", deletes.toMap());
    figures.put("by_operation", byOperation);
    figures.put(
        "parameters",
        Map.of(
            "duration_seconds", params.durationSeconds(),
            "concurrency", params.concurrency(),
            "keys", params.keys(),
            "mix", "80% GET, 18% PUT, 2% DELETE",
            "value_bytes", params.valueBytes()));
  }
}
