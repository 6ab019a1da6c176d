package dev.asynccache.perf.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.asynccache.perf.BatchContender;
import dev.asynccache.perf.CacheType;
import dev.asynccache.perf.HerdContender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultsReportTest {
  private static final String P = "dev.asynccache.perf.";
  private static final Machine MACHINE =
      new Machine("Test CPU", 2, true, "4.0 GiB", "Linux 6 amd64", "0.10 0.20 0.30");

  @TempDir Path dir;

  @Test
  void hitTable_hasEachFamily_ratiosWithRanges_andTheMapAsFloorOfTheTtlRow() throws IOException {
    String report =
        render(
            hit("ASYNC_CACHE", 10.0, 1.0),
            hit("CAFFEINE", 20.0, 2.0),
            hit("CONCURRENT_HASH_MAP", 4.0, 0.5),
            hit("ASYNC_CACHE_TTL", 60.0, 3.0),
            hit("CAFFEINE_TTL", 50.0, 5.0));
    assertTrue(
        report.contains(
            "| distribution=ZIPF, no TTL | 10.0 ± 1.00 | 20.0 ± 2.00 | 4.00 ± 0.500 | 0.500 [0.409–0.611] | 2.50 [2.00–3.14] |"),
        report);
    assertTrue(report.contains("| distribution=ZIPF, TTL 5 min | 60.0 ± 3.00 | 50.0 ± 5.00 | 4.00 ± 0.500 | 1.20"), report);
    assertTrue(report.contains("| Hit latency no worse than Caffeine's | ours/Caffeine distribution=ZIPF, no TTL: 0.500×, distribution=ZIPF, TTL 5 min: 1.20× | **not met** |"), report);
    assertTrue(report.contains("| 1.20 [1.04–1.40] |"), report);
    assertTrue(report.contains("| Hit latency far below the seed's 0.8 µs | worst row 60.0 ns, 13.3× below the seed's 800 ns | met |"), report);
    assertTrue(report.contains("Test CPU, 2 logical CPUs (virtual machine), 4.0 GiB RAM"), report);
    assertTrue(report.contains("JDK 25.0.3"), report);
  }

  @Test
  void ratioTarget_missWithinTheErrorBars_isNotAFailure() throws IOException {
    String report = render(hit("ASYNC_CACHE", 22.0, 3.0), hit("CAFFEINE", 20.0, 2.0));
    assertTrue(report.contains("ZIPF, no TTL: 1.10× | not met, but within the error bars |"), report);
    report = render(hit("ASYNC_CACHE", 22.0, 3.0), hit("CAFFEINE", 2.0, 2.5));
    assertTrue(report.contains("| 11.0 [4.22–∞] |"), report);
  }

  @Test
  void herdTable_reportsLoaderCallsPerRepetition_andLeavesMissingFamiliesBlank() throws IOException {
    String report =
        render(
            herd("ASYNC_CACHE_GET_ASYNC", 12.0, List.of(1.0, 1.0, 1.0)),
            herd("CAFFEINE_ASYNC", 13.0, List.of(1.0, 1.0, 1.0)),
            herd("CONCURRENT_HASH_MAP", 40.0, List.of(1.0, 1.0, 1.0)));
    assertTrue(report.contains("| async get + join | 12.0 (12.0) | 13.0 (13.0) | — | 0.923 | — | 1 / 1 / — |"), report);
    assertTrue(report.contains("| blocking get | — | — | 40.0 (40.0) | — | — | — / — / 1 |"), report);
  }

  @Test
  void memoryTable_usesBytesPerEntry_notTheTime() throws IOException {
    String report = render(memory("ASYNC_CACHE", 82.5), memory("CAFFEINE", 85.0), memory("CONCURRENT_HASH_MAP", 42.5));
    assertTrue(report.contains("| entries=100000, no TTL | 82.5 | 85.0 | 42.5 | 0.971 | 1.94 |"), report);
    assertTrue(report.contains("| Memory per entry no more than Caffeine's | ours/Caffeine entries=100000, no TTL: 0.971× | met |"), report);
  }

  @Test
  void everyContenderOfEveryBenchmarkHasASection() {
    for (CacheType t : CacheType.values()) {
      assertEquals(t, Section.ALL.get(0).contenders().apply(t.name()));
    }
    for (HerdContender c : HerdContender.values()) {
      assertEquals(c, Section.ALL.get(5).contenders().apply(c.name()));
    }
    for (BatchContender c : BatchContender.values()) {
      assertEquals(c, Section.ALL.get(6).contenders().apply(c.name()));
    }
  }

  @Test
  void suspendTable_hasEveryCallAsAColumn_andRatiosWithTheDifference() throws IOException {
    String report =
        render(
            suspendHit("javaGetIfPresent", "ZIPF", 18.0, 1.0),
            suspendHit("javaGet", "ZIPF", 20.0, 1.0),
            suspendHit("javaGetAsyncJoin", "ZIPF", 21.0, 1.0),
            suspendHit("suspendGet", "ZIPF", 25.0, 2.0),
            suspendHit("suspendBridgeGetIfPresent", "ZIPF", 22.0, 1.0),
            suspendHit("suspendGetRunBlocking", "ZIPF", 130.0, 10.0),
            suspendHit("suspendGet", "UNIFORM", 30.0, 3.0));
    assertTrue(report.contains("## 7. Kotlin suspend get on a hit against the Java get, 1 thread"), report);
    assertTrue(
        report.contains(
            "| distribution=ZIPF, no TTL | 18.0 ± 1.00 | 20.0 ± 1.00 | 21.0 ± 1.00 | 25.0 ± 2.00 | 22.0 ± 1.00 | 130 ± 10.0 |"),
        report);
    assertTrue(
        report.contains(
            "| distribution=ZIPF, no TTL | 1.25 [1.10–1.42] (+5.00) | 1.39 [1.21–1.59] (+7.00) | 1.22 [1.11–1.35] (+4.00) | 6.50 [5.71–7.37] (+110) |"),
        report);
    assertTrue(report.contains("| distribution=UNIFORM, no TTL | — | — | — | 30.0 ± 3.00 | — | — |"), report);
    assertTrue(report.contains("| distribution=UNIFORM, no TTL | — | — | — | — |"), report);
    assertFalse(report.contains("## Other results"), report);
  }

  @Test
  void readAll_rejectsWhatIsNotJmhJson() throws IOException {
    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"benchmark\": 1}");
    IOException e = assertThrows(IOException.class, () -> JmhResult.readAll(bad));
    assertTrue(e.getMessage().contains("not JMH JSON output"), e.getMessage());
    Files.writeString(bad, "[{\"mode\": \"avgt\"}]");
    e = assertThrows(IOException.class, () -> JmhResult.readAll(bad));
    assertTrue(e.getMessage().contains("without benchmark"), e.getMessage());
  }

  @Test
  void main_writesTheFile() throws IOException {
    Path json = write(hit("ASYNC_CACHE", 10.0, 1.0), hit("CAFFEINE", 20.0, 2.0));
    Path out = dir.resolve("sub/RESULTS.md");
    ResultsReport.main(new String[] {json.toString(), out.toString()});
    assertTrue(Files.readString(out).contains("## 1. Hit latency, 1 thread: getIfPresent"));
  }

  // ----- fixtures: JSON shaped as JMH 1.37 writes it -----

  private String render(String... entries) throws IOException {
    List<JmhResult> results = JmhResult.readAll(write(entries));
    return new ResultsReport(results, "jmh.json", MACHINE, ZonedDateTime.of(2026, 11, 24, 12, 0, 0, 0, ZoneOffset.UTC))
        .render();
  }

  private Path write(String... entries) throws IOException {
    Path json = dir.resolve("jmh.json");
    Files.writeString(json, "[" + String.join(",", entries) + "]");
    return json;
  }

  private static String hit(String type, double score, double error) {
    return entry(P + "HitLatencyBenchmark.getIfPresent", "avgt", 1,
        "{\"cacheType\":\"" + type + "\",\"distribution\":\"ZIPF\"}",
        metric(score, error, "ns/op", List.of(score, score)), "{}");
  }

  private static String suspendHit(String method, String distribution, double score, double error) {
    return entry(P + "SuspendHitBenchmark." + method, "avgt", 1,
        "{\"cacheType\":\"ASYNC_CACHE\",\"distribution\":\"" + distribution + "\"}",
        metric(score, error, "ns/op", List.of(score, score)), "{}");
  }

  private static String herd(String contender, double ms, List<Double> calls) {
    return entry(P + "HerdBenchmark.herd", "ss", 1, "{\"contender\":\"" + contender + "\"}",
        metric(ms, Double.NaN, "ms/op", List.of(ms)),
        "{\"loaderCalls\":" + metric(calls.stream().mapToDouble(Double::doubleValue).sum(), Double.NaN, "#", calls) + "}");
  }

  private static String memory(String type, double bytes) {
    return entry(P + "MemoryBenchmark.retainedSize", "ss", 1,
        "{\"entries\":\"100000\",\"cacheType\":\"" + type + "\"}",
        metric(5000, Double.NaN, "ms/op", List.of(5000.0)),
        "{\"bytesPerEntry\":" + metric(bytes, Double.NaN, "#", List.of(bytes)) + "}");
  }

  private static String entry(String benchmark, String mode, int threads, String params, String primary, String secondary) {
    return String.format(Locale.ROOT,
        "{\"jmhVersion\":\"1.37\",\"benchmark\":\"%s\",\"mode\":\"%s\",\"threads\":%d,\"forks\":2,"
            + "\"jvm\":\"/jdk/bin/java\",\"jvmArgs\":[],\"jdkVersion\":\"25.0.3\",\"vmName\":\"OpenJDK 64-Bit Server VM\","
            + "\"vmVersion\":\"25.0.3+9-LTS\",\"warmupIterations\":3,\"warmupTime\":\"1 s\",\"measurementIterations\":5,"
            + "\"measurementTime\":\"1 s\",\"params\":%s,\"primaryMetric\":%s,\"secondaryMetrics\":%s}",
        benchmark, mode, threads, params, primary, secondary);
  }

  private static String metric(double score, double error, String unit, List<Double> raw) {
    List<String> values = new ArrayList<>();
    raw.forEach(v -> values.add(Double.toString(v)));
    String err = Double.isNaN(error) ? "\"NaN\"" : Double.toString(error);
    return "{\"score\":" + score + ",\"scoreError\":" + err + ",\"scoreUnit\":\"" + unit
        + "\",\"scorePercentiles\":{\"50.0\":" + raw.get(raw.size() / 2) + "},\"rawData\":[["
        + String.join(",", values) + "]]}";
  }
}
