package dev.asynccache.chronicle;

import dev.asynccache.AsyncCache;
import dev.asynccache.persistence.Codecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Measures snapshot save and load of 100,000 entries (String keys, 100-byte values) and the file
 * size. Not a test: run it by hand (see the README), on a machine as quiet as possible.
 *
 * <p>Arguments: {@code [entries] [valueBytes] [rounds]}.
 */
public final class SnapshotMeasure {
  private SnapshotMeasure() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int valueBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    Path dir = Files.createTempDirectory("snapshot-measure");
    Path file = dir.resolve("measure.snap");
    Random random = new Random(1);
    try (AsyncCache<String, byte[]> cache =
        AsyncCache.builder()
            .maxSize(n)
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.bytes()))
            .build()) {
      for (int i = 0; i < n; i++) {
        byte[] v = new byte[valueBytes];
        random.nextBytes(v);
        cache.set("key-" + i, v);
      }
      for (int r = 0; r <= rounds; r++) {
        long t0 = System.nanoTime();
        long saved = cache.saveToBackend();
        long t1 = System.nanoTime();
        System.out.printf(
            "%s save: %d entries in %.1f ms, file %.2f MB%n",
            r == 0 ? "warm-up" : "round " + r, saved, (t1 - t0) / 1e6, Files.size(file) / 1e6);
      }
    }
    for (int r = 0; r <= rounds; r++) {
      try (AsyncCache<String, byte[]> cache =
          AsyncCache.builder()
              .maxSize(n)
              .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.bytes()))
              .build()) {
        long t0 = System.nanoTime();
        long loaded = cache.loadFromBackend();
        long t1 = System.nanoTime();
        System.out.printf(
            "%s load: %d entries in %.1f ms%n", r == 0 ? "warm-up" : "round " + r, loaded, (t1 - t0) / 1e6);
      }
    }
    System.out.printf("raw data: %.2f MB (keys + values)%n", n * (valueBytes + 10.0) / 1e6);
    Files.deleteIfExists(file);
    Files.deleteIfExists(dir.resolve("measure.snap.lock"));
    Files.deleteIfExists(dir);
  }
}
