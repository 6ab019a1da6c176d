package dev.asynccache.redis;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the leases of running loads alive: every third of the lease time, each watched lease whose
 * token is still ours gets its full lease time again (a compare-and-pexpire script). A loader
 * slower than the lease time therefore keeps its lease, while the lease of a JVM that died runs
 * out within one lease time. A watch ends when the load ends (its {@link Watch#close()}), when
 * every lease it watches turns out no longer ours (revoked by a write), and when the cache closes.
 * Thread-safe; renewals are sent asynchronously from one daemon thread per cache.
 */
final class LeaseWatchdog implements AutoCloseable {
  /** Extends one lease if it still holds the token; completes with whether it did. */
  interface Renewer {
    CompletableFuture<Boolean> renew(RedisTier.Keys keys, byte[] token);
  }

  private final long periodMillis;
  private final Renewer renewer;
  private final ScheduledThreadPoolExecutor timer;
  private final Set<Watch> active = ConcurrentHashMap.newKeySet();
  private final LongAdder renewals = new LongAdder();

  LeaseWatchdog(long leaseMillis, Renewer renewer) {
    this.periodMillis = Math.max(1, leaseMillis / 3);
    this.renewer = renewer;
    this.timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "async-cache-redis-lease-watchdog");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** Starts keeping {@code keys}' leases (held with {@code tokens}) alive until the watch closes. */
  Watch watch(List<RedisTier.Keys> keys, List<byte[]> tokens) {
    Watch w = new Watch(List.copyOf(keys), List.copyOf(tokens));
    active.add(w);
    try {
      w.task = timer.scheduleAtFixedRate(w::renew, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      active.remove(w);
    }
    return w;
  }

  /** Leases extended so far. */
  long renewals() {
    return renewals.sum();
  }

  /** Watches running now. */
  int active() {
    return active.size();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    active.clear();
  }

  /** One load's leases, watched until closed. */
  final class Watch implements AutoCloseable {
    private final List<RedisTier.Keys> keys;
    private final List<byte[]> tokens;
    private final boolean[] lost;
    private final AtomicInteger lostCount = new AtomicInteger();
    private volatile @Nullable ScheduledFuture<?> task;
    private volatile boolean closed;

    private Watch(List<RedisTier.Keys> keys, List<byte[]> tokens) {
      this.keys = keys;
      this.tokens = tokens;
      this.lost = new boolean[keys.size()];
    }

    private void renew() {
      if (closed) {
        return;
      }
      for (int i = 0; i < keys.size(); i++) {
        if (lost[i]) {
          continue;
        }
        int n = i;
        CompletableFuture<Boolean> renewed;
        try {
          renewed = renewer.renew(keys.get(i), tokens.get(i));
        } catch (RuntimeException e) {
          continue; // Redis unavailable: try again next period (the lease may run out meanwhile)
        }
        renewed.whenComplete(
            (ok, failure) -> {
              if (failure != null || closed) {
                return;
              }
              if (ok) {
                renewals.increment();
              } else {
                synchronized (lost) {
                  if (!lost[n]) {
                    lost[n] = true;
                    if (lostCount.incrementAndGet() == keys.size()) {
                      close(); // revoked or taken over: nothing left to keep alive
                    }
                  }
                }
              }
            });
      }
    }

    @Override
    public void close() {
      closed = true;
      active.remove(this);
      ScheduledFuture<?> t = task;
      if (t != null) {
        t.cancel(false);
      }
    }
  }
}
