package dev.asynccache;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Collects the missed keys of each {@link BatchLoader} into batches: a batch opens with its first
 * key, closes when its window ends or when it reaches {@code maxBatchSize} keys, and is then
 * handed to a virtual thread that calls the batch loader ({@link Runner}).
 */
final class BatchDispatcher<K, V> {

  /** Runs one closed batch. */
  interface Runner<K, V> {
    void run(BatchLoader<K, ? extends V> loader, List<InFlightLoad<K, V>> loads);
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<BatchLoader<K, ? extends V>, List<InFlightLoad<K, V>>> open = new HashMap<>();
  private final int maxBatchSize;
  private final long windowNanos;
  private final CacheThreads threads;
  private final Runner<K, V> runner;

  BatchDispatcher(int maxBatchSize, long windowNanos, CacheThreads threads, Runner<K, V> runner) {
    this.maxBatchSize = maxBatchSize;
    this.windowNanos = windowNanos;
    this.threads = threads;
    this.runner = runner;
  }

  /** Adds a load to the open batch of {@code loader}, opening one (and its window) if needed. */
  void enqueue(BatchLoader<K, ? extends V> loader, InFlightLoad<K, V> load) {
    List<InFlightLoad<K, V>> full = null;
    List<InFlightLoad<K, V>> opened = null;
    lock.lock();
    try {
      List<InFlightLoad<K, V>> batch = open.get(loader);
      if (batch == null) {
        batch = new ArrayList<>();
        open.put(loader, batch);
        opened = batch;
      }
      batch.add(load);
      load.handedOff = true;
      if (batch.size() >= maxBatchSize) {
        open.remove(loader);
        full = batch;
      }
    } finally {
      lock.unlock();
    }
    if (full != null) {
      dispatch(loader, full);
    } else if (opened != null) {
      List<InFlightLoad<K, V>> batch = opened;
      threads.schedule(() -> closeWindow(loader, batch), windowNanos);
    }
  }

  /**
   * Adds one caller's loads to the open batch of {@code loader} and dispatches everything now, in
   * batches of at most {@code maxBatchSize}. The lock is held while adding, so a window cannot
   * close on half of the caller's keys.
   */
  void enqueueAllAndFlush(BatchLoader<K, ? extends V> loader, List<InFlightLoad<K, V>> loads) {
    List<List<InFlightLoad<K, V>>> ready = new ArrayList<>();
    lock.lock();
    try {
      List<InFlightLoad<K, V>> batch = open.remove(loader);
      if (batch == null) {
        batch = new ArrayList<>();
      }
      for (InFlightLoad<K, V> load : loads) {
        batch.add(load);
        load.handedOff = true;
        if (batch.size() >= maxBatchSize) {
          ready.add(batch);
          batch = new ArrayList<>();
        }
      }
      if (!batch.isEmpty()) {
        ready.add(batch);
      }
    } finally {
      lock.unlock();
    }
    for (List<InFlightLoad<K, V>> batch : ready) {
      dispatch(loader, batch);
    }
  }

  /** Drops the open batches (their loads are failed by the cache's close). */
  void close() {
    lock.lock();
    try {
      open.clear();
    } finally {
      lock.unlock();
    }
  }

  private void closeWindow(BatchLoader<K, ? extends V> loader, List<InFlightLoad<K, V>> batch) {
    lock.lock();
    try {
      if (open.get(loader) != batch) {
        return; // already dispatched because it filled up or was flushed
      }
      open.remove(loader);
    } finally {
      lock.unlock();
    }
    dispatch(loader, batch);
  }

  private void dispatch(BatchLoader<K, ? extends V> loader, List<InFlightLoad<K, V>> batch) {
    try {
      threads.start(() -> runner.run(loader, batch));
    } catch (CacheClosedException closed) {
      // the cache closed meanwhile: close() fails these loads
    }
  }
}
