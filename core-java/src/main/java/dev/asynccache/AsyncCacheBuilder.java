package dev.asynccache;

import dev.asynccache.persistence.PersistenceBackend;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;

/**
 * Builds an {@link AsyncCache}. Obtain one with {@link AsyncCache#builder()}.
 *
 * <p>Each option may be set once ({@link IllegalStateException} otherwise); a bad value fails at
 * once with {@link IllegalArgumentException} naming the option and the value; options that clash
 * fail at {@link #build()}. Defaults: {@code maxSize} 128, the {@link EvictionPolicy#ADAPTIVE}
 * eviction policy, no default TTL, {@code batchWindow} 5 ms, {@code maxBatchSize} 100, no {@code
 * loadTimeout}, {@link TimeSource#system()}, no persistence, {@link TaskDecorator#none()}.
 *
 * <p>A builder is not thread-safe; the caches it builds are.
 *
 * <pre>{@code
 * AsyncCache<String, User> users = AsyncCache.builder()
 *     .maxSize(10_000)
 *     .defaultTtl(Duration.ofMinutes(5))
 *     .build();
 * }</pre>
 */
public final class AsyncCacheBuilder {
  static final long DEFAULT_MAX_SIZE = 128;
  static final Duration DEFAULT_BATCH_WINDOW = Duration.ofMillis(5);
  static final int DEFAULT_MAX_BATCH_SIZE = 100;
  static final long UNBOUNDED = Long.MAX_VALUE;

  private long maxSize = -1;
  private long maximumWeight = -1;
  private @Nullable Weigher<?, ?> weigher;
  private @Nullable EvictionPolicy evictionPolicy;
  private @Nullable Duration defaultTtl;
  private @Nullable Duration batchWindow;
  private int maxBatchSize = -1;
  private @Nullable Duration loadTimeout;
  private @Nullable Duration refreshAfterWrite;
  private @Nullable Duration staleIfError;
  private @Nullable TimeSource timeSource;
  private @Nullable PersistenceBackend<?, ?> persistence;
  private @Nullable Boolean saveOnShutdown;
  private @Nullable Duration saveInterval;
  private @Nullable TaskDecorator taskDecorator;
  private @Nullable Executor maintenanceExecutor;

  AsyncCacheBuilder() {}

