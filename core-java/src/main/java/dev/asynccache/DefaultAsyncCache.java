package dev.asynccache;

import dev.asynccache.persistence.PersistedEntry;
import dev.asynccache.persistence.PersistenceBackend;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link AsyncCache} that {@link AsyncCacheBuilder#build()} returns. */
final class DefaultAsyncCache<K, V> implements AsyncCache<K, V> {
  private static final Logger LOG = LoggerFactory.getLogger(DefaultAsyncCache.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final EntryStore<K, V> store;
  private final ConcurrentHashMap<K, InFlightLoad<K, V>> inFlight = new ConcurrentHashMap<>();
  /**
   * Loads that a write overtook: out of {@link #inFlight} (new misses start a new load) but not
   * yet settled; {@link #close()} answers them too.
   */
  private final Set<InFlightLoad<K, V>> overtaken = ConcurrentHashMap.newKeySet();
  /** The highest hit count reported so far: snapshots never go back. */
  private final AtomicLong reportedHits = new AtomicLong();
  private final StatsCounters stats = new StatsCounters();
  private final CacheThreads threads;
  private final Executor loadExecutor;
  private final BatchDispatcher<K, V> batches;
  private final TimeSource time;
  private final long maxSize;
  private final long defaultTtlNanos;
  private final long loadTimeoutNanos;
  /** The cache's refresh age in nanoseconds, -1 for none. */
  private final long refreshNanos;
  /** The stale-if-error grace in nanoseconds, 0 for none. */
  private final long staleGraceNanos;
  private final @Nullable PersistenceBackend<K, V> backend;
  private final boolean writeThrough;
  private final boolean saveOnShutdown;
  private final @Nullable Thread shutdownHook;
  private final ReentrantLock saveLock = new ReentrantLock();
  private final ReentrantLock closeLock = new ReentrantLock();
  private volatile boolean closed;
  /** Whether the contents changed since the cache was built (restores do not count). */
  private volatile boolean changed;

  @SuppressWarnings("unchecked")
  DefaultAsyncCache(AsyncCacheBuilder b) {
    String name = "async-cache-" + INSTANCES.incrementAndGet();
    this.time = b.timeSourceOrDefault();
    this.maxSize = b.maxSizeOrDefault();
    this.defaultTtlNanos = b.defaultTtlNanos();
    this.loadTimeoutNanos = b.loadTimeoutNanos();
    this.refreshNanos = b.refreshAfterNanos();
    this.staleGraceNanos = b.staleGraceNanos();
    this.backend = (PersistenceBackend<K, V>) b.persistence();
    this.writeThrough = backend != null && backend.isWriteThrough();
    this.threads = new CacheThreads(name, b.taskDecoratorOrDefault());
    this.loadExecutor = task -> threads.start(task);
    this.store =
        new EntryStore<>(
            b.maximumOrDefault(), b.evictionPolicyOrDefault(), (Weigher<K, V>) b.weigher(),
            time, writeThrough ? backend : null,
            maintenanceExecutor(b), this::overtake,
            defaultTtlNanos, refreshNanos, staleGraceNanos);
    this.batches =
        new BatchDispatcher<K, V>(
            b.maxBatchSizeOrDefault(), b.batchWindowNanos(), threads, this::runBatch);
    this.saveOnShutdown = b.saveOnShutdownOrDefault();
    Duration interval = b.saveInterval();
    if (interval != null) {
      threads.scheduleAtFixedRate(() -> threads.start(this::autoSave), interval);
    }
    if (saveOnShutdown) {
      Thread hook = new Thread(this::autoSave, name + "-shutdown-save");
      Runtime.getRuntime().addShutdownHook(hook);
      this.shutdownHook = hook;
    } else {
      this.shutdownHook = null;
    }
  }

  /**
   * The builder's maintenance executor; by default the caller's thread for exact LRU (whose order
   * stays exact when one thread uses the cache, the seed's semantics) and a cache thread for the
   * adaptive policy (a hit never does the maintenance).
   */
  private Executor maintenanceExecutor(AsyncCacheBuilder b) {
    Executor given = b.maintenanceExecutor();
    if (given != null) {
      return given;
    }
    return b.evictionPolicyOrDefault() == EvictionPolicy.LRU ? Runnable::run : loadExecutor;
  }

  // ----- reads -----

  @Override
  public @Nullable V getIfPresent(K key) {
    requireKey(key);
    checkOpen();
    Node<K, V> node = lookup(key);
    return node == null ? null : node.value;
  }

  @Override
  public @Nullable V get(K key, Loader<? extends V> loader) {
    return get(key, Ttl.cacheDefault(), loader);
  }

  @Override
  public @Nullable V get(K key, Ttl ttl, Loader<? extends V> loader) {
    requireKey(key);
    Objects.requireNonNull(ttl, "ttl must not be null");
    Objects.requireNonNull(loader, "loader must not be null");
    checkOpen();
    Node<K, V> node = lookup(key);
    if (node != null) {
      if (node instanceof RefreshableNode<K, V> r && isDue(r)) {
        refresh(r, ttl, load -> startOnThread(load, loader));
      }
      return node.value;
    }
    Acquired<K, V> acquired;
    try {
      acquired = acquire(key, ttl.toNanos(defaultTtlNanos), ttl.refreshNanos(refreshNanos));
      if (acquired.mustStart) {
        if (loadTimeoutNanos < 0) {
          runLoad(acquired.load, loader, true);
        } else {
          startOnThread(acquired.load, loader);
        }
      }
    } catch (VirtualMachineError e) {
      failOrphans(e);
      throw e;
    }
    return await(acquired.load, !acquired.mustStart);
  }

  /**
   * After a {@link VirtualMachineError} (a stack overflow in deeply nested loads, out of memory)
   * unwound this thread's stack: fails every load this thread registered and did not hand to
   * another thread, since the code that would have run or settled it is gone. Without this, one
   * such error would leave a key whose every later {@code get} waits forever.
   */
  private void failOrphans(Throwable error) {
    Thread self = Thread.currentThread();
    for (InFlightLoad<K, V> load : inFlight.values()) {
      // runner == null: never started, or its runner's frame is gone (a running ancestor load,
      // whose runner is this thread, is settled by its own frame).
      if (load.registrant == self && !load.handedOff && load.runner == null && !load.future.isDone()) {
        // Completed directly (a claim could be cut short by the same error, and nobody else
        // would ever complete an orphan); the bookkeeping after it may fail without harm.
        load.future.completeExceptionally(error);
        if (load.trySettle()) {
          inFlight.remove(load.key, load);
        }
      }
    }
  }

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, Loader<? extends V> loader) {
    return getAsync(key, Ttl.cacheDefault(), loader);
  }

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, Ttl ttl, Loader<? extends V> loader) {
    requireKey(key);
    Objects.requireNonNull(ttl, "ttl must not be null");
    Objects.requireNonNull(loader, "loader must not be null");
    checkOpen();
    Node<K, V> node = lookup(key);
    if (node != null) {
      if (node instanceof RefreshableNode<K, V> r && isDue(r)) {
        refresh(r, ttl, load -> startOnThread(load, loader));
      }
      return CompletableFuture.completedFuture(node.value);
    }
    return missAsync(key, ttl, load -> startOnThread(load, loader));
  }

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, Ttl ttl, AsyncLoader<? extends V> loader) {
    requireKey(key);
    Objects.requireNonNull(ttl, "ttl must not be null");
    Objects.requireNonNull(loader, "loader must not be null");
    checkOpen();
    Node<K, V> node = lookup(key);
    if (node != null) {
      if (node instanceof RefreshableNode<K, V> r && isDue(r)) {
        refresh(r, ttl, load -> startAsync(load, loader));
      }
      return CompletableFuture.completedFuture(node.value);
    }
    return missAsync(key, ttl, load -> startAsync(load, loader));
  }

  /** Whether a refreshable entry has reached its refresh age (read on a hit). */
  private boolean isDue(RefreshableNode<K, V> node) {
    return time.nanoTime() - node.refreshAt >= 0;
  }

  /**
   * Starts one background reload of an entry due for refresh, unless a load of its key is in
   * flight already (single-flight: one reload per key). Readers never wait for it.
   */
  private void refresh(RefreshableNode<K, V> node, Ttl ttl, Consumer<InFlightLoad<K, V>> start) {
    InFlightLoad<K, V> load = null;
    for (; ; ) {
      if (closed) {
        return;
      }
      InFlightLoad<K, V> existing = inFlight.get(node.key);
      if (existing != null) {
        if (!existing.future.isDone()) {
          return; // a load of the key is running: it brings a fresh value
        }
        // Settled, but its thread has not yet taken it out of the map (its callers may already
        // hold the value and read again): it must not swallow this refresh. As in acquire.
        inFlight.remove(node.key, existing);
        continue;
      }
      if (load == null) {
        load =
            new InFlightLoad<>(
                node.key,
                ttl.toNanos(defaultTtlNanos),
                ttl.refreshNanos(refreshNanos),
                LoadFrame.current(),
                node);
      }
      if (inFlight.putIfAbsent(node.key, load) == null) {
        break;
      }
    }
    VarHandle.fullFence(); // pairs with overtake(), as in acquire
    if (store.peekLive(node.key) != node || closed) { // written, removed or closed meanwhile
      if (load.trySettle()) {
        finish(load, node.value, null, false);
      }
      return;
    }
    stats.refreshes.increment();
    start.accept(load);
  }

  /**
   * A future-returning miss (the hit was checked by the caller, so that a hit allocates no
   * {@code start}): joins the key's load, or creates it and hands it to {@code start}. The caller
   * gets its own copy of the shared future.
   */
  private CompletableFuture<@Nullable V> missAsync(
      K key, Ttl ttl, Consumer<InFlightLoad<K, V>> start) {
    try {
      Acquired<K, V> acquired = acquire(key, ttl.toNanos(defaultTtlNanos), ttl.refreshNanos(refreshNanos));
      if (acquired.mustStart) {
        start.accept(acquired.load);
      }
      return acquired.load.future.copy();
    } catch (RecursiveLoadException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void startAsync(InFlightLoad<K, V> load, AsyncLoader<? extends V> loader) {
    load.handedOff = true;
    long start = time.nanoTime();
    try {
      if (writeThrough && tryLoadFromBackend(load)) {
        return;
      }
      armTimeout(List.of(load));
      CompletionStage<? extends V> stage;
      LoadFrame saved = LoadFrame.enter(List.of(load), load.origin);
      try {
        stage = loader.load(executorFor(load));
      } finally {
        LoadFrame.exit(saved);
      }
      if (stage == null) {
        throw new NullPointerException(
            "the async loader of key " + load.key + " returned null instead of a CompletionStage");
      }
      recordAsyncWork(stage, List.of(load));
      stage.whenComplete(
          (value, failure) -> {
            stats.loadTimeNanos.add(time.nanoTime() - start);
            if (failure != null) {
              settleFailure(load, unwrapCompletion(failure), true);
            } else {
              settleSuccess(load, value);
            }
          });
    } catch (Throwable t) {
      stats.loadTimeNanos.add(time.nanoTime() - start);
      settleFailure(load, t, true);
    }
  }

  /**
   * The executor an async loader gets: the cache's virtual threads, each task running inside the
   * load's frame, so that a task asking the cache for the key it is loading fails fast, and with
   * the context of the thread that submitted it (the cache's {@link TaskDecorator}).
   */
  private Executor executorFor(InFlightLoad<K, V> load) {
    return executorFor(List.of(load), load.origin == null ? List.of() : List.of(load.origin));
  }

  private Executor executorFor(List<InFlightLoad<K, V>> loads, List<LoadFrame> origins) {
    return task -> {
      Objects.requireNonNull(task, "task must not be null");
      threads.startForCaller(
          () -> {
            LoadFrame saved = LoadFrame.enter(loads, origins);
            try {
              task.run();
            } finally {
              LoadFrame.exit(saved);
            }
          });
    };
  }

  /**
   * Records an async loader's stage on its loads, so that a timeout or {@code close()} cancels it;
   * cancels it at once if they were settled before it could be recorded.
   */
  private static void recordAsyncWork(CompletionStage<?> stage, List<? extends InFlightLoad<?, ?>> loads) {
    try {
      CompletableFuture<?> work = stage.toCompletableFuture();
      for (InFlightLoad<?, ?> load : loads) {
        load.asyncWork = work;
        if (load.isSettled()) {
          load.abandonAsyncWork();
        }
      }
    } catch (UnsupportedOperationException notAFuture) {
      // a stage that cannot be cancelled: its result is ignored once the loads are settled
    }
  }

  private static Throwable unwrapCompletion(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  @Override
  public @Nullable V get(K key, BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    return getBatched(key, BatchSource.perCall(batchLoader));
  }

  @Override
  public CompletableFuture<@Nullable V> getAsync(K key, BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    return getBatchedAsync(key, BatchSource.perCall(batchLoader));
  }

  @Override
  public Map<K, V> getAll(Collection<? extends K> keys, BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    return getAllBatched(keys, BatchSource.perCall(batchLoader));
  }

  @Override
  public CompletableFuture<Map<K, V>> getAllAsync(
      Collection<? extends K> keys, BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    return getAllBatchedAsync(keys, BatchSource.perCall(batchLoader));
  }

  @Override
  public Batcher<K, V> batcher(BatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    return new SourceBatcher(BatchSource.owned(batchLoader, null));
  }

  @Override
  public Batcher<K, V> batcher(AsyncBatchLoader<K, ? extends V> batchLoader) {
    Objects.requireNonNull(batchLoader, "batchLoader must not be null");
    return new SourceBatcher(BatchSource.owned(null, batchLoader));
  }

  /** A {@link Batcher}: this cache with one batch source of its own. */
  private final class SourceBatcher implements Batcher<K, V> {
    private final BatchSource<K, V> source;

    SourceBatcher(BatchSource<K, V> source) {
      this.source = source;
    }

    @Override
    public @Nullable V get(K key) {
      return getBatched(key, source);
    }

    @Override
    public CompletableFuture<@Nullable V> getAsync(K key) {
      return getBatchedAsync(key, source);
    }

    @Override
    public Map<K, V> getAll(Collection<? extends K> keys) {
      return getAllBatched(keys, source);
    }

    @Override
    public CompletableFuture<Map<K, V>> getAllAsync(Collection<? extends K> keys) {
      return getAllBatchedAsync(keys, source);
    }

    @Override
    public String toString() {
      return "Batcher{" + source + " over " + DefaultAsyncCache.this + "}";
    }
  }

  private @Nullable V getBatched(K key, BatchSource<K, V> source) {
    requireKey(key);
    checkOpen();
    Node<K, V> node = lookup(key);
    if (node != null) {
      return node.value;
    }
    Acquired<K, V> acquired = acquire(key, defaultTtlNanos, refreshNanos);
    if (acquired.mustStart) {
      enqueue(source, acquired.load);
    }
    return await(acquired.load, !acquired.mustStart);
  }

  private CompletableFuture<@Nullable V> getBatchedAsync(K key, BatchSource<K, V> source) {
    requireKey(key);
    checkOpen();
    Node<K, V> node = lookup(key);
    return node != null
        ? CompletableFuture.completedFuture(node.value)
        : missAsync(key, Ttl.cacheDefault(), load -> enqueue(source, load));
  }

  private Map<K, V> getAllBatched(Collection<? extends K> keys, BatchSource<K, V> source) {
    Map<K, V> found = new LinkedHashMap<>();
    Map<K, InFlightLoad<K, V>> waiting = startAll(keys, source, found);
    for (Map.Entry<K, InFlightLoad<K, V>> e : waiting.entrySet()) {
      V value = await(e.getValue(), true);
      if (value != null) {
        found.put(e.getKey(), value);
      }
    }
    return found;
  }

  private CompletableFuture<Map<K, V>> getAllBatchedAsync(
      Collection<? extends K> keys, BatchSource<K, V> source) {
    Map<K, V> found = new LinkedHashMap<>();
    Map<K, InFlightLoad<K, V>> waiting;
    try {
      waiting = startAll(keys, source, found);
    } catch (RecursiveLoadException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<?>[] all =
        waiting.values().stream().map(l -> l.future).toArray(CompletableFuture<?>[]::new);
    return CompletableFuture.allOf(all)
        .thenApply(
            done -> {
              for (Map.Entry<K, InFlightLoad<K, V>> e : waiting.entrySet()) {
                V value = e.getValue().future.join();
                if (value != null) {
                  found.put(e.getKey(), value);
                }
              }
              return found;
            });
  }

  /** Serves the cached keys into {@code found} and starts or joins loads of the others. */
  private Map<K, InFlightLoad<K, V>> startAll(
      Collection<? extends K> keys, BatchSource<K, V> source, Map<K, V> found) {
    Objects.requireNonNull(keys, "keys must not be null");
    Set<K> distinct = new LinkedHashSet<>(keys.size());
    for (K key : keys) {
      distinct.add(requireKey(key));
    }
    checkOpen();
    Map<K, InFlightLoad<K, V>> waiting = new LinkedHashMap<>();
    List<InFlightLoad<K, V>> toLoad = new ArrayList<>();
    for (K key : distinct) {
      Node<K, V> node = lookup(key);
      if (node != null) {
        found.put(key, node.value);
        continue;
      }
      Acquired<K, V> acquired = acquire(key, defaultTtlNanos, refreshNanos);
      if (acquired.mustStart) {
        toLoad.add(acquired.load);
      }
      waiting.put(key, acquired.load);
    }
    if (!toLoad.isEmpty()) {
      try {
        batches.enqueueAllAndFlush(source, toLoad);
      } catch (RuntimeException e) { // the task decorator threw: these loads have no batch
        for (InFlightLoad<K, V> load : toLoad) {
          settleFailure(load, e, true);
        }
      }
    }
    return waiting;
  }

  /**
   * Hands a load this caller created to the batch of {@code source}; fails the load if that
   * fails (the task decorator threw, or the cache closed).
   */
  private void enqueue(BatchSource<K, V> source, InFlightLoad<K, V> load) {
    try {
      batches.enqueue(source, load);
    } catch (RuntimeException e) {
      settleFailure(load, e, !(e instanceof CacheClosedException));
    }
  }

  /** The live node of {@code key}, counting a miss when there is none (the store counts hits). */
  private @Nullable Node<K, V> lookup(K key) {
    Node<K, V> node = store.getLive(key);
    if (node == null) {
      stats.misses.increment();
    }
    return node;
  }

  // ----- single-flight -----

  /** The load a miss waits for, and whether the caller created it and must start it. */
  private record Acquired<K, V>(InFlightLoad<K, V> load, boolean mustStart) {}

  private Acquired<K, V> acquire(K key, long ttlNanos, long loadRefreshNanos) {
    for (; ; ) {
      InFlightLoad<K, V> existing = inFlight.get(key);
      if (existing != null) {
        if (LoadFrame.callerIsRunning(existing)) {
          throw new RecursiveLoadException(
              "the loader of key " + key + " asked the cache for that same key (directly or"
                  + " through nested loads); it would wait for itself forever");
        }
        if (existing.future.isDone()) { // settled, but an Error cut its cleanup short
          inFlight.remove(key, existing);
          continue;
        }
        if (existing.tryJoin()) {
          stats.joinedLoads.increment();
          return new Acquired<>(existing, false);
        }
        Thread.onSpinWait(); // sealed: it is leaving the map; look again
        continue;
      }
      InFlightLoad<K, V> load = new InFlightLoad<>(key, ttlNanos, loadRefreshNanos, LoadFrame.current());
      if (inFlight.putIfAbsent(key, load) != null) {
        continue;
      }
      // A load may have published the key, or a write written it, between our miss and our
      // registration. The fence pairs with the one in overtake(): either that write's hook sees
      // this load, or this read sees that write.
      VarHandle.fullFence();
      Node<K, V> node = store.peekLive(key);
      if (node != null) {
        load.future.complete(node.value); // first, so that nothing can leave it unanswered
        if (load.trySettle()) {
          inFlight.remove(key, load);
        }
        return new Acquired<>(load, false);
      }
      if (closed) { // close() may have swept the in-flight loads before we registered
        settleFailure(load, closedWhileLoading(key), false);
      }
      return new Acquired<>(load, true);
    }
  }

  /**
   * Runs a load on a cache thread, with the calling thread's context (the cache's {@link
   * TaskDecorator}, applied here, on the thread that created the load or the refresh).
   */
  private void startOnThread(InFlightLoad<K, V> load, Loader<? extends V> loader) {
    load.handedOff = true;
    try {
      threads.startForCaller(() -> runLoad(load, loader, false));
    } catch (RuntimeException e) { // closed, or the task decorator threw
      settleFailure(load, e, !(e instanceof CacheClosedException));
    }
  }

  /** Runs {@code loader} for {@code load} on the calling thread and settles the load. */
  private void runLoad(InFlightLoad<K, V> load, Loader<? extends V> loader, boolean inline) {
    Thread self = Thread.currentThread();
    LoadFrame saved = LoadFrame.current();
    Throwable failure = null;
    long start = 0;
    try {
      load.runner = self;
      if (!inline) {
        armTimeout(List.of(load));
      }
      LoadFrame.enter(List.of(load), load.origin);
      start = time.nanoTime();
      if (writeThrough && tryLoadFromBackend(load)) {
        return;
      }
      V value = loader.load();
      stats.loadTimeNanos.add(time.nanoTime() - start);
      settleSuccess(load, value);
    } catch (Throwable t) {
      failure = t;
      stats.loadTimeNanos.add(time.nanoTime() - start);
      if (inline && !load.isSettled() && interruptCaused(t)) {
        self.interrupt(); // the loader may have cleared it: the caller leaves with its interrupt
        if (!load.sealIfUnwaited()) {
          // Others wait: hand the load over to a thread of the cache.
          startOnThread(load, loader);
          throw new WaitInterruptedException(
              "interrupted while loading key " + load.key + "; the load goes on for the other callers");
        }
        // Nobody else waits (and nobody can join any more): the load ends here.
        settleFailure(load, t, true);
        throw new WaitInterruptedException(
            "interrupted while loading key " + load.key + "; nobody else waited, the load was dropped",
            t);
      }
      settleFailure(load, t, true);
      if (t instanceof VirtualMachineError) {
        failOrphans(t);
      }
    } finally {
      try {
        // A stack overflow can strike again while settling (between the claim and the
        // completion): here, with the settle's frames unwound, the future is completed for sure.
        if (failure instanceof VirtualMachineError && !load.future.isDone()) {
          load.future.completeExceptionally(failure);
        }
      } finally {
        load.runner = null;
        LoadFrame.exit(saved);
      }
    }
  }

  /** Write-through mode: serves a miss from the backend if it holds the key. */
  private boolean tryLoadFromBackend(InFlightLoad<K, V> load) {
    PersistenceBackend<K, V> b = Objects.requireNonNull(backend);
    PersistedEntry<K, V> entry = b.get(load.key);
    long nowMillis = System.currentTimeMillis();
    if (entry == null || entry.isExpiredAt(nowMillis)) {
      return false;
    }
    if (!load.trySettle()) {
      return true;
    }
    Throwable failure = null;
    try {
      long nowNanos = time.nanoTime();
      long expiresAt = store.toNanos(entry, nowNanos, nowMillis);
      long ttl = expiresAt == Node.NO_EXPIRY ? -1 : Math.max(1, expiresAt - nowNanos);
      publish(load, entry.value(), ttl, false);
    } catch (Throwable t) {
      failure = t;
    }
    finish(load, entry.value(), failure, true);
    return true;
  }

  /**
   * Settles a load with its loaded value: caches it, then answers the waiters. If caching it
   * throws an {@link Error} (out of memory, stack overflow), the waiters get that error and nothing
   * is cached: a load completes with its value only once the value is in the cache.
   */
  private void settleSuccess(InFlightLoad<K, V> load, @Nullable V value) {
    if (!load.trySettle()) {
      return; // timed out or closed meanwhile: its waiters already have their answer
    }
    Throwable failure = null;
    try {
      if (value != null && !closed) {
        publish(load, value, ttlOfLoaded(load, value), true);
      }
    } catch (Throwable t) {
      failure = t;
    }
    finish(load, value, failure, true);
  }

  /**
   * After a load was claimed ({@link InFlightLoad#trySettle}): takes it out of the books and
   * completes its future, on every path: whatever the bookkeeping throws, the future is completed,
   * so that no waiter and no later caller of the key can hang on it.
   */
  private void finish(
      InFlightLoad<K, V> load, @Nullable V value, @Nullable Throwable failure, boolean count) {
    try {
      if (count) {
        (failure == null ? stats.loadSuccesses : stats.loadFailures).increment();
      }
    } finally {
      if (failure == null) {
        load.future.complete(value);
      } else {
        load.future.completeExceptionally(failure);
      }
    }
    // After the completion (the part that must happen): a caller that sees the load done before
    // it leaves the map does not join it (see acquire).
    inFlight.remove(load.key, load);
    // Pairs with overtakeLoad: one of the two sees the other's write and drops the entry.
    if (load.isInvalidated()) {
      overtaken.remove(load);
    }
  }

  /** The time to live of {@code load}'s entry: its loader's choice for this value, else the call's. */
  private long ttlOfLoaded(InFlightLoad<K, V> load, V value) {
    if (!load.hasChosenExpiry()) {
      return load.ttlNanos;
    }
    long chosen = load.chosenTtlOf(value, time.nanoTime());
    return chosen == InFlightLoad.NOT_CHOSEN ? load.ttlNanos : chosen;
  }

  /**
   * {@link LoadExpiry#expireAfter}: the load in flight for {@code key} takes {@code ttl} for an entry
   * of {@code value}.
   */
  boolean chooseExpiry(K key, V value, Ttl ttl) {
    Objects.requireNonNull(key, "key must not be null");
    Objects.requireNonNull(value, "value must not be null");
    Objects.requireNonNull(ttl, "ttl must not be null");
    // The load this thread runs, if it runs one of the key (a loader overtaken by a write keeps its
    // own load, never the one that replaced it); else (an async loader's stage completing on
    // another thread) the key's load in flight.
    @SuppressWarnings("unchecked")
    InFlightLoad<K, V> load = (InFlightLoad<K, V>) LoadFrame.runningLoadOf(key);
    if (load == null) {
      load = inFlight.get(key);
    }
    if (load == null || load.isSettled() || load.isInvalidated()) {
      return false;
    }
    load.chooseExpiry(value, ttl.toNanos(defaultTtlNanos), time.nanoTime());
    return true;
  }

  private void publish(InFlightLoad<K, V> load, V value, long ttlNanos, boolean echo) {
    markChanged();
    try {
      store.put(load.key, value, ttlNanos, load.refreshNanos, load, echo);
    } catch (IllegalArgumentException tooHeavy) {
      // Heavier than maximumWeight on its own: returned to the callers, never cached.
      LOG.debug("loaded value of key {} was not cached: {}", load.key, tooHeavy.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("loaded value of key {} was not cached: the write-through backend failed", load.key, e);
    }
  }

  /**
   * Settles a load with its failure; returns whether this call settled it. A failed reload ahead
   * of expiry backs off; with stale-if-error, a key whose value expired within the grace period is
   * answered with that value instead of the failure.
   */
  private boolean settleFailure(InFlightLoad<K, V> load, Throwable failure, boolean count) {
    if (!load.trySettle()) {
      return false;
    }
    Node<K, V> stale = null;
    try {
      RefreshableNode<K, V> refreshed = load.refreshOf;
      if (refreshed != null) {
        backOff(refreshed, load.refreshNanos);
      }
      if (staleGraceNanos > 0 && servesStale(failure)) {
        stale = store.peekStale(load.key);
      }
    } catch (RuntimeException e) {
      LOG.debug("could not look for a stale value of key {}", load.key, e);
    }
    if (stale != null) {
      stats.staleServed.increment();
      if (count) {
        stats.loadFailures.increment();
      }
      finish(load, stale.value, null, false);
    } else {
      finish(load, null, failure, count);
    }
    return true;
  }

  /** Failures a stale value may answer: the loader's own, and timeouts; not closing, not misuse. */
  private static boolean servesStale(Throwable failure) {
    return !(failure instanceof CacheClosedException
        || failure instanceof RecursiveLoadException
        || failure instanceof BatchLoadException);
  }

  /** The first retry 1 s after the failure, doubling, never longer than the refresh age. */
  private void backOff(RefreshableNode<K, V> node, long refreshAge) {
    int failures = Math.min(++node.failures, 31);
    long wait = Math.min(refreshAge, 1_000_000_000L << Math.min(failures - 1, 30));
    node.refreshAt = EntryStore.expiryOf(time.nanoTime(), Math.max(1, wait));
  }

  private void armTimeout(List<InFlightLoad<K, V>> loads) {
    if (loadTimeoutNanos < 0) {
      return;
    }
    try {
      var task =
          threads.schedule(
              () -> {
                for (InFlightLoad<K, V> load : loads) {
                  Thread runner = load.runner;
                  LoadTimeoutException timeout =
                      new LoadTimeoutException(
                          "the load of key " + load.key + " took longer than loadTimeout "
                              + Duration.ofNanos(loadTimeoutNanos) + "; its loader was interrupted");
                  if (settleFailure(load, timeout, true)) {
                    if (runner != null) {
                      runner.interrupt();
                    }
                    load.abandonAsyncWork();
                  }
                }
              },
              loadTimeoutNanos);
      for (InFlightLoad<K, V> load : loads) {
        load.timeoutTask = task;
      }
    } catch (CacheClosedException e) {
      // close() settles the loads
    }
  }

  private @Nullable V await(InFlightLoad<K, V> load, boolean joined) {
    try {
      return load.future.get();
    } catch (InterruptedException e) {
      if (joined) {
        load.leave();
      }
      Thread.currentThread().interrupt();
      throw new WaitInterruptedException(
          "interrupted while waiting for the load of key " + load.key + "; the load goes on", e);
    } catch (ExecutionException e) {
      throw propagate(load.key, e.getCause());
    }
  }

  private static RuntimeException propagate(Object key, Throwable cause) {
    if (cause instanceof RuntimeException r) {
      return r;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    return new LoadException("the loader of key " + key + " failed: " + cause, cause);
  }

  private static boolean interruptCaused(Throwable t) {
    if (Thread.currentThread().isInterrupted()) {
      return true;
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InterruptedException
          || c instanceof InterruptedIOException
          || c instanceof ClosedByInterruptException) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }

  // ----- batches -----

  private void runBatch(BatchSource<K, V> source, List<InFlightLoad<K, V>> batch) {
    List<InFlightLoad<K, V>> loads = new ArrayList<>(batch.size());
    // A write during the window can leave an overtaken load and a new one of the same key in one
    // batch: the batch loader gets each key once, and its value answers both.
    Set<K> distinct = new LinkedHashSet<>();
    List<LoadFrame> origins = new ArrayList<>();
    for (InFlightLoad<K, V> load : batch) {
      if (!load.isSettled()) {
        loads.add(load);
        distinct.add(load.key);
        if (load.origin != null && !origins.contains(load.origin)) {
          origins.add(load.origin);
        }
      }
    }
    if (loads.isEmpty()) {
      return;
    }
    List<K> keys = List.copyOf(distinct);
    armTimeout(loads);
    stats.batchCalls.increment();
    stats.batchedKeys.add(keys.size());
    if (source.blocking != null) {
      runBlockingBatch(source.blocking, keys, loads, origins);
    } else {
      startAsyncBatch(Objects.requireNonNull(source.async), keys, loads, origins);
    }
  }

  private void runBlockingBatch(
      BatchLoader<K, ? extends V> loader,
      List<K> keys,
      List<InFlightLoad<K, V>> loads,
      List<LoadFrame> origins) {
    for (InFlightLoad<K, V> load : loads) {
      load.runner = Thread.currentThread();
    }
    LoadFrame saved = LoadFrame.enter(loads, origins);
    long start = time.nanoTime();
    try {
      Map<K, ? extends V> values = loader.load(keys);
      stats.loadTimeNanos.add(time.nanoTime() - start);
      settleBatch(loader, keys, loads, values);
    } catch (Throwable t) {
      stats.loadTimeNanos.add(time.nanoTime() - start);
      for (InFlightLoad<K, V> load : loads) {
        settleFailure(load, t, true);
      }
    } finally {
      for (InFlightLoad<K, V> load : loads) {
        load.runner = null;
      }
      LoadFrame.exit(saved);
    }
  }

  /**
   * Calls an async batch loader on this (cache) thread, which ends when it returns: the stage's
   * completion settles the loads, on whatever thread completes it.
   */
  private void startAsyncBatch(
      AsyncBatchLoader<K, ? extends V> loader,
      List<K> keys,
      List<InFlightLoad<K, V>> loads,
      List<LoadFrame> origins) {
    long start = time.nanoTime();
    LoadFrame saved = LoadFrame.enter(loads, origins);
    try {
      CompletionStage<? extends Map<K, ? extends V>> stage = loader.load(keys, executorFor(loads, origins));
      if (stage == null) {
        throw new BatchLoadException(
            "your async batch loader " + loader + " returned null instead of a CompletionStage for "
                + keys.size() + " keys");
      }
      recordAsyncWork(stage, loads);
      stage.whenComplete(
          (values, failure) -> {
            stats.loadTimeNanos.add(time.nanoTime() - start);
            if (failure != null) {
              Throwable cause = unwrapCompletion(failure);
              for (InFlightLoad<K, V> load : loads) {
                settleFailure(load, cause, true);
              }
            } else {
              settleBatch(loader, keys, loads, values);
            }
          });
    } catch (Throwable t) {
      stats.loadTimeNanos.add(time.nanoTime() - start);
      for (InFlightLoad<K, V> load : loads) {
        settleFailure(load, t, true);
      }
    } finally {
      LoadFrame.exit(saved);
    }
  }

  private void settleBatch(
      Object loader, List<K> keys, List<InFlightLoad<K, V>> loads, @Nullable Map<K, ? extends V> values) {
    if (values == null) {
      BatchLoadException broken =
          new BatchLoadException(
              "your batch loader " + loader + " returned null for " + keys.size() + " keys;"
                  + " it must return a Map (leave out the keys that have no value)");
      for (InFlightLoad<K, V> load : loads) {
        settleFailure(load, broken, true);
      }
      return;
    }
    for (InFlightLoad<K, V> load : loads) {
      settleSuccess(load, values.get(load.key));
    }
  }

  // ----- writes -----

  @Override
  public void set(K key, V value) {
    set(key, value, Ttl.cacheDefault());
  }

  @Override
  public void set(K key, V value, Ttl ttl) {
    requireKey(key);
    Objects.requireNonNull(value, "value must not be null");
    Objects.requireNonNull(ttl, "ttl must not be null");
    checkOpen();
    markChanged();
    store.put(key, value, ttl.toNanos(defaultTtlNanos), null, true);
  }

  @Override
  public boolean delete(K key) {
    requireKey(key);
    checkOpen();
    markChanged();
    return store.remove(key);
  }

  @Override
  public void clear() {
    checkOpen();
    markChanged();
    store.clear();
  }

  /**
   * Called by the store for every write of {@code key} (or of every key, when {@code key} is
   * {@code null}: a clear), after the map changed and, for writes under the store's lock, before
   * the lock is released: the loads in flight for it are overtaken, so their values never replace
   * what was written (they still answer their waiters). A load registered later sees the write
   * (see the fence in {@link #acquire}).
   */
  private void overtake(@Nullable K key) {
    VarHandle.fullFence();
    if (inFlight.isEmpty()) {
      return;
    }
    if (key == null) {
      for (InFlightLoad<K, V> load : inFlight.values()) {
        overtakeLoad(load);
      }
    } else {
      InFlightLoad<K, V> load = inFlight.get(key);
      if (load != null) {
        overtakeLoad(load);
      }
    }
  }

  private void overtakeLoad(InFlightLoad<K, V> load) {
    overtaken.add(load); // before leaving inFlight, so that close() always finds it
    load.invalidate();
    inFlight.remove(load.key, load);
    if (load.future.isDone()) { // finished meanwhile (see the end of finish)
      overtaken.remove(load);
    }
  }

  // ----- the map view -----

  private volatile @Nullable CacheMapView<K, V> mapView;

  @Override
  public ConcurrentMap<K, V> asMap() {
    CacheMapView<K, V> view = mapView;
    if (view == null) {
      view = new CacheMapView<>(this, store);
      mapView = view;
    }
    return view;
  }

  /** A conditional write of the map view, with the cache's default time to live. */
  EntryStore.Swap<V> update(
      K key, EntryStore.Condition condition, @Nullable Object expected, @Nullable V replacement) {
    requireKey(key);
    checkOpen();
    markChanged();
    return store.update(key, condition, expected, replacement, defaultTtlNanos);
  }

  // ----- warmup, maintenance, metrics -----

  @Override
  public WarmupResult<K> warmup(Map<? extends K, ? extends Loader<? extends V>> loaders) {
    Objects.requireNonNull(loaders, "loaders must not be null");
    loaders.forEach(
        (k, l) -> {
          requireKey(k);
          Objects.requireNonNull(l, () -> "loader of key " + k + " must not be null");
        });
    checkOpen();
    Set<K> loaded = ConcurrentHashMap.newKeySet();
    Set<K> missing = ConcurrentHashMap.newKeySet();
    Map<K, Throwable> failed = new ConcurrentHashMap<>();
    try (TaskScope scope = new TaskScope(threads)) {
      for (Map.Entry<? extends K, ? extends Loader<? extends V>> e : loaders.entrySet()) {
        K key = e.getKey();
        Loader<? extends V> loader = e.getValue();
        scope.fork(
            () -> {
              try {
                if (get(key, loader) == null) {
                  missing.add(key);
                } else {
                  loaded.add(key);
                }
              } catch (LoadException wrapped) {
                failed.put(key, Objects.requireNonNull(wrapped.getCause()));
              } catch (Throwable t) {
                failed.put(key, t);
              }
            });
      }
      scope.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WaitInterruptedException("interrupted during warmup; its loads were cancelled", e);
    }
    return new WarmupResult<>(loaded, missing, failed);
  }

  @Override
  public void cleanUp() {
    checkOpen();
    store.cleanUp();
  }

  @Override
  public CacheMetrics metrics() {
    // The hit count is derived from racy sums; report it monotonically (it never overcounts).
    long hits = reportedHits.accumulateAndGet(store.liveReads(), Math::max);
    long size = store.size();
    return new CacheMetrics(
        hits,
        stats.misses.sum(),
        stats.loadSuccesses.sum(),
        stats.loadFailures.sum(),
        stats.loadTimeNanos.sum(),
        stats.joinedLoads.sum(),
        store.evictions(),
        store.expirations(),
        stats.batchCalls.sum(),
        stats.batchedKeys.sum(),
        stats.refreshes.sum(),
        stats.staleServed.sum(),
        size,
        maxSize,
        store.weightedSize(size));
  }

  @Override
  public long size() {
    return store.size();
  }

  /** The total weight of the entries (their number without a weigher); for tests. */
  long weightedSize() {
    return store.weightedSize();
  }

  /** How many writes changed a value in place, without replacing its node; for tests. */
  long inPlaceWrites() {
    return store.inPlaceWrites();
  }

  // ----- persistence -----

  @Override
  public long saveToBackend() {
    checkOpen();
    return save();
  }

  private long save() {
    PersistenceBackend<K, V> b = requireBackend();
    saveLock.lock();
    try {
      return b.save(store.snapshot());
    } finally {
      saveLock.unlock();
    }
  }

  /**
   * A save the cache makes by itself (periodic, on close or JVM shutdown). It is skipped while the
   * cache has not changed since it was built: a cache built at start and not yet restored (or not
   * yet used) must not replace a good snapshot with an empty one.
   */
  private void autoSave() {
    if (changed) {
      saveQuietly();
    }
  }

  private void markChanged() {
    if (!changed) {
      changed = true;
    }
  }

  private void saveQuietly() {
    try {
      long n = save();
      LOG.debug("saved {} entries to {}", n, backend);
    } catch (RuntimeException | LinkageError | AssertionError e) {
      // An automatic save (periodic, on close, at shutdown) has no caller to tell: it logs. A
      // third-party backend's Error is logged too, except the JVM's own (out of memory...).
      LOG.error("could not save the cache to {}; the previous snapshot is kept", backend, e);
    }
  }

  @Override
  public long loadFromBackend() {
    checkOpen();
    PersistenceBackend<K, V> b = requireBackend();
    List<PersistedEntry<K, V>> entries = new ArrayList<>();
    b.load(entries::add);
    return store.restore(entries);
  }

  private PersistenceBackend<K, V> requireBackend() {
    if (backend == null) {
      throw new IllegalStateException(
          "this cache has no persistence backend: give one to the builder's persistence(...)");
    }
    return backend;
  }

  /** How many reads the read buffer dropped (tests only). */
  long droppedReadsForTest() {
    return store.droppedReads();
  }

  // ----- lifecycle -----

  @Override
  public void close() {
    closeLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      closeLock.unlock();
    }
    batches.close();
    // Every unsettled load is answered before the cache's threads are interrupted, so that a
    // running loader's waiters get CacheClosedException, not the loader's InterruptedException.
    for (InFlightLoad<K, V> load : inFlight.values()) {
      closeLoad(load);
    }
    for (InFlightLoad<K, V> load : overtaken) {
      closeLoad(load);
    }
    threads.close();
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or about to: it saves
      }
    }
    if (backend != null) {
      try {
        if (saveOnShutdown) {
          autoSave();
        }
      } finally {
        backend.close();
      }
    }
  }

  private void closeLoad(InFlightLoad<K, V> load) {
    settleFailure(load, closedWhileLoading(load.key), true);
    load.abandonAsyncWork();
  }

  private static CacheClosedException closedWhileLoading(Object key) {
    return new CacheClosedException("the cache was closed while loading key " + key);
  }

  private void checkOpen() {
    if (closed) {
      throw new CacheClosedException("cache is closed");
    }
  }

  private static <T> T requireKey(@Nullable T key) {
    if (key == null) {
      throw new NullPointerException("key must not be null");
    }
    return key;
  }

  @Override
  public String toString() {
    return "AsyncCache{size=" + store.size() + ", maxSize=" + (maxSize == Long.MAX_VALUE ? "unbounded" : maxSize)
        + (closed ? ", closed" : "") + "}";
  }
}
