package dev.asynccache;

import java.util.ArrayDeque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The loads a thread is running right now, linked to the loads that started them: the chain a
 * nested {@code get} walks to refuse waiting for a load it is itself part of.
 *
 * <p>A frame usually has one parent (the frame of the caller that started its load). A batch has
 * as many as the distinct callers whose loads it carries, so the links form a graph, walked
 * without recursion.
 */
final class LoadFrame {
  private static final ThreadLocal<@Nullable LoadFrame> CURRENT = new ThreadLocal<>();
  private static final LoadFrame[] NO_PARENTS = new LoadFrame[0];

  private final List<? extends InFlightLoad<?, ?>> loads;
  private final @Nullable LoadFrame parent;
  /** Parents beyond the first (batches only). */
  private final LoadFrame[] moreParents;

  private LoadFrame(
      List<? extends InFlightLoad<?, ?>> loads, @Nullable LoadFrame parent, LoadFrame[] moreParents) {
    this.loads = loads;
    this.parent = parent;
    this.moreParents = moreParents;
  }

  /** The frame of the calling thread, or {@code null} when it runs no loader. */
  static @Nullable LoadFrame current() {
    return CURRENT.get();
  }

  /** Marks the calling thread as running {@code loads}; returns the frame to restore after. */
  static @Nullable LoadFrame enter(List<? extends InFlightLoad<?, ?>> loads, @Nullable LoadFrame parent) {
    LoadFrame previous = CURRENT.get();
    CURRENT.set(new LoadFrame(loads, parent, NO_PARENTS));
    return previous;
  }

  /** As {@link #enter(List, LoadFrame)}, for loads started by several callers (a batch). */
  static @Nullable LoadFrame enter(List<? extends InFlightLoad<?, ?>> loads, List<LoadFrame> parents) {
    LoadFrame previous = CURRENT.get();
    LoadFrame first = parents.isEmpty() ? null : parents.get(0);
    LoadFrame[] more =
        parents.size() <= 1 ? NO_PARENTS : parents.subList(1, parents.size()).toArray(LoadFrame[]::new);
    CURRENT.set(new LoadFrame(loads, first, more));
    return previous;
  }

  /**
   * The load of {@code key} the calling thread runs itself (its own frame, not the loads that
   * started it), or {@code null}.
   */
  static @Nullable InFlightLoad<?, ?> runningLoadOf(Object key) {
    LoadFrame f = CURRENT.get();
    if (f == null) {
      return null;
    }
    for (InFlightLoad<?, ?> l : f.loads) {
      if (l.key.equals(key)) {
        return l;
      }
    }
    return null;
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
    ArrayDeque<LoadFrame> branches = null;
    LoadFrame f = CURRENT.get();
    while (f != null) {
      for (InFlightLoad<?, ?> l : f.loads) {
        if (l == load) {
          return true;
        }
      }
      if (f.moreParents.length > 0) {
        if (branches == null) {
          branches = new ArrayDeque<>();
        }
        for (LoadFrame p : f.moreParents) {
          branches.push(p);
        }
      }
      f = f.parent;
      if (f == null && branches != null && !branches.isEmpty()) {
        f = branches.pop();
      }
    }
    return false;
  }
}