  /**
   * Bounds the cache to {@code maxSize} entries; beyond it, the {@linkplain
   * #evictionPolicy(EvictionPolicy) eviction policy} chooses which entries to evict. Once a write
   * returns, the cache holds at most {@code maxSize} entries.
   *
   * @param maxSize the bound, at least 1 (default 128)
   * @return this builder
   * @throws IllegalArgumentException if {@code maxSize < 1}
   * @throws IllegalStateException if the size was already set
   */
  public AsyncCacheBuilder maxSize(long maxSize) {
    requireUnset(this.maxSize == -1, "maxSize");
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize must be at least 1, was " + maxSize);
    }
    this.maxSize = maxSize;
    return this;
  }

  /**
   * Bounds the cache by the total weight of its entries instead of their number, for instance
   * by the bytes their values take: the cache's answer to a memory limit. Needs a {@link
   * #weigher(Weigher)}; cannot be combined with {@link #maxSize(long)} or {@link #unbounded()}.
   *
   * <p>Once a write returns, the total weight of the entries is at most {@code maximumWeight}: the
   * write evicts (by the {@linkplain #evictionPolicy(EvictionPolicy) eviction policy}) before it
   * publishes. An entry heavier than {@code maximumWeight} on its own is refused: {@code set}
   * throws {@link IllegalArgumentException} and leaves the cache unchanged, and a loaded value
   * that heavy is returned to its callers but not cached.
   *
   * @param maximumWeight the bound, at least 1
   * @return this builder
   * @throws IllegalArgumentException if {@code maximumWeight < 1}
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder maximumWeight(long maximumWeight) {
    requireUnset(this.maximumWeight == -1, "maximumWeight");
    if (maximumWeight < 1) {
      throw new IllegalArgumentException("maximumWeight must be at least 1, was " + maximumWeight);
    }
    this.maximumWeight = maximumWeight;
    return this;
  }

  /**
   * Sets how much each entry weighs, for a cache bounded by {@link #maximumWeight(long)} (which
   * it needs). Its key and value types must match the cache's. Writes that do not change the
   * entry's structure are no longer done in place: each write takes the cache's lock, so that the
   * bound holds for the new weight.
   *
   * @param weigher the weigher; see {@link Weigher} for its contract
   * @return this builder
   * @throws NullPointerException if {@code weigher} is null
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder weigher(Weigher<?, ?> weigher) {
    requireUnset(this.weigher == null, "weigher");
    this.weigher = Objects.requireNonNull(weigher, "weigher must not be null");
    return this;
  }

  /**
   * Chooses which entries a full cache evicts (default {@link EvictionPolicy#ADAPTIVE}, which
   * keeps the entries likely to be asked for again and resists scans). {@link EvictionPolicy#LRU}
   * gives the exact least-recently-used order. Needs a bound: cannot be combined with {@link
   * #unbounded()}.
   *
   * @param policy the policy
   * @return this builder
   * @throws NullPointerException if {@code policy} is null
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder evictionPolicy(EvictionPolicy policy) {
    requireUnset(evictionPolicy == null, "evictionPolicy");
    this.evictionPolicy = Objects.requireNonNull(policy, "evictionPolicy must not be null");
    return this;
  }

  /**
   * Removes the size bound: entries leave only by TTL, {@code delete} or {@code clear}.
   *
   * @return this builder
   * @throws IllegalStateException if the size was already set
   */
  public AsyncCacheBuilder unbounded() {
    requireUnset(this.maxSize == -1, "maxSize");
    this.maxSize = UNBOUNDED;
    return this;
  }

  /**
   * Sets the time to live of entries written without an explicit {@link Ttl} (default: none, they
   * never expire).
   *
   * @param ttl the default time to live, positive
   * @return this builder
   * @throws NullPointerException if {@code ttl} is null
   * @throws IllegalArgumentException if {@code ttl} is zero or negative
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder defaultTtl(Duration ttl) {
    requireUnset(defaultTtl == null, "defaultTtl");
    this.defaultTtl = requirePositive(ttl, "defaultTtl");
    return this;
  }

  /**
   * Sets how long a batch collects keys before its batch loader is called (default 5 ms). Zero
   * dispatches as soon as a dispatcher thread runs.
   *
   * @param window the batch window, zero or more
   * @return this builder
   * @throws NullPointerException if {@code window} is null
   * @throws IllegalArgumentException if {@code window} is negative
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder batchWindow(Duration window) {
    requireUnset(batchWindow == null, "batchWindow");
    Objects.requireNonNull(window, "batchWindow must not be null");
    if (window.isNegative()) {
      throw new IllegalArgumentException("batchWindow must not be negative, was " + window);
    }
    this.batchWindow = window;
    return this;
  }

  /**
   * Sets the most keys passed to one batch loader call (default 100). A batch that fills up is
   * dispatched at once.
   *
   * @param maxBatchSize at least 1
   * @return this builder
   * @throws IllegalArgumentException if {@code maxBatchSize < 1}
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder maxBatchSize(int maxBatchSize) {
    requireUnset(this.maxBatchSize == -1, "maxBatchSize");
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be at least 1, was " + maxBatchSize);
    }
    this.maxBatchSize = maxBatchSize;
    return this;
  }

  /**
   * Bounds how long a load or batch may run (default: no bound). A load that overruns is
   * interrupted and its waiters get a {@link LoadTimeoutException}. With a timeout set, loaders
   * run on the cache's virtual threads, never on the caller's.
   *
   * @param timeout positive
   * @return this builder
   * @throws NullPointerException if {@code timeout} is null
   * @throws IllegalArgumentException if {@code timeout} is zero or negative
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder loadTimeout(Duration timeout) {
    requireUnset(loadTimeout == null, "loadTimeout");
    this.loadTimeout = requirePositive(timeout, "loadTimeout");
    return this;
  }

  /**
   * Refreshes entries ahead of expiry (default: never). A {@code get} or {@code getAsync} with a
   * loader that finds an entry written longer than {@code refreshAfter} ago returns the current
   * value at once and starts one background reload with that loader (single-flight: one reload per
   * key however many readers); the reloaded value replaces the entry with a fresh time to live. A
   * failed reload keeps the current value and is retried by a later read after a back-off (1 s,
   * doubling, never longer than {@code refreshAfter}), so refreshing never stops for good. Each
   * entry's refresh age is shortened by a random 0–10 % so that replicas of a fleet do not reload
   * in lockstep. A write ({@code set}, {@code delete}) overtakes a reload in flight. An entry can
   * have a refresh age of its own: {@link Ttl#withRefreshAfter(Duration)}. Reads that do not give a
   * loader ({@code getIfPresent}, the map view, batch loads) never trigger a refresh.
   *
   * @param refreshAfter positive
   * @return this builder
   * @throws NullPointerException if {@code refreshAfter} is null
   * @throws IllegalArgumentException if {@code refreshAfter} is zero or negative
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder refreshAfterWrite(Duration refreshAfter) {
    requireUnset(refreshAfterWrite == null, "refreshAfterWrite");
    this.refreshAfterWrite = requirePositive(refreshAfter, "refreshAfterWrite");
    return this;
  }

  /**
   * Serves an expired value when its reload fails (stale-if-error; default: off). An entry whose
   * time to live has passed is kept for {@code grace} more (it is not returned by reads meanwhile,
   * and counts in {@code size()}); when the load that a miss of that key starts fails (the loader
   * throws, or overruns {@code loadTimeout}), its callers get the expired value instead of the
   * failure, and {@link CacheMetrics#staleServedCount()} counts it. Past the grace period, or for a
   * key with no expired value, failures reach the callers as usual. Closing the cache and recursive
   * loads are never answered with a stale value.
   *
   * @param grace how long after expiry a value may still be served on error; positive
   * @return this builder
   * @throws NullPointerException if {@code grace} is null
   * @throws IllegalArgumentException if {@code grace} is zero or negative
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder staleIfError(Duration grace) {
    requireUnset(staleIfError == null, "staleIfError");
    this.staleIfError = requirePositive(grace, "staleIfError");
    return this;
  }

  /**
   * Sets the clock used for expiry and load timing (default {@link TimeSource#system()}); tests
   * pass a clock they move by hand.
   *
   * @param timeSource the clock
   * @return this builder
   * @throws NullPointerException if {@code timeSource} is null
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder timeSource(TimeSource timeSource) {
    requireUnset(this.timeSource == null, "timeSource");
    this.timeSource = Objects.requireNonNull(timeSource, "timeSource must not be null");
    return this;
  }

  /**
   * Gives the cache a persistence backend for {@code saveToBackend()}/{@code loadFromBackend()}
   * and, if the backend is write-through, for every change. The cache closes it on {@code
   * close()}. Its key and value types must match the cache's.
   *
   * @param backend the backend
   * @return this builder
   * @throws NullPointerException if {@code backend} is null
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder persistence(PersistenceBackend<?, ?> backend) {
    requireUnset(persistence == null, "persistence");
    this.persistence = Objects.requireNonNull(backend, "persistence backend must not be null");
    return this;
  }

  /**
   * Saves a snapshot to the persistence backend when the cache is closed and when the JVM shuts
   * down (default {@code false}). Automatic saves are skipped while the cache has not changed
   * since it was built, so that a cache not yet restored never replaces a snapshot with nothing.
   *
   * @param enabled whether to save on shutdown
   * @return this builder
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder saveOnShutdown(boolean enabled) {
    requireUnset(saveOnShutdown == null, "saveOnShutdown");
    this.saveOnShutdown = enabled;
    return this;
  }

  /**
   * Saves a snapshot to the persistence backend every {@code interval} (default: never), once the
   * cache has changed since it was built (see {@link #saveOnShutdown(boolean)}).
   *
   * @param interval positive
   * @return this builder
   * @throws NullPointerException if {@code interval} is null
   * @throws IllegalArgumentException if {@code interval} is zero or negative
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder saveInterval(Duration interval) {
    requireUnset(saveInterval == null, "saveInterval");
    this.saveInterval = requirePositive(interval, "saveInterval");
    return this;
  }

  /**
   * Carries the caller's thread context (MDC, tracing span...) into every task the cache runs on a
   * caller's behalf on its own threads (default {@link TaskDecorator#none()}): {@code getAsync}
   * loads, loads with a {@link #loadTimeout}, batches (the context of the call that opened the
   * batch), {@code warmup} (the context of the {@code warmup} call), refresh-after-write reloads
   * (the context of the read that found the entry due) and the tasks an {@link AsyncLoader} gives
   * the cache's executor. The decorator is called on the caller's thread when the task is created,
   * never on a hit. See {@link TaskDecorator} for the details.
   *
   * <pre>{@code
   * AsyncCache.builder().taskDecorator(TaskDecorator.mdc());                       // SLF4J MDC
   * AsyncCache.builder().taskDecorator(task -> Context.current().wrap(task));      // OpenTelemetry
   * }</pre>
   *
   * @param decorator the decorator; combine several with {@link TaskDecorator#andThen}
   * @return this builder
   * @throws NullPointerException if {@code decorator} is null
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder taskDecorator(TaskDecorator decorator) {
    requireUnset(taskDecorator == null, "taskDecorator");
    this.taskDecorator = Objects.requireNonNull(decorator, "taskDecorator must not be null");
    return this;
  }

  /**
   * Runs the cache's policy maintenance: applying the buffered reads to the eviction policy (and
   * its frequency counts) and removing a batch of expired entries. A read only records itself in
   * a small lossy buffer; when the buffer is full it hands the maintenance to this executor, at
   * most one task at a time, and reads that find the buffer full meanwhile are not recorded
   * (recency and frequency are then approximate; hit and miss counts stay exact). By default the
   * maintenance of the adaptive policy runs on a virtual thread of the cache (at most one task a
   * millisecond when it runs on another thread than the reader's), so that a hit never does it, and that of {@link EvictionPolicy#LRU} on the reader's thread (its order then stays
   * exact when one thread uses the cache).
   *
   * <p>{@code Runnable::run} runs it on the thread whose read filled the buffer: a cache used by
   * one thread then records every read and its eviction decisions are deterministic (for tests
   * and trace replays), at the cost of that maintenance on the reader's thread. Writes, {@code
   * cleanUp()} and {@code close()} never depend on this executor: the size bound is enforced by
   * every write itself. A task given to another executor after {@code close()} does nothing
   * harmful (it may apply the pending reads).
   *
   * <p>The executor must run every task it accepts, and must not wait for it on the calling
   * thread if it runs it on another (the task is handed over while the cache's lock is held): a
   * task accepted and never run leaves the policy without its reads.
   *
   * @param executor runs maintenance tasks; if it throws, the maintenance runs on the caller's
   *     thread instead
   * @return this builder
   * @throws NullPointerException if {@code executor} is null
   * @throws IllegalStateException if it was already set
   */
  public AsyncCacheBuilder maintenanceExecutor(Executor executor) {
    requireUnset(maintenanceExecutor == null, "maintenanceExecutor");
    this.maintenanceExecutor = Objects.requireNonNull(executor, "maintenanceExecutor must not be null");
    return this;
  }

  /**
   * Builds the cache.
   *
   * @param <K> the key type
   * @param <V> the value type
   * @return a new cache
   * @throws IllegalStateException if {@code saveOnShutdown} or {@code saveInterval} is set without
   *     a persistence backend; if {@code maximumWeight} and {@code weigher} are not set together;
   *     if {@code maximumWeight} is combined with {@code maxSize} or {@code unbounded}; if an
   *     {@code evictionPolicy} is set on an unbounded cache
   */
  public <K, V> AsyncCache<K, V> build() {
    if (maximumWeight != -1 && maxSize != -1) {
      throw new IllegalStateException(
          (maxSize == UNBOUNDED ? "unbounded" : "maxSize") + " and maximumWeight cannot be"
              + " combined: bound the cache either by entry count or by total weight");
    }
    if (maximumWeight != -1 && weigher == null) {
      throw new IllegalStateException("maximumWeight needs a weigher: call weigher(...)");
    }
    if (weigher != null && maximumWeight == -1) {
      throw new IllegalStateException(
          "weigher needs maximumWeight: call maximumWeight(...) (maxSize counts entries, not weight)");
    }
    if (evictionPolicy != null && maxSize == UNBOUNDED) {
      throw new IllegalStateException(
          "evictionPolicy needs a bound: an unbounded cache never evicts");
    }
    if (persistence == null && (Boolean.TRUE.equals(saveOnShutdown) || saveInterval != null)) {
      throw new IllegalStateException(
          "saveOnShutdown and saveInterval need a persistence backend: call persistence(...)");
    }
    return new DefaultAsyncCache<>(this);
  }

  /** The bound on the entry count ({@link #UNBOUNDED} when the cache is bounded by weight). */
  long maxSizeOrDefault() {
    if (maximumWeight != -1) {
      return UNBOUNDED;
    }
    return maxSize == -1 ? DEFAULT_MAX_SIZE : maxSize;
  }

  /** The bound the policy enforces: the maximum weight if set, else the maximum size. */
  long maximumOrDefault() {
    return maximumWeight != -1 ? maximumWeight : maxSizeOrDefault();
  }

  @Nullable Weigher<?, ?> weigher() {
    return weigher;
  }

  EvictionPolicy evictionPolicyOrDefault() {
    return evictionPolicy == null ? EvictionPolicy.ADAPTIVE : evictionPolicy;
  }

  /** The default TTL in nanoseconds, or -1 for none. */
  long defaultTtlNanos() {
    return defaultTtl == null ? -1 : Ttl.saturatedNanos(defaultTtl);
  }

  long batchWindowNanos() {
    return Ttl.saturatedNanos(batchWindow == null ? DEFAULT_BATCH_WINDOW : batchWindow);
  }

  int maxBatchSizeOrDefault() {
    return maxBatchSize == -1 ? DEFAULT_MAX_BATCH_SIZE : maxBatchSize;
  }

  /** The cache's refresh age in nanoseconds, or -1 for none. */
  long refreshAfterNanos() {
    return refreshAfterWrite == null ? -1 : Ttl.saturatedNanos(refreshAfterWrite);
  }

  /** The stale-if-error grace in nanoseconds, or 0 for none. */
  long staleGraceNanos() {
    return staleIfError == null ? 0 : Ttl.saturatedNanos(staleIfError);
  }

  /** The load timeout in nanoseconds, or -1 for none. */
  long loadTimeoutNanos() {
    return loadTimeout == null ? -1 : Ttl.saturatedNanos(loadTimeout);
  }

  TimeSource timeSourceOrDefault() {
    return timeSource == null ? TimeSource.system() : timeSource;
  }

  @Nullable PersistenceBackend<?, ?> persistence() {
    return persistence;
  }

  boolean saveOnShutdownOrDefault() {
    return Boolean.TRUE.equals(saveOnShutdown);
  }

  @Nullable Duration saveInterval() {
    return saveInterval;
  }

  /** The maintenance executor, or {@code null} for the cache's own threads. */
  @Nullable Executor maintenanceExecutor() {
    return maintenanceExecutor;
  }

  TaskDecorator taskDecoratorOrDefault() {
    return taskDecorator == null ? TaskDecorator.none() : taskDecorator;
  }

  private static void requireUnset(boolean unset, String option) {
    if (!unset) {
      throw new IllegalStateException(option + " was already set");
    }
  }

  private static Duration requirePositive(Duration d, String option) {
    Objects.requireNonNull(d, option + " must not be null");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(option + " must be positive, was " + d);
    }
    return d;
  }

  /** Lists the options that were set. */
  @Override
  public String toString() {
    StringJoiner s = new StringJoiner(", ", "AsyncCacheBuilder{", "}");
    if (maxSize == UNBOUNDED) {
      s.add("unbounded");
    } else if (maxSize != -1) {
      s.add("maxSize=" + maxSize);
    }
    if (maximumWeight != -1) s.add("maximumWeight=" + maximumWeight);
    if (weigher != null) s.add("weigher=" + weigher);
    if (evictionPolicy != null) s.add("evictionPolicy=" + evictionPolicy);
    if (defaultTtl != null) s.add("defaultTtl=" + defaultTtl);
    if (batchWindow != null) s.add("batchWindow=" + batchWindow);
    if (maxBatchSize != -1) s.add("maxBatchSize=" + maxBatchSize);
    if (loadTimeout != null) s.add("loadTimeout=" + loadTimeout);
    if (refreshAfterWrite != null) s.add("refreshAfterWrite=" + refreshAfterWrite);
    if (staleIfError != null) s.add("staleIfError=" + staleIfError);
    if (timeSource != null) s.add("timeSource=" + timeSource);
    if (persistence != null) s.add("persistence=" + persistence);
    if (saveOnShutdown != null) s.add("saveOnShutdown=" + saveOnShutdown);
    if (saveInterval != null) s.add("saveInterval=" + saveInterval);
    if (taskDecorator != null) s.add("taskDecorator=" + taskDecorator);
    return s.toString();
  }
}
