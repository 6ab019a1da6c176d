package dev.asynccache;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The loads a thread is running right now, linked to the loads that started them: the chain a
 * nested {@code get} walks to refuse waiting for a load it is itself part of.
 */
final class LoadFrame {
  private static final ThreadLocal<@Nullable LoadFrame> CURRENT = new ThreadLocal<>();

  private final List<? extends InFlightLoad<?, ?>> loads;
  private final @Nullable LoadFrame parent;

  private LoadFrame(List<? extends InFlightLoad<?, ?>> loads, @Nullable LoadFrame parent) {
    this.loads = loads;
    this.parent = parent;
  }

  /** The frame of the calling thread, or {@code null} when it runs no loader. */
  static @Nullable LoadFrame current() {
    return CURRENT.get();
  }

  /** Marks the calling thread as running {@code loads}; returns the frame to restore after. */
  static @Nullable LoadFrame enter(List<? extends InFlightLoad<?, ?>> loads, @Nullable LoadFrame parent) {
    LoadFrame previous = CURRENT.get();
    CURRENT.set(new LoadFrame(loads, parent));
    return previous;
  }

  static void exit(@Nullable LoadFrame previous) {
    if (previous == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(previous);
    }
  }

  /** Whether the calling thread is, directly or through the loads that started it, running {@code load}. */
  static boolean callerIsRunning(InFlightLoad<?, ?> load) {
    for (LoadFrame f = CURRENT.get(); f != null; f = f.parent) {
      for (InFlightLoad<?, ?> l : f.loads) {
        if (l == load) {
          return true;
        }
      }
    }
    return false;
  }
}
