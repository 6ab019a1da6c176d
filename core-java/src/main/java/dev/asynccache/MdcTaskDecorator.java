package dev.asynccache;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * {@link TaskDecorator#mdc()}: copies the caller's SLF4J MDC when the task is created and installs
 * the copy around its run, then puts back what the running thread had (usually nothing: the
 * cache's tasks run on fresh virtual threads, but a thread must never keep a caller's MDC).
 */
enum MdcTaskDecorator implements TaskDecorator {
  INSTANCE;

  @Override
  public Runnable decorate(Runnable task) {
    @Nullable Map<String, String> captured = MDC.getCopyOfContextMap();
    return () -> {
      @Nullable Map<String, String> previous = MDC.getCopyOfContextMap();
      install(captured);
      try {
        task.run();
      } finally {
        install(previous);
      }
    };
  }

  private static void install(@Nullable Map<String, String> context) {
    if (context == null || context.isEmpty()) {
      MDC.clear();
    } else {
      MDC.setContextMap(context);
    }
  }

  @Override
  public String toString() {
    return "TaskDecorator.mdc()";
  }
}
