package dev.asynccache.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The stored-value format: header (format byte, expiry) + codec bytes; what it rejects. */
class StoredValueTest {
  @Test
  void roundTripsPayloadAndExpiry() {
    byte[] payload = "value".getBytes(StandardCharsets.UTF_8);
    byte[] stored = StoredValue.encode(payload, 1_764_000_000_123L);
    assertEquals(StoredValue.HEADER_BYTES + payload.length, stored.length);
    assertEquals(StoredValue.FORMAT_1, stored[0]);
    assertEquals(StoredValue.Status.OK, StoredValue.check(stored));
    assertEquals(1_764_000_000_123L, StoredValue.expiresAt(stored));
    assertArrayEquals(payload, StoredValue.payload(stored));
    assertEquals(1_000, StoredValue.remainingMillis(stored, 1_764_000_000_123L - 1_000));
  }

  @Test
  void noExpiryIsZeroAndLeavesNoTimeLimit() {
    byte[] stored = StoredValue.encode(new byte[] {7}, StoredValue.NO_EXPIRY);
    assertEquals(StoredValue.Status.OK, StoredValue.check(stored));
    assertEquals(0, StoredValue.expiresAt(stored));
    assertEquals(-1, StoredValue.remainingMillis(stored, Long.MAX_VALUE));
    assertArrayEquals(new byte[] {7}, StoredValue.payload(stored));
  }

  @Test
  void edgeLengthsAndExpiries() {
    // an empty payload: the header alone is a valid value
    byte[] empty = StoredValue.encode(new byte[0], 5);
    assertEquals(StoredValue.HEADER_BYTES, empty.length);
    assertEquals(StoredValue.Status.OK, StoredValue.check(empty));
    assertEquals(0, StoredValue.payload(empty).length);
    // a large payload, and every byte value
    byte[] big = new byte[1 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) i;
    }
    assertArrayEquals(big, StoredValue.payload(StoredValue.encode(big, 1)));
    // expiries whose bytes have the high bit set, and the largest
    for (long at : new long[] {1, 0xFFL, 0x80_00L, 0x00_FF_FF_FF_FF_FF_FF_FFL, Long.MAX_VALUE}) {
      assertEquals(at, StoredValue.expiresAt(StoredValue.encode(new byte[] {1}, at)));
    }
    // one byte short of a header
    byte[] cut = Arrays.copyOf(empty, StoredValue.HEADER_BYTES - 1);
    assertEquals(StoredValue.Status.TRUNCATED, StoredValue.check(cut));
    assertEquals(StoredValue.Status.TRUNCATED, StoredValue.check(new byte[0]));
  }

  @Test
  void rejectsOtherFormatsAndCorruptExpiries() {
    byte[] stored = StoredValue.encode("v".getBytes(StandardCharsets.UTF_8), 10);
    stored[0] = (byte) (StoredValue.FORMAT_1 + 1);
    assertEquals(StoredValue.Status.UNKNOWN_VERSION, StoredValue.check(stored));
    byte[] text = "plain text set by another program".getBytes(StandardCharsets.UTF_8);
    assertEquals(StoredValue.Status.UNKNOWN_VERSION, StoredValue.check(text));
    byte[] negative = StoredValue.encode(new byte[] {1}, 10);
    negative[1] = (byte) 0x80;
    assertEquals(StoredValue.Status.BAD_EXPIRY, StoredValue.check(negative));
    assertThrows(IllegalArgumentException.class, () -> StoredValue.encode(new byte[0], -1));
  }

  @Test
  void remainingTimeAndExpiryArithmetic() {
    byte[] stored = StoredValue.encode(new byte[0], 1_000);
    assertEquals(1, StoredValue.remainingMillis(stored, 999));
    assertEquals(0, StoredValue.remainingMillis(stored, 1_000)); // expired
    assertEquals(0, StoredValue.remainingMillis(stored, 5_000));
    byte[] far = StoredValue.encode(new byte[0], Long.MAX_VALUE);
    assertEquals(Long.MAX_VALUE, StoredValue.remainingMillis(far, -10)); // no overflow
    assertEquals(StoredValue.NO_EXPIRY, StoredValue.expiryAfter(1_000, -1));
    assertEquals(1_500, StoredValue.expiryAfter(1_000, 500));
    assertEquals(Long.MAX_VALUE, StoredValue.expiryAfter(1_000, Long.MAX_VALUE));
    assertEquals(1, StoredValue.expiryAfter(0, 0)); // never mistaken for "no expiry"
  }
}
