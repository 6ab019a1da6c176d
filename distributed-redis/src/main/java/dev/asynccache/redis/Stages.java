package dev.asynccache.redis;

import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/** Awaiting a caller's asynchronous loader from a blocking tier load, and cancelling it with us. */
final class Stages {
  private Stages() {}

  /** Blocking work that may start a caller's stage through {@link Owner#started}. */
  @FunctionalInterface
  interface Work<T> {
    T run(Owner owner) throws Exception;
  }

  /** Ties a caller's stage to the future the L1 cache holds: cancelling that cancels the stage. */
  static final class Owner {
    private final CompletableFuture<?> result;

    Owner(CompletableFuture<?> result) {
      this.result = result;
    }

    <S extends CompletionStage<?>> S started(S stage) {
      Objects.requireNonNull(stage, "the asynchronous loader returned null instead of a stage");
      result.whenComplete(
          (v, t) -> {
            if (result.isCancelled()) {
              stage.toCompletableFuture().cancel(true);
            }
          });
      return stage;
    }
  }

  /**
   * Waits for {@code stage}; a failed stage throws its own exception (unwrapped from {@link
   * ExecutionException} and {@link CompletionException}).
   */
  static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof Exception ex) {
        throw ex;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    } catch (CancellationException e) {
      throw e;
    }
  }
}
