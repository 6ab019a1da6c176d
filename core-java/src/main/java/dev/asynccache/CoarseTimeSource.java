package dev.asynccache;

/** {@link TimeSource#coarseSystem()}: the shared {@link CoarseClock} over the system clock. */
final class CoarseTimeSource implements TimeSource {
  static final CoarseTimeSource INSTANCE = new CoarseTimeSource();

  private CoarseTimeSource() {}

  @Override
  public long nanoTime() {
    return CoarseClock.SYSTEM.read();
  }

  @Override
  public String toString() {
    return "TimeSource.coarseSystem()";
  }
}
