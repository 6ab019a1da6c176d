package dev.asynccache.perf.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One entry of JMH's JSON output ({@code -rf json}): one benchmark method with one set of
 * parameters.
 *
 * @param benchmark the fully qualified method, such as {@code dev.asynccache.perf.MissBenchmark.invalidateThenGet}
 * @param mode JMH's mode code: {@code avgt}, {@code thrpt}, {@code ss}, {@code sample}
 * @param threads the threads that ran it
 * @param forks the forks
 * @param warmupIterations warmup iterations per fork
 * @param measurementIterations measured iterations per fork
 * @param measurementTime the length of one iteration, as JMH prints it
 * @param jdkVersion the JDK version of the forked JVM
 * @param vm the VM name and version
 * @param jvmArgs the forked JVM's arguments
 * @param params the {@code @Param} values, by name
 * @param primary the score
 * @param secondary the secondary metrics (profilers, aux counters), by name
 */
public record JmhResult(
    String benchmark,
    String mode,
    int threads,
    int forks,
    int warmupIterations,
    int measurementIterations,
    String measurementTime,
    String jdkVersion,
    String vm,
    List<String> jvmArgs,
    Map<String, String> params,
    Metric primary,
    Map<String, Metric> secondary) {

  /**
   * Reads a JMH JSON result file.
   *
   * @throws IOException if the file cannot be read or is not JMH's JSON
   */
  public static List<JmhResult> readAll(Path file) throws IOException {
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    if (root == null || !root.isArray()) {
      throw new IOException(file + " is not JMH JSON output: expected an array of results");
    }
    List<JmhResult> results = new ArrayList<>();
    for (JsonNode n : root) {
      results.add(parse(n, file));
    }
    return results;
  }

  /** The benchmark's class, without package: {@code MissBenchmark}. */
  public String className() {
    String[] parts = benchmark.split("\\.");
    return parts.length < 2 ? benchmark : parts[parts.length - 2];
  }

  /** The benchmark's method: {@code invalidateThenGet}. */
  public String methodName() {
    return benchmark.substring(benchmark.lastIndexOf('.') + 1);
  }

  private static JmhResult parse(JsonNode n, Path file) throws IOException {
    String benchmark = n.path("benchmark").asText("");
    if (benchmark.isEmpty() || !n.has("primaryMetric")) {
      throw new IOException(file + " holds an entry without benchmark or primaryMetric: " + n);
    }
    Map<String, String> params = new LinkedHashMap<>();
    n.path("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asText()));
    Map<String, Metric> secondary = new LinkedHashMap<>();
    n.path("secondaryMetrics")
        .properties()
        .forEach(e -> secondary.put(e.getKey(), metric(e.getValue())));
    List<String> jvmArgs = new ArrayList<>();
    n.path("jvmArgs").forEach(a -> jvmArgs.add(a.asText()));
    return new JmhResult(
        benchmark,
        n.path("mode").asText(),
        n.path("threads").asInt(),
        n.path("forks").asInt(),
        n.path("warmupIterations").asInt(),
        n.path("measurementIterations").asInt(),
        n.path("measurementTime").asText(),
        n.path("jdkVersion").asText(),
        (n.path("vmName").asText() + " " + n.path("vmVersion").asText()).trim(),
        Collections.unmodifiableList(jvmArgs),
        Collections.unmodifiableMap(params),
        metric(n.path("primaryMetric")),
        Collections.unmodifiableMap(secondary));
  }

  private static Metric metric(JsonNode m) {
    List<Double> raw = new ArrayList<>();
    for (JsonNode fork : m.path("rawData")) {
      for (JsonNode v : fork) {
        raw.add(number(v));
      }
    }
    return new Metric(
        number(m.path("score")),
        number(m.path("scoreError")),
        m.path("scoreUnit").asText(),
        number(m.path("scorePercentiles").path("50.0")),
        Collections.unmodifiableList(raw));
  }

  /** JMH writes {@code "NaN"} as a string. */
  private static double number(JsonNode v) {
    if (v.isNumber()) {
      return v.asDouble();
    }
    try {
      return Double.parseDouble(v.asText());
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }
}
