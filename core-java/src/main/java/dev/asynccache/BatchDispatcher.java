package dev.asynccache;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Collects the missed keys of each batch source ({@link BatchSource#coalesceKey}) into batches: a
 * batch opens with its first key, closes when its window ends or when it reaches {@code
 * maxBatchSize} keys, and is then handed to a virtual thread that calls the batch loader ({@link
 * Runner}). The loader called is the one of the batch's first key.
 */
final class BatchDispatcher<K, V> {

  /** Runs one closed batch. */
  interface Runner<K, V> {
    void run(BatchSource<K, V> source, List<InFlightLoad<K, V>> loads);
  }

  private final ReentrantLock lock = new ReentrantLock();
  /** The open batch of each coalescing key. */
  private final Map<Object, OpenBatch<K, V>> open = new HashMap<>();

  private record OpenBatch<K, V>(BatchSource<K, V> source, List<InFlightLoad<K, V>> loads) {}
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
  void enqueue(BatchSource<K, V> source, InFlightLoad<K, V> load) {
    OpenBatch<K, V> full = null;
    OpenBatch<K, V> opened = null;
    lock.lock();
    try {
      OpenBatch<K, V> batch = open.get(source.coalesceKey);
      if (batch == null) {
        batch = new OpenBatch<>(source, new ArrayList<>());
        open.put(source.coalesceKey, batch);
        opened = batch;
      }
      batch.loads.add(load);
      load.handedOff = true;
      if (batch.loads.size() >= maxBatchSize) {
        open.remove(source.coalesceKey);
        full = batch;
      }
    } finally {
      lock.unlock();
    }
    if (full != null) {
      dispatch(full.source, full.loads);
    } else if (opened != null) {
      OpenBatch<K, V> batch = opened;
      threads.schedule(() -> closeWindow(batch), windowNanos);
    }
  }

  /**
   * Adds one caller's loads to the open batch of {@code loader} and dispatches everything now, in
   * batches of at most {@code maxBatchSize}. The lock is held while adding, so a window cannot
   * close on half of the caller's keys.
   */
  void enqueueAllAndFlush(BatchSource<K, V> source, List<InFlightLoad<K, V>> loads) {
    List<List<InFlightLoad<K, V>>> ready = new ArrayList<>();
    BatchSource<K, V> loader = source;
    lock.lock();
    try {
      OpenBatch<K, V> pending = open.remove(source.coalesceKey);
      List<InFlightLoad<K, V>> batch;
      if (pending == null) {
        batch = new ArrayList<>();
      } else {
        batch = pending.loads;
        loader = pending.source;
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

  private void closeWindow(OpenBatch<K, V> batch) {
    lock.lock();
    try {
      if (open.get(batch.source.coalesceKey) != batch) {
        return; // already dispatched because it filled up or was flushed
      }
      open.remove(batch.source.coalesceKey);
    } finally {
      lock.unlock();
    }
    dispatch(batch.source, batch.loads);
  }

  private void dispatch(BatchSource<K, V> source, List<InFlightLoad<K, V>> batch) {
    try {
      threads.start(() -> runner.run(source, batch));
    } catch (CacheClosedException closed) {
      // the cache closed meanwhile: close() fails these loads
    }
  }
}
