package dev.asynccache.gatling;

import static io.gatling.javaapi.core.CoreDsl.ByteArrayBody;
import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.responseTimeInMillis;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the three scenarios share: the parameters, the target server (started in-process unless
 * {@code -Durl} is given, stopped in {@link #after()}), request builders that record into {@link
 * OpStats}, the seed's thresholds and {@code benchmark_results.json}.
 *
 * <p>Thresholds (the seed's alerts and the lower ends of its expected ranges) fail the run through
 * Gatling's assertions, so the HTML report is still written: more than 1 % failed requests, p95
 * over 50 ms, and each threshold registered with {@code require...}. The latter are checked at the
 * end of the run by one request each in the group {@code thresholds} (a {@code GET} whose check
 * compares the measured figure with its bound); the group must have no failure. With {@code
 * -Dthresholds=correctness} (the CI smoke pass) only failures and hit rates are enforced; the
 * speed figures are still measured and written.
 */
abstract class CacheSimulation extends Simulation {
  static final double MAX_FAILED_PERCENT = 1.0;
  static final int MAX_P95_MS = 50;
  static final double MIN_HIT_RATE = 0.80;
  static final String THRESHOLDS_GROUP = "thresholds";

  /** A figure that must reach {@code bound}; {@code measure} gets the body of {@code GET path}. */
  record Threshold(String name, String path, Function<String, Double> measure, double bound, boolean speed) {}

  final LoadParameters params = LoadParameters.fromSystemProperties();
  final LoadTarget target = LoadTarget.open(params);
  final byte[] value = new byte[params.valueBytes()];
  final HttpProtocolBuilder protocol =
      http.baseUrls(target.urls()) // several servers: each virtual user sticks to one, in turn
          .disableWarmUp() // Gatling's default warm-up request goes to an outside host
          .shareConnections() // one pool for all users: measured users reuse the warm-up's connections
          .disableCaching() // no HTTP cache bookkeeping per response (the server sends no cache headers)
          .disableFollowRedirect()
          .acceptHeader("*/*")
          .contentTypeHeader("application/octet-stream");
  private final String scenario;
  private final boolean enforceSpeed = !"correctness".equals(System.getProperty("thresholds", "all"));
  private final List<Threshold> thresholds = new ArrayList<>();

  CacheSimulation(String scenario) {
    this.scenario = scenario;
    Arrays.fill(value, (byte) 'v');
  }

  /** {@code PUT /cache/{key}}, expecting 204. */
  ChainBuilder put(String requestName, String keyExpression, OpStats... into) {
    return exec(http(requestName)
            .put("/cache/" + keyExpression)
            .body(ByteArrayBody(value))
            .check(status().is(204), responseTimeInMillis().saveAs("rt")))
        .exec(session -> record(session, null, into));
  }

  /** {@code GET /cache/{key}}: 200 is a hit, 404 a miss, anything else a failure. */
  ChainBuilder get(String requestName, String keyExpression, OpStats... into) {
    return exec(http(requestName)
            .get("/cache/" + keyExpression)
            .check(status().in(200, 404).saveAs("status"), responseTimeInMillis().saveAs("rt")))
        .exec(session -> record(session, session.contains("status") ? session.getInt("status") == 200 : null, into));
  }

  /** {@code DELETE /cache/{key}}: 204, or 404 when {@code absentOk}. */
  ChainBuilder delete(String requestName, String keyExpression, boolean absentOk, OpStats... into) {
    var check = absentOk ? status().in(204, 404) : status().is(204);
    return exec(http(requestName)
            .delete("/cache/" + keyExpression)
            .check(check, responseTimeInMillis().saveAs("rt")))
        .exec(session -> record(session, null, into));
  }

  private static Session record(Session session, Boolean hit, OpStats[] into) {
    if (session.contains("rt")) {
      int rt = session.getInt("rt");
      for (OpStats s : into) {
        s.record(rt, hit);
      }
    } else {
      for (OpStats s : into) {
        s.failed();
      }
    }
    return session.removeAll("rt", "status");
  }

  static ChainBuilder phaseStart(OpStats... stats) {
    return exec(session -> {
      long now = System.nanoTime();
      for (OpStats s : stats) {
        s.phaseStarted(now);
      }
      return session;
    });
  }

  static ChainBuilder phaseEnd(OpStats... stats) {
    return exec(session -> {
      long now = System.nanoTime();
      for (OpStats s : stats) {
        s.phaseEnded(now);
      }
      return session;
    });
  }

  /** Requires {@code stats} to reach {@code floor} operations per second. */
  void requireThroughput(String what, OpStats stats, double floor) {
    thresholds.add(
        new Threshold(String.format("%s >= %.0f ops/s", what, floor), "/health", body -> stats.opsPerSecond(), floor, true));
  }

  /** Requires the hits of {@code stats} (200 vs 404) to reach {@link #MIN_HIT_RATE}. */
  void requireHitRate(String what, OpStats stats) {
    thresholds.add(
        new Threshold(what + " hit rate >= " + MIN_HIT_RATE, "/health", body -> stats.hitRate(), MIN_HIT_RATE, false));
  }

  /** Requires a hit rate computed from the server's {@code /stats} body to reach {@link #MIN_HIT_RATE}. */
  void requireServerHitRate(String what, Function<String, Double> fromStats) {
    thresholds.add(new Threshold(what + " hit rate >= " + MIN_HIT_RATE, "/stats", fromStats, MIN_HIT_RATE, false));
  }

  private boolean enforced(Threshold t) {
    return enforceSpeed || !t.speed();
  }

  /** One checked request per enforced threshold, in the group {@value #THRESHOLDS_GROUP}; run it last. */
  ChainBuilder thresholdChecks() {
    List<ChainBuilder> checks = new ArrayList<>();
    for (Threshold t : thresholds) {
      if (enforced(t)) {
        Function<String, Double> measure = t.measure();
        // A lambda, not a method reference: Gatling reads the Double out of its signature.
        checks.add(exec(http(t.name()).get(t.path()).check(bodyString().transform((String body) -> measure.apply(body)).gte(t.bound()))));
      }
    }
    return group(THRESHOLDS_GROUP).on(exec(checks));
  }

  /** Gatling's assertions: failures, p95 (unless only correctness is enforced), the threshold group. */
  List<Assertion> assertions() {
    List<Assertion> list = new ArrayList<>();
    list.add(global().failedRequests().percent().lte(MAX_FAILED_PERCENT));
    if (enforceSpeed) {
      list.add(global().responseTime().percentile(95.0).lte(MAX_P95_MS));
    }
    list.add(details(THRESHOLDS_GROUP).failedRequests().count().is(0L));
    return list;
  }

  /**
   * A Gatling scenario of {@code -Dwarmup} PUT/GET pairs on throw-away keys, shared by up to 10
   * users: both JVMs (Gatling's client, the server) are compiled and connected before the measured
   * phases, which follow it with {@code andThen}. Its requests show in the report as "warm-up" and
   * are not part of the scenario's figures.
   */
  PopulationBuilder warmUp() {
    int users = Math.max(1, Math.min(10, params.concurrency()));
    int perUser = Math.max(1, params.warmup() / 2 / users);
    return scenario(scenario + " warm-up")
        .repeat(perUser, "w")
        .on(
            exec(session -> session.set("wk", "warmup-" + session.userId() + "-" + session.getInt("w"))),
            put("warm-up PUT", "#{wk}"),
            get("warm-up GET", "#{wk}"),
            delete("warm-up DELETE", "#{wk}", false))
        .injectOpen(atOnceUsers(users));
  }

  /** Puts the scenario's figures into {@code figures} (read before the target is closed). */
  abstract void collect(Map<String, Object> figures);

  /** Writes this scenario into {@code benchmark_results.json} and stops the in-process server. */
  @Override
  public void after() {
    Map<String, Object> figures = new LinkedHashMap<>();
    try {
      collect(figures);
      List<Map<String, Object>> checked = new ArrayList<>();
      for (Threshold t : thresholds) {
        double actual = t.measure().apply(t.path().equals("/stats") ? target.statsBody() : "");
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("threshold", t.name());
        row.put("actual", Double.isFinite(actual) ? Math.round(actual * 1000) / 1000.0 : null);
        row.put("passed", actual >= t.bound());
        row.put("enforced", enforced(t));
        checked.add(row);
      }
      figures.put("thresholds", checked);
    } finally {
      target.close();
    }
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("target", target.description());
    run.put("available_processors", Runtime.getRuntime().availableProcessors());
    run.put("java", Runtime.version().toString());
    run.put("p95_limit_ms", MAX_P95_MS);
    run.put("max_failed_percent", MAX_FAILED_PERCENT);
    figures.put("run", run);
    var file = BenchmarkResults.write(scenario, figures);
    System.out.println(scenario + " results written to " + file.toAbsolutePath());
  }
}
