package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.asynccache.AsyncCache;
import dev.asynccache.persistence.Codecs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The READMEs' persistence examples, compiled and run. Keep them in step. */
class ReadmeExamplesTest {
  @TempDir Path dir;

  @Test
  void snapshotExample() {
    Path file = dir.resolve("cache.snap");
    byte[] value = "v".getBytes(StandardCharsets.UTF_8);
    for (int run = 0; run < 2; run++) {
      AsyncCache<String, byte[]> cache = AsyncCache.builder()
          .maxSize(100_000)
          .persistence(ChronicleBackends.snapshot(file,
              Codecs.string(), Codecs.bytes()))
          .saveOnShutdown(true)                 // on close() and JVM shutdown
          .saveInterval(Duration.ofMinutes(5))  // optional
          .build();
      long restored = cache.loadFromBackend();                  // 0 on a first start
      if (run == 0) {
        assertEquals(0, restored);
        cache.set("k", value);
      } else {
        assertEquals(1, restored);
        assertArrayEquals(value, cache.getIfPresent("k"));
      }
      cache.close();
    }
  }

  /** The module README's write-through example, compiled and run. */
  @Test
  void writeThroughExample() {
    Path file = dir.resolve("cache.map");
    for (int run = 0; run < 2; run++) {
      AsyncCache<String, String> wt = AsyncCache.builder()
          .maxSize(100_000)
          .persistence(ChronicleBackends.writeThrough(file,
                  Codecs.string(), Codecs.string())
              .maxEntries(100_000)       // required: the cache's maxSize
              .averageKeyBytes(16)       // default 32
              .averageValueBytes(200)    // default 256
              .durability(Durability.every(Duration.ofSeconds(1)))  // default Durability.onSave()
              .open())
          .build();
      if (run == 0) {
        wt.set("k", "v");
      } else {
        assertEquals("v", wt.get("k", () -> "loaded"));
      }
      wt.close();
    }
  }
}
