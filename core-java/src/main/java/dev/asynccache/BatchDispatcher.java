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
 * Runner}). The loader called is the one of the batch's first key, and the batch runs with the
 * context of the call that opened it: its task is decorated ({@link CacheThreads#capture}) on that
 * caller's thread, before the caller takes the lock, so that a decorator that throws leaves
 * nothing half done.
 */
final class BatchDispatcher<K, V> {

  /** Runs one closed batch. */
  interface Runner<K, V> {
    void run(BatchSource<K, V> source, List<InFlightLoad<K, V>> loads);
  }

  /**
   * One batch: its source, its loads (both guarded by {@link #lock} until it is dispatched) and
   * the task that runs it, decorated on the thread of the call that created it.
   */
  private final class Batch implements Runnable {
    BatchSource<K, V> source;
    final List<InFlightLoad<K, V>> loads = new ArrayList<>();
    Runnable task = this;

    Batch(BatchSource<K, V> source) {
      this.source = source;
    }

    @Override
    public void run() {
      runner.run(source, loads);
    }
  }

  private final ReentrantLock lock = new ReentrantLock();
  /** The open batch of each coalescing key. */
  private final Map<Object, Batch> open = new HashMap<>();

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

  /** A new, empty batch whose task carries the calling thread's context; called without the lock. */
  private Batch newBatch(BatchSource<K, V> source) {
    Batch batch = new Batch(source);
    batch.task = threads.capture(batch);
    return batch;
  }

  /**
   * Adds a load to the open batch of {@code loader}, opening one (and its window) if needed.
   *
   * @throws RuntimeException whatever the task decorator throws; the load was not added then
   */
  void enqueue(BatchSource<K, V> source, InFlightLoad<K, V> load) {
    Batch fresh = null; // created only when no batch is open, so most keys capture nothing
    while (true) {
      boolean added = false;
      Batch full = null;
      Batch opened = null;
      lock.lock();
      try {
        Batch batch = open.get(source.coalesceKey);
        if (batch == null && fresh != null) {
          batch = fresh;
          open.put(source.coalesceKey, batch);
          opened = batch;
        }
        if (batch != null) {
          batch.loads.add(load);
          load.handedOff = true;
          added = true;
          if (batch.loads.size() >= maxBatchSize) {
            open.remove(source.coalesceKey);
            full = batch;
          }
        }
      } finally {
        lock.unlock();
      }
      if (!added) {
        fresh = newBatch(source); // this call opens the batch, unless another one does meanwhile
        continue;
      }
      if (full != null) {
        dispatch(full);
      } else if (opened != null) {
        Batch batch = opened;
        threads.schedule(() -> closeWindow(batch), windowNanos);
      }
      return;
    }
  }

  /**
   * Adds one caller's loads to the open batch of {@code loader} and dispatches everything now, in
   * batches of at most {@code maxBatchSize}. The lock is held while adding, so a window cannot
   * close on half of the caller's keys. The open batch keeps its opener's context; the batches made
   * of this caller's keys alone carry this caller's.
   *
   * @throws RuntimeException whatever the task decorator throws; no load was added then
   */
  void enqueueAllAndFlush(BatchSource<K, V> source, List<InFlightLoad<K, V>> loads) {
    // Enough batches for the caller's keys, made before the lock: an open batch holds fewer than
    // maxBatchSize keys, so filling it first never needs more than these.
    int needed = (loads.size() + maxBatchSize - 1) / maxBatchSize;
    List<Batch> spare = new ArrayList<>(needed);
    for (int i = 0; i < needed; i++) {
      spare.add(newBatch(source));
    }
    List<Batch> ready = new ArrayList<>();
    lock.lock();
    try {
      int next = 0;
      Batch batch = open.remove(source.coalesceKey);
      if (batch == null) {
        batch = spare.get(next++);
      }
      BatchSource<K, V> loader = batch.source;
      for (InFlightLoad<K, V> load : loads) {
        if (batch == null) {
          batch = spare.get(next++);
          batch.source = loader;
        }
        batch.loads.add(load);
        load.handedOff = true;
        if (batch.loads.size() >= maxBatchSize) {
          ready.add(batch);
          batch = null;
        }
      }
      if (batch != null && !batch.loads.isEmpty()) {
        ready.add(batch);
      }
    } finally {
      lock.unlock();
    }
    for (Batch batch : ready) {
      dispatch(batch);
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

  private void closeWindow(Batch batch) {
    lock.lock();
    try {
      if (open.get(batch.source.coalesceKey) != batch) {
        return; // already dispatched because it filled up or was flushed
      }
      open.remove(batch.source.coalesceKey);
    } finally {
      lock.unlock();
    }
    dispatch(batch);
  }

  private void dispatch(Batch batch) {
    try {
      threads.start(batch.task);
    } catch (CacheClosedException closed) {
      // the cache closed meanwhile: close() fails these loads
    }
  }
}
