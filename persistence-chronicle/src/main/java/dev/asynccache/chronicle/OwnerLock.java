package dev.asynccache.chronicle;

import dev.asynccache.persistence.PersistenceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive ownership of a data file by one backend, held through an OS lock on a sidecar file
 * {@code <file>.lock} for the backend's whole life. A second backend on the same path, in this or
 * another process, is refused with a {@link PersistenceException} naming the holder. The OS drops
 * the lock when the holder dies, even by {@code kill -9}, so a crash never leaves a stale lock.
 *
 * <p>The lock file is never deleted (deleting a lock file races with its next user). Its text
 * says who holds it and, for the write-through mode, whether the last holder closed cleanly.
 */
final class OwnerLock implements AutoCloseable {
  /** Lock paths held in this JVM: closing any channel of a locked file would drop a POSIX lock. */
  private static final Set<Path> HELD_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

  static final String CLEAN = "closed-cleanly";

  private final Path dataFile;
  private final Path lockFile;
  private final Path key;
  private final FileChannel channel;
  private final FileLock lock;
  private final String previousText;

  private OwnerLock(
      Path dataFile, Path lockFile, Path key, FileChannel channel, FileLock lock, String previous) {
    this.dataFile = dataFile;
    this.lockFile = lockFile;
    this.key = key;
    this.channel = channel;
    this.lock = lock;
    this.previousText = previous;
  }

  /**
   * Takes the lock of {@code dataFile} for {@code mode}.
   *
   * @throws PersistenceException if another backend holds it or the lock file cannot be used
   */
  static OwnerLock acquire(Path dataFile, String mode) {
    Path lockFile = dataFile.resolveSibling(dataFile.getFileName() + ".lock");
    Path key = lockFile.toAbsolutePath().normalize();
    if (!HELD_IN_THIS_JVM.add(key)) {
      throw new PersistenceException(
          dataFile + " is already open by another backend in this JVM (lock file " + lockFile
              + "): give each cache its own file");
    }
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      String previous = read(channel);
      if (lock == null) {
        throw new PersistenceException(
            dataFile + " is in use by another process (" + describe(previous) + "; lock file "
                + lockFile + "): two processes must not save to the same file, give each its own"
                + " path");
      }
      OwnerLock owner = new OwnerLock(dataFile, lockFile, key, channel, lock, previous);
      owner.write(
          "pid=" + ProcessHandle.current().pid() + " mode=" + mode + " since=" + Instant.now()
              + " state=open\n");
      return owner;
    } catch (IOException e) {
      closeQuietly(channel);
      HELD_IN_THIS_JVM.remove(key);
      throw new PersistenceException("cannot use the lock file " + lockFile + ": " + e, e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      HELD_IN_THIS_JVM.remove(key);
      throw e;
    }
  }

  /** Whether the previous holder marked its file closed cleanly (see {@link #markClean}). */
  boolean previousClosedCleanly() {
    return previousText.contains("state=" + CLEAN);
  }

  Path lockFile() {
    return lockFile;
  }

  /** Records that the data file was closed cleanly (write-through mode), just before release. */
  void markClean() throws IOException {
    write(
        "pid=" + ProcessHandle.current().pid() + " since=" + Instant.now() + " state=" + CLEAN
            + "\n");
  }

  private void write(String text) throws IOException {
    channel.truncate(0);
    ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      channel.write(b, b.position());
    }
    channel.force(true);
  }

  private static String read(FileChannel channel) throws IOException {
    long size = Math.min(channel.size(), 4096);
    ByteBuffer b = ByteBuffer.allocate((int) size);
    while (b.hasRemaining() && channel.read(b, b.position()) >= 0) {
      // keep reading
    }
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
  }

  private static String describe(String holderText) {
    return holderText.isEmpty() ? "holder unknown" : "holder: " + holderText;
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing more to release
      }
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new PersistenceException("cannot release the lock file " + lockFile + " of " + dataFile, e);
    } finally {
      HELD_IN_THIS_JVM.remove(key);
    }
  }
}
