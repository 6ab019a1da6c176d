package dev.asynccache.gatling;

import java.util.Optional;

/**
 * The run's parameters, read from system properties named after the seed's flags.
 *
 * @param url the server to drive ({@code -Durl=http://127.0.0.1:8000}); empty: start one in-process
 * @param sequential operations per phase of the sequential scenario ({@code -Dsequential})
 * @param concurrent operations per phase of the concurrent scenario ({@code -Dconcurrent})
 * @param concurrency virtual users of the concurrent and mixed scenarios ({@code -Dconcurrency})
 * @param durationSeconds length of the mixed scenario ({@code -Dduration}, seconds)
 * @param keys the mixed scenario's key space ({@code -Dkeys})
 * @param valueBytes size of every value written ({@code -DvalueBytes})
 * @param warmup requests sent before measuring, not counted ({@code -Dwarmup})
 */
record LoadParameters(
    Optional<String> url,
    int sequential,
    int concurrent,
    int concurrency,
    int durationSeconds,
    int keys,
    int valueBytes,
    int warmup) {

  static LoadParameters fromSystemProperties() {
    String url = System.getProperty("url", "").strip();
    LoadParameters p =
        new LoadParameters(
            url.isEmpty() ? Optional.empty() : Optional.of(url),
            positive("sequential", 1000),
            positive("concurrent", 1000),
            positive("concurrency", 50),
            positive("duration", 60),
            positive("keys", 1000),
            positive("valueBytes", 64),
            count("warmup", 2000));
    if (p.concurrent < p.concurrency) {
      throw new IllegalArgumentException(
          "-Dconcurrent=" + p.concurrent + " must be at least -Dconcurrency=" + p.concurrency);
    }
    return p;
  }

  private static int positive(String name, int fallback) {
    int v = count(name, fallback);
    if (v < 1) {
      throw new IllegalArgumentException("-D" + name + " must be at least 1, was " + v);
    }
    return v;
  }

  private static int count(String name, int fallback) {
    String v = System.getProperty(name, "").strip();
    if (v.isEmpty()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + name + " must be a non-negative integer, was \"" + v + "\"");
    }
  }
}
