package dev.asynccache.chronicle;

import dev.asynccache.AsyncCache;
import dev.asynccache.Ttl;
import dev.asynccache.persistence.Codec;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceBackend;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The programs the tests run in separate JVMs. Each prints progress lines on stdout, flushed at
 * once, so that the test knows what was acknowledged before it kills the process.
 */
public final class Children {
  private Children() {}

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    Path file = Path.of(args[1]);
    switch (args[0]) {
      case "save-cache" -> saveCache(out, file, Integer.parseInt(args[2]));
      case "save-loop" -> saveLoop(out, file, Integer.parseInt(args[2]));
      case "write-through" -> writeThrough(out, file, Integer.parseInt(args[2]));
      case "hold-lock" -> holdLock(out, file);
      case "write-through-then-wait" ->
          writeThroughThenWait(out, file, Integer.parseInt(args[2]));
      case "analytics" -> analytics(out, file);
      case "save-on-shutdown" -> saveOnShutdown(out, file, Integer.parseInt(args[2]), args[3]);
      case "save-on-shutdown-codec-error" -> saveOnShutdownCodecError(out, file);
      case "property-only" -> {
        Class.forName(ChronicleBackends.class.getName(), true, Children.class.getClassLoader());
        out.println("property " + System.getProperty("chronicle.analytics.disable"));
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  /** Saves {@code n} entries through a cache: even keys with a one-hour TTL, odd ones forever. */
  private static void saveCache(PrintStream out, Path file, int n) {
    long before = System.currentTimeMillis();
    try (AsyncCache<String, String> cache =
        AsyncCache.builder()
            .maxSize(n)
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string()))
            .build()) {
      for (int i = 0; i < n; i++) {
        cache.set("k" + i, "v" + i, i % 2 == 0 ? Ttl.of(Duration.ofHours(1)) : Ttl.never());
      }
      cache.getIfPresent("k0"); // k0 becomes the most recently used
      out.println("saved " + cache.saveToBackend());
    }
    long after = System.currentTimeMillis();
    out.println("window " + before + " " + after);
  }

  /** Saves generation after generation of {@code n} ~100-byte entries until killed. */
  private static void saveLoop(PrintStream out, Path file, int n) {
    PersistenceBackend<String, byte[]> backend =
        ChronicleBackends.snapshot(file, Codecs.string(), Codecs.bytes());
    for (int g = 1; ; g++) {
      List<PersistedEntry<String, byte[]>> entries = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        entries.add(new PersistedEntry<>("key-" + i, value(g, i), PersistedEntry.NEVER));
      }
      out.println("saving " + g);
      backend.save(entries);
      out.println("saved " + g);
    }
  }

  /** The ~100-byte value of entry {@code i} in generation {@code g}. */
  static byte[] value(int g, int i) {
    byte[] v = new byte[100];
    String head = "g" + g + ":" + i + ":";
    byte[] h = head.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(h, 0, v, 0, h.length);
    for (int j = h.length; j < v.length; j++) {
      v[j] = (byte) (i * 31 + j);
    }
    return v;
  }

  /** Writes (and every tenth time deletes) through a write-through cache until killed. */
  private static void writeThrough(PrintStream out, Path file, int maxEntries) {
    AsyncCache<String, String> cache =
        AsyncCache.builder()
            .maxSize(maxEntries)
            .persistence(
                ChronicleBackends.writeThrough(file, Codecs.string(), Codecs.string())
                    .maxEntries(maxEntries)
                    .averageKeyBytes(8)
                    .averageValueBytes(24)
                    .open())
            .build();
    out.println("ready");
    for (int i = 0; i < 1_000_000; i++) {
      cache.set("k" + i, "value-" + i);
      out.println("ack " + i);
      if (i % 10 == 9) {
        cache.delete("k" + (i - 5));
        out.println("del " + (i - 5));
      }
    }
  }

  /**
   * A first start (no snapshot yet, nothing loaded) of a cache that saves only on shutdown: sets
   * {@code n} entries and ends the JVM, by returning from main ({@code how=return}) or by {@code
   * System.exit(0)} ({@code how=exit}).
   */
  private static void saveOnShutdown(PrintStream out, Path file, int n, String how) {
    AsyncCache<String, String> cache =
        AsyncCache.builder()
            .maxSize(n)
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string()))
            .saveOnShutdown(true)
            .build();
    for (int i = 0; i < n; i++) {
      cache.set("k" + i, "v" + i);
    }
    out.println("set " + n);
    if (how.equals("exit")) {
      System.exit(0);
    }
  }

  /** Like save-on-shutdown, but the value codec throws an Error while the shutdown save runs. */
  private static void saveOnShutdownCodecError(PrintStream out, Path file) {
    Codec<String> failing =
        new Codec<>() {
          @Override
          public byte[] encode(String value) {
            throw new AssertionError("codec failure for the test");
          }

          @Override
          public String decode(byte[] bytes) {
            throw new UnsupportedOperationException();
          }
        };
    AsyncCache<String, String> cache =
        AsyncCache.builder()
            .persistence(ChronicleBackends.snapshot(file, Codecs.string(), failing))
            .saveOnShutdown(true)
            .build();
    cache.set("k", "v");
    out.println("set 1");
  }

  /**
   * Writes {@code n} entries ({@code k<i>} to {@code value-<i>.}) through a write-through backend,
   * then waits, holding the file, until killed: the test kills it between writes, when no segment
   * lock is held, so that the file takes the crash-recovery path with nothing cut mid-write.
   */
  private static void writeThroughThenWait(PrintStream out, Path file, int n) throws Exception {
    PersistenceBackend<String, String> backend =
        ChronicleBackends.writeThrough(file, Codecs.string(), Codecs.string())
            .maxEntries(n)
            .averageKeyBytes(8)
            .averageValueBytes(16)
            .open();
    for (int i = 0; i < n; i++) {
      backend.put(new PersistedEntry<>("k" + i, "value-" + i + ".", PersistedEntry.NEVER));
    }
    out.println("written " + n);
    while (System.in.read() >= 0) {
      // wait to be killed
    }
  }

  private static void holdLock(PrintStream out, Path file) throws Exception {
    PersistenceBackend<String, String> backend =
        ChronicleBackends.snapshot(file, Codecs.string(), Codecs.string());
    out.println("locked pid=" + ProcessHandle.current().pid());
    while (System.in.read() >= 0) {
      // wait for the test to close stdin
    }
    backend.close();
    out.println("released");
  }

  /** Uses both backends in a plain JVM (no JUnit on the classpath). */
  private static void analytics(PrintStream out, Path dir) {
    PersistenceBackend<String, String> snap =
        ChronicleBackends.snapshot(dir.resolve("a.snap"), Codecs.string(), Codecs.string());
    snap.save(List.of(new PersistedEntry<>("a", "b", PersistedEntry.NEVER)));
    snap.load(e -> {});
    snap.close();
    PersistenceBackend<String, String> wt =
        ChronicleBackends.writeThrough(dir.resolve("a.map"), Codecs.string(), Codecs.string())
            .maxEntries(10)
            .open();
    wt.put(new PersistedEntry<>("a", "b", PersistedEntry.NEVER));
    wt.close();
    out.println("done property=" + System.getProperty("chronicle.analytics.disable"));
  }
}
