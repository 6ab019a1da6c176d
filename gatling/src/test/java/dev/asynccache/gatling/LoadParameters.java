package dev.asynccache.gatling;

import java.util.Optional;

/**
 * The run's parameters, read from system properties named after the seed's flags.
 *
 * @param url the server to drive ({@code -Durl=http://127.0.0.1:8000}), or several separated by
 *     commas (each virtual user sticks to one, in turn); empty: start one in-process
 * @param servers in-process servers to start when {@code url} is empty ({@code -Dservers}); more
 *     than one needs {@code redis}
 * @param redis for the in-process servers ({@code -Dredis}): empty, none; {@code start}, a
 *     {@code redis-server} process this run starts on a free loopback port; or a {@code redis://}
 *     URI. The servers then share their cache through it
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
    int servers,
    String redis,
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
            positive("servers", 1),
            System.getProperty("redis", "").strip(),
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
    if (p.servers > 1 && p.redis.isEmpty()) {
      throw new IllegalArgumentException("-Dservers=" + p.servers + " needs -Dredis (start or a redis:// URI)");
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
