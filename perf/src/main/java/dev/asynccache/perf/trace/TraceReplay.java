package dev.asynccache.perf.trace;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.asynccache.AsyncCache;
import dev.asynccache.EvictionPolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Replays the public cache traces through exact LRU (async-cache's {@link EvictionPolicy#LRU}),
 * Caffeine ({@code maximumSize}, same-thread executor) and async-cache's default policy, for
 * every trace and cache size listed in the traces' {@code README.md}, and prints the hit rates
 * side by side; with a second argument, writes the table into that file's trace section ({@code
 * perf/RESULTS.md}).
 *
 * <p>Replay as the README defines it: one thread, each key asked in turn; a present key is a hit,
 * an absent one a miss after which the key is inserted. Hit rate = hits / requests.
 *
 * <pre>{@code
 * java -cp perf/target/benchmarks.jar dev.asynccache.perf.trace.TraceReplay ../shared/traces perf/RESULTS.md
 * }</pre>
 */
public final class TraceReplay {
  /** A row of the README's reference table: {@code | trace | sizes | LRU | Caffeine |}. */
  private static final Pattern ROW =
      Pattern.compile("^\\|\\s*([A-Za-z0-9_]+)\\s*\\|\\s*([0-9,/ ]+)\\|([^|]*)\\|([^|]*)\\|\\s*$");

  private TraceReplay() {}

  /** One trace at one size, with the README's reference figures. */
  record Case(String trace, int size, double refLru, double refCaffeine) {}

  record Row(Case c, double lru, double caffeine, double ours) {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: TraceReplay <traces directory> [RESULTS.md]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    List<Case> cases = readCases(dir.resolve("README.md"));
    if (cases.isEmpty()) {
      throw new IOException("no trace table found in " + dir.resolve("README.md"));
    }
    List<Row> rows = new ArrayList<>();
    for (Case c : cases) {
      int[] keys = readTrace(dir.resolve(c.trace() + ".trace.gz"));
      Row row =
          new Row(c, replayOurs(keys, c.size(), EvictionPolicy.LRU), replayCaffeine(keys, c.size()),
              replayOurs(keys, c.size(), EvictionPolicy.ADAPTIVE));
      rows.add(row);
      System.out.printf(Locale.ROOT, "%-10s %6d  LRU %6.2f  Caffeine %6.2f  ours %6.2f%n",
          c.trace(), c.size(), row.lru(), row.caffeine(), row.ours());
    }
    String section = render(rows);
    System.out.println();
    System.out.println(section);
    if (args.length == 2) {
      Path out = Path.of(args[1]);
      String text = Files.exists(out) ? Files.readString(out) : "";
      Files.writeString(out, ResultsSection.replace(text, section));
      System.out.println("wrote the trace table into " + out);
    }
  }

  static List<Case> readCases(Path readme) throws IOException {
    List<Case> cases = new ArrayList<>();
    for (String line : Files.readAllLines(readme)) {
      Matcher m = ROW.matcher(line.strip());
      if (!m.matches()) {
        continue;
      }
      int[] sizes = numbers(m.group(2)).stream().mapToInt(Double::intValue).toArray();
      List<Double> lru = numbers(m.group(3));
      List<Double> caffeine = numbers(m.group(4));
      if (sizes.length == 0 || lru.size() != sizes.length || caffeine.size() != sizes.length) {
        continue;
      }
      for (int i = 0; i < sizes.length; i++) {
        cases.add(new Case(m.group(1), sizes[i], lru.get(i), caffeine.get(i)));
      }
    }
    return cases;
  }

  private static List<Double> numbers(String cell) {
    List<Double> out = new ArrayList<>();
    for (String part : cell.split("/")) {
      String t = part.replace(",", "").replace("%", "").replace("*", "").strip();
      if (!t.isEmpty()) {
        try {
          out.add(Double.parseDouble(t));
        } catch (NumberFormatException notANumber) {
          return List.of();
        }
      }
    }
    return out;
  }

