package dev.asynccache.chronicle;

import dev.asynccache.persistence.PersistenceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The 32 bytes appended to a snapshot after its Chronicle Map data: the data length, the entry
 * count, a CRC32C of the data, the format version and the magic {@code "ac-snap!"} as the very last
 * bytes. Big-endian. A file is accepted only if all of them agree; each way they can disagree has
 * its own message.
 */
record SnapshotTrailer(long dataLength, long entryCount, int crc32c, int formatVersion) {
  static final int BYTES = 32;
  static final int FORMAT_VERSION = 1;
  static final byte[] MAGIC = "ac-snap!".getBytes(StandardCharsets.US_ASCII);

  byte[] encode() {
    return ByteBuffer.allocate(BYTES)
        .putLong(dataLength)
        .putLong(entryCount)
        .putInt(crc32c)
        .putInt(formatVersion)
        .put(MAGIC)
        .array();
  }

  /**
   * Reads and checks the trailer of {@code file} (open as {@code channel}); does not check the CRC.
   *
   * @throws PersistenceException naming the file and what is wrong
   */
  static SnapshotTrailer read(Path file, FileChannel channel) throws IOException {
    long size = channel.size();
    if (size < BYTES) {
      throw new PersistenceException(
          "snapshot " + file + " is not an async-cache snapshot: it has " + size + " bytes, fewer"
              + " than its " + BYTES + "-byte trailer (truncated, empty or foreign)");
    }
    ByteBuffer b = ByteBuffer.allocate(BYTES);
    while (b.hasRemaining()) {
      if (channel.read(b, size - BYTES + b.position()) < 0) {
        throw new PersistenceException("snapshot " + file + " shrank while being read");
      }
    }
    b.flip();
    long dataLength = b.getLong();
    long entryCount = b.getLong();
    int crc = b.getInt();
    int version = b.getInt();
    byte[] magic = new byte[MAGIC.length];
    b.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      String what =
          ChronicleFiles.looksLikeChronicleMap(channel)
              ? "a Chronicle Map file without the async-cache snapshot trailer (truncated, or not"
                  + " written by this backend)"
              : "not an async-cache snapshot (foreign file, or its end is corrupt)";
      throw new PersistenceException("snapshot " + file + " is " + what);
    }
    if (version != FORMAT_VERSION) {
      throw new PersistenceException(
          "snapshot " + file + " has format version " + version + "; this library reads version "
              + FORMAT_VERSION);
    }
    if (dataLength != size - BYTES || entryCount < 0) {
      throw new PersistenceException(
          "snapshot " + file + " is truncated or corrupt: its trailer says " + dataLength
              + " data bytes and " + entryCount + " entries, the file holds " + (size - BYTES)
              + " data bytes");
    }
    return new SnapshotTrailer(dataLength, entryCount, crc, version);
  }
}
