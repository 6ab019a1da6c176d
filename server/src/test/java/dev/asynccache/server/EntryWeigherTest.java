package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EntryWeigherTest {
  private static final int MIB = 1 << 20;

  @Test
  void weight_isKeyValueAndOverhead_valuesOfHalfARegionOrMoreRoundedToRegions() {
    EntryWeigher g1 = new EntryWeigher(1L << 40, 1, MIB); // min weight far above: test weight() parts below
    EntryWeigher plain = new EntryWeigher(1L << 30, 1L << 30, 0); // min weight 1
    // key "k": String 24 + array (16 + 2, rounded to 24); value of 100 bytes: 16 + 100 rounded to 120
    assertEquals(128 + 24 + 24 + 120, plain.weigh("k", new byte[100]));
    assertEquals(16 + MIB, plain.arrayBytes(MIB));
    assertEquals(2L * MIB, g1.arrayBytes(MIB), "a 1 MiB array is humongous in 1 MiB regions: 2 regions");
    assertEquals(MIB, g1.arrayBytes(MIB / 2), "half a region: one whole region");
    assertEquals(MIB / 2 - 8, g1.arrayBytes(MIB / 2 - 24), "under half a region: its own size");
  }

  @Test
  void sizeBound_sharesTheBudget_everyEntryWeighsAtLeastMaxMemoryOverMaxSize() {
    EntryWeigher w = new EntryWeigher(1000, 3, 0);
    assertEquals(333, w.weigh("k", new byte[0]) , "at least 1000 / 3");
    assertEquals(999, w.maximumWeight(), "3 entries of the least weight fit, a 4th does not");
    EntryWeigher tiny = new EntryWeigher(100, 1000, 0); // the byte bound alone implies the count bound
    assertEquals(100, tiny.maximumWeight());
  }

  @Test
  void largestFitting_isTheLongestValueWhoseEntryFits() {
    EntryWeigher w = new EntryWeigher(64 * 1024, 1_000_000, 0);
    int max = w.largestFitting("key", MIB);
    assertTrue(w.fits("key", max));
    assertFalse(w.fits("key", max + 1));
    assertEquals(MIB, new EntryWeigher(1L << 30, 10, 0).largestFitting("key", MIB), "the value limit binds");
    assertEquals(-1, new EntryWeigher(100, 1, 0).largestFitting("key", MIB), "not even an empty value fits");
  }
}