  static int[] readTrace(Path file) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
      int[] keys = new int[1 << 16];
      int n = 0;
      for (String line; (line = reader.readLine()) != null; ) {
        line = line.strip();
        if (line.isEmpty()) {
          continue;
        }
        if (n == keys.length) {
          keys = Arrays.copyOf(keys, n * 2);
        }
        keys[n++] = Long.hashCode(Long.parseLong(line));
      }
      return Arrays.copyOf(keys, n);
    }
  }

  static double replayOurs(int[] keys, int size, EvictionPolicy policy) {
    try (AsyncCache<Integer, Integer> cache =
        AsyncCache.builder()
            .maxSize(size)
            .evictionPolicy(policy)
            .maintenanceExecutor(Runnable::run) // every read recorded, as Caffeine's same-thread executor
            .build()) {
      long hits = 0;
      for (int k : keys) {
        Integer key = k;
        if (cache.getIfPresent(key) != null) {
          hits++;
        } else {
          cache.set(key, key);
        }
      }
      return 100.0 * hits / keys.length;
    }
  }

  static double replayCaffeine(int[] keys, int size) {
    Cache<Integer, Integer> cache =
        Caffeine.newBuilder().maximumSize(size).executor(Runnable::run).build();
    long hits = 0;
    for (int k : keys) {
      Integer key = k;
      if (cache.getIfPresent(key) != null) {
        hits++;
      } else {
        cache.put(key, key);
      }
    }
    return 100.0 * hits / keys.length;
  }

  static String render(List<Row> rows) {
    StringBuilder s = new StringBuilder();
    s.append("## Trace replay: hit rates of the eviction policies\n\n");
    s.append("Generated by `dev.asynccache.perf.trace.TraceReplay` on ")
        .append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
        .append(" (`./mvnw -pl perf -am -DskipTests -Ptraces verify`; see `perf/README.md`). ")
        .append("Every trace and size of `../shared/traces/README.md`, replayed on one thread in one")
        .append(" run: a miss inserts the key. Exact LRU is async-cache's `EvictionPolicy.LRU`")
        .append(" (its figures equal the README's `LinkedHashMap` ones); Caffeine (the version")
        .append(" the parent pom pins) with `maximumSize` and a same-thread executor (its admission has a random")
        .append(" component, so its figures move by a few tenths between runs); ours is the default")
        .append(" `EvictionPolicy.ADAPTIVE`. The goal (issue 10): within 1 point of the better of LRU")
        .append(" and Caffeine on every row, above Caffeine on average.\n\n");
    s.append("| trace | size | exact LRU | Caffeine | async-cache default | ours − best of the two | ours − Caffeine |\n");
    s.append("|---|---:|---:|---:|---:|---:|---:|\n");
    double sumOurs = 0;
    double sumCaffeine = 0;
    double sumLru = 0;
    double worst = Double.MAX_VALUE;
    for (Row r : rows) {
      double best = Math.max(r.lru(), r.caffeine());
      worst = Math.min(worst, r.ours() - best);
      sumOurs += r.ours();
      sumCaffeine += r.caffeine();
      sumLru += r.lru();
      s.append(String.format(Locale.ROOT, "| %s | %,d | %.2f %% | %.2f %% | **%.2f %%** | %+.2f | %+.2f |%n",
          r.c().trace(), r.c().size(), r.lru(), r.caffeine(), r.ours(), r.ours() - best,
          r.ours() - r.caffeine()));
    }
    int n = rows.size();
    s.append(String.format(Locale.ROOT, "| **average** | | %.2f %% | %.2f %% | **%.2f %%** | | %+.2f |%n",
        sumLru / n, sumCaffeine / n, sumOurs / n, (sumOurs - sumCaffeine) / n));
    s.append(String.format(Locale.ROOT,
        "%nWorst row against the better of LRU and Caffeine: %+.2f points (goal: no worse than −1).%n",
        worst));
    return s.toString();
  }
}
