package dev.asynccache.gatling;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * {@code benchmark_results.json}: one object per scenario, in the seed's shape (operations,
 * avg/min/max time in ms, ops per second, hit rate). Each simulation replaces its own scenario and
 * keeps the others', so the three simulations of a run fill one file.
 */
final class BenchmarkResults {
  static final String FILE_NAME = "benchmark_results.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private BenchmarkResults() {}

  /** The folder of Gatling's reports ({@code -Dresults.dir}, set by the pom; else target/gatling). */
  static Path resultsDir() {
    return Path.of(System.getProperty("results.dir", "target/gatling"));
  }

  static synchronized Path write(String scenario, Map<String, Object> figures) {
    Path file = resultsDir().resolve(FILE_NAME);
    try {
      Files.createDirectories(file.getParent());
      ObjectNode root =
          Files.exists(file) && JSON.readTree(file.toFile()) instanceof ObjectNode existing
              ? existing
              : JSON.createObjectNode();
      root.set(scenario, JSON.valueToTree(figures));
      Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
      JSON.writeValue(tmp.toFile(), root);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
