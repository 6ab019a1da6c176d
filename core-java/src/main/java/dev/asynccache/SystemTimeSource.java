package dev.asynccache;

/** {@link TimeSource#system()}: the JVM's monotonic clock. */
enum SystemTimeSource implements TimeSource {
  INSTANCE;

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }
}
