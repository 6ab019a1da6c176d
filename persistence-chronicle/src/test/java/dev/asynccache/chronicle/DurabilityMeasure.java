package dev.asynccache.chronicle;

import dev.asynccache.AsyncCache;
import dev.asynccache.persistence.Codecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Measures the cost of one {@code set} through a write-through cache at each {@link Durability}
 * level: {@code n} sets of distinct String keys with random values, after a warm-up, each level
 * on a new file. Not a test: run it by hand (see the README), on a machine as quiet as possible.
 *
 * <p>Arguments: {@code [sets] [valueBytes] [directory]} (default 100000, 100, a new temporary
 * directory; the directory should be on the disk whose cost is of interest, not a tmpfs).
 */
public final class DurabilityMeasure {
  private DurabilityMeasure() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int valueBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    Path dir =
        args.length > 2
            ? Files.createTempDirectory(Path.of(args[2]), "durability-measure")
            : Files.createTempDirectory("durability-measure");
    byte[][] values = new byte[n][];
    Random random = new Random(1);
    for (int i = 0; i < n; i++) {
      values[i] = new byte[valueBytes];
      random.nextBytes(values[i]);
    }
    try {
      System.out.printf("%d sets of %d-byte values per level, files in %s%n", n, valueBytes, dir);
      // Warm-up on a file of its own: JIT and Chronicle's first-use costs.
      run(dir.resolve("warm-up.map"), Durability.onSave(), n, values, valueBytes);
      for (Durability d :
          List.of(
              Durability.onSave(),
              Durability.every(Duration.ofSeconds(1)),
              Durability.everyWrite(),
              Durability.every(Duration.ofSeconds(1)),
              Durability.onSave())) {
        // The cheap levels run twice, before and after the slow one: a second sample on a
        // shared machine, and no level always first.
        Path file = Files.createTempFile(dir, "level", ".map");
        Files.delete(file);
        long nanos = run(file, d, n, values, valueBytes);
        System.out.printf(
            "%-36s %8.1f ms in all, %8.2f us per set%n", d, nanos / 1e6, nanos / 1e3 / n);
      }
      long nanos = inMemoryOnly(n, values);
      System.out.printf(
          "%-36s %8.1f ms in all, %8.2f us per set%n", "no persistence", nanos / 1e6, nanos / 1e3 / n);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Nanoseconds for {@code n} sets (opening and closing the file not included). */
  private static long run(Path file, Durability d, int n, byte[][] values, int valueBytes) {
    try (AsyncCache<String, byte[]> cache =
        AsyncCache.builder()
            .maxSize(n)
            .persistence(
                ChronicleBackends.writeThrough(file, Codecs.string(), Codecs.bytes())
                    .maxEntries(n)
                    .averageKeyBytes(12)
                    .averageValueBytes(valueBytes)
                    .durability(d)
                    .open())
            .build()) {
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        cache.set("key-" + i, values[i]);
      }
      return System.nanoTime() - t0;
    }
  }

  private static long inMemoryOnly(int n, byte[][] values) {
    try (AsyncCache<String, byte[]> cache = AsyncCache.builder().maxSize(n).build()) {
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        cache.set("key-" + i, values[i]);
      }
      return System.nanoTime() - t0;
    }
  }
}
