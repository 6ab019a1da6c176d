package dev.asynccache.memoize;

import dev.asynccache.LoadException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Routes the annotated methods of a proxied interface through their caches. */
final class MemoizingHandler implements InvocationHandler {
  private static final Object[] NO_ARGS = {};

  private final Object target;
  private final Map<Method, MemoizedCall<Object>> calls;
  /** The interface's methods, made accessible once (the interface may be non-public). */
  private final Map<Method, Method> invokers = new HashMap<>();

  MemoizingHandler(Class<?> type, Object target, Map<Method, MemoizedCall<Object>> calls) {
    this.target = target;
    this.calls = calls;
    for (Method m : type.getMethods()) {
      try {
        m.setAccessible(true);
      } catch (RuntimeException notOpen) {
        // a public method of a public interface needs no access override
      }
      invokers.put(m, m);
    }
  }

  @Override
  public @Nullable Object invoke(Object proxy, Method method, @Nullable Object @Nullable [] args)
      throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return switch (method.getName()) {
        case "equals" -> args != null && proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        case "toString" -> "Memoized[" + target + "]";
        default -> invokeTarget(method, args == null ? NO_ARGS : args);
      };
    }
    Object[] a = args == null ? NO_ARGS : args;
    MemoizedCall<Object> call = calls.get(method);
    if (call == null) {
      return invokeTarget(method, a);
    }
    try {
      if (Memoizer.refreshRequested()) {
        return Memoizer.withoutRefresh(() -> call.refresh(a, () -> invokeTarget(method, a)));
      }
      return call.get(a, () -> invokeTarget(method, a));
    } catch (LoadException e) {
      Throwable cause = e.getCause();
      if (cause != null && declares(method, cause)) {
        throw cause; // a checked exception the interface method declares: the caller expects it
      }
      throw e;
    }
  }

  private @Nullable Object invokeTarget(Method method, Object[] args) throws Exception {
    try {
      return invokers.getOrDefault(method, method).invoke(target, args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  private static boolean declares(Method method, Throwable t) {
    for (Class<?> declared : method.getExceptionTypes()) {
      if (declared.isInstance(t)) {
        return true;
      }
    }
    return false;
  }
}
