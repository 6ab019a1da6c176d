package dev.asynccache.server;

import dev.asynccache.Weigher;
import java.lang.management.ManagementFactory;

/**
 * Weighs a cache entry as the heap bytes it keeps alive, approximately, so that the cache's
 * {@code maximumWeight} is a memory bound ({@code --max-memory}):
 *
 * <ul>
 *   <li>the value: a {@code byte[]}, 16 bytes of header plus its length, rounded up to 8; under G1,
 *       an array of half a heap region or more is "humongous" and occupies whole regions, so it is
 *       rounded up to a multiple of the region size (a 1 MiB value in a 96 MiB heap, whose regions
 *       are 1 MiB, takes 2 MiB);
 *   <li>the key: a {@code String} (24 bytes) and its array, counted at 2 bytes a character (the
 *       most a compact string uses);
 *   <li>{@link #ENTRY_OVERHEAD} bytes for the cache's own structures per entry.
 * </ul>
 *
 * <p>The entry count bound ({@code --max-size}) shares the same budget: every entry weighs at
 * least {@code maxMemory / maxSize}, and the cache's bound is {@code maxSize} times that, so it
 * never holds more than {@code maxSize} entries nor more than {@code maxMemory} bytes (by this
 * estimate). The two bounds are not independent: entries of both kinds together use one budget.
 * Thread-safe and immutable.
 */
final class EntryWeigher implements Weigher<String, byte[]> {
  /**
   * The per-entry bytes of the cache's structures: the cache node (header, key, value, expiry,
   * weight, two links, heap index, flags: about 56 bytes), the {@code ConcurrentHashMap} node (32)
   * and its table slot, the eviction policy's share (frequency sketch, queues), rounded up.
   */
  static final int ENTRY_OVERHEAD = 128;

  /** The bytes of a {@code String} object without its array. */
  static final int STRING_BYTES = 24;

  private final long regionBytes;
  private final long minWeight;
  private final long maximumWeight;

  /**
   * @param maxMemory the memory bound in bytes, at least 1
   * @param maxSize the entry bound, at least 1
   * @param regionBytes the G1 region size, or 0 if the heap is not G1's
   */
  EntryWeigher(long maxMemory, long maxSize, long regionBytes) {
    this.regionBytes = regionBytes;
    long min = Math.min(Integer.MAX_VALUE, maxMemory / maxSize);
    this.minWeight = min;
    this.maximumWeight = min >= 1 ? min * maxSize : maxMemory;
  }

  /** A weigher for this JVM's heap layout. */
  static EntryWeigher forThisHeap(long maxMemory, long maxSize) {
    return new EntryWeigher(maxMemory, maxSize, g1RegionBytes());
  }

  /**
   * The bound to give the cache ({@code maximumWeight}): {@code maxMemory}, or a little less (by
   * less than {@code maxSize} bytes) so that it is a multiple of the least entry weight.
   */
  long maximumWeight() {
    return maximumWeight;
  }

  @Override
  public int weigh(String key, byte[] value) {
    return (int) Math.min(Integer.MAX_VALUE, weight(key, value.length));
  }

  /** The weight of an entry whose value has {@code valueLength} bytes (not capped to an int). */
  long weight(String key, long valueLength) {
    long bytes = ENTRY_OVERHEAD + STRING_BYTES + arrayBytes(2L * key.length()) + arrayBytes(valueLength);
    return Math.max(minWeight, bytes);
  }

  /** Whether an entry with a value of {@code valueLength} bytes fits the bound on its own. */
  boolean fits(String key, long valueLength) {
    return weight(key, valueLength) <= maximumWeight && weight(key, valueLength) <= Integer.MAX_VALUE;
  }

  /** The longest value, at most {@code limit}, whose entry under {@code key} fits the bound; -1: none. */
  int largestFitting(String key, int limit) {
    if (fits(key, limit)) {
      return limit;
    }
    int lo = -1; // fits(lo) or lo == -1
    int hi = limit; // !fits(hi)
    while (hi - lo > 1) {
      int mid = (int) (((long) lo + hi) >>> 1);
      if (fits(key, mid)) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The heap bytes of a byte array of {@code length} elements. */
  long arrayBytes(long length) {
    long size = (16 + length + 7) & ~7L;
    if (regionBytes > 0 && size >= regionBytes / 2) {
      size = (size + regionBytes - 1) / regionBytes * regionBytes;
    }
    return size;
  }

  /** G1's region size in bytes, or 0 if G1 is not the collector (or it cannot be told). */
  static long g1RegionBytes() {
    try {
      var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      if (hotspot != null && "true".equals(hotspot.getVMOption("UseG1GC").getValue())) {
        return Long.parseLong(hotspot.getVMOption("G1HeapRegionSize").getValue());
      }
    } catch (RuntimeException e) {
      // not HotSpot: no humongous rounding
    }
    return 0;
  }
}
