package dev.asynccache;

import java.util.HashMap;
import java.util.Map;
import kotlin.reflect.KFunction;
import kotlin.reflect.jvm.ReflectJvmMapping;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.DSLScenarioBuilder;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Lincheck checks of the single-key operations ({@code get} with a loader, {@code set}, {@code
 * delete}, {@code getIfPresent}) on two keys, against {@link Spec}: the model checker explores the
 * interleavings of small scenarios, the stress mode runs them on real threads.
 *
 * <p>The cache is built with the defaults: no batching and no {@code loadTimeout}, so a miss runs
 * its loader inline on the calling thread (no virtual thread of the cache is started: the model
 * checker sees every step of a load). With at most a handful of reads per invocation, the read
 * buffer never fills, so no background drain is scheduled either.
 *
 * <p>Lincheck creates one instance of this class (so one cache) per invocation. The caches are
 * not closed: they own no thread until a load timeout, a batch or a save schedules one, and none
 * of those is used here.
 *
 * <p>What the model checker cannot check: loads that run on the cache's own virtual threads. With
 * a {@code loadTimeout} (the loader runs on a virtual thread of the cache, the timeout on its
 * timer) the first scenario already ends in "The execution has hung": the {@code get} waits for a
 * future that a thread the model checker does not schedule completes. So {@code getAsync}, batch
 * loaders and load timeouts are left to the stress-style tests ({@code LoadPathDefectsTest},
 * {@code SingleFlightTest}, {@code BatchingTest}). {@code ConcurrentHashMap}, {@code
 * ReentrantLock}, {@code LongAdder}, {@code VarHandle} fences, thread locals and {@code
 * CompletableFuture} on the caller's thread are all modelled.
 *
 * <p>Both modes run two threads of two operations, with one operation before and one after.
 * The bounds keep the class at about 30 s on a 2-core machine with a few other builds running
 * (Lincheck's threads wait for their turn actively, so on an oversubscribed machine, load average
 * 10 and more, it took 2 to 3 minutes). On the commit before the fix of defect 1, the model checker
 * finds it through its random scenarios as well as through {@link #setRacingAMiss}, and the stress
 * mode found it too in both runs made there.
 */
@Param(name = "key", gen = IntGen.class, conf = "1:2")
@Param(name = "value", gen = IntGen.class, conf = "1:2")
public class SingleKeyLincheckTest {
  /** What the loader returns: a constant, so that the only freedom is when a load fills a key. */
  static final String LOADED = "loaded";

  private final AsyncCache<Integer, String> cache = newCache();

  /** The cache under test, one per invocation. */
  AsyncCache<Integer, String> newCache() {
    return AsyncCache.builder().build();
  }

  @Operation
  public @Nullable String get(@Param(name = "key") int key) {
    return cache.get(key, () -> LOADED);
  }

  @Operation
  public void set(@Param(name = "key") int key, @Param(name = "value") int value) {
    cache.set(key, "v" + value);
  }

  /** Its result is not checked: see the last relaxation in {@link Spec}. */
  @Operation
  public void delete(@Param(name = "key") int key) {
    cache.delete(key);
  }

  /** A fill reads as absent: see the last relaxation in {@link Spec}. */
  @Operation
  public @Nullable String getIfPresent(@Param(name = "key") int key) {
    String value = cache.getIfPresent(key);
    return LOADED.equals(value) ? null : value;
  }

  /**
   * The sequential specification, with the relaxations a cache load is allowed. Lincheck accepts a
   * concurrent history if its operations can be put in an order consistent with real time (an
   * operation that returned before another began comes first) in which this class gives every
   * result.
   *
   * <p>The state is the value each key was last {@code set} to, if it was not deleted since. The
   * value a loader returns is a <em>fill</em>, not a write:
   *
   * <ul>
   *   <li>A {@code get} returns the key's current value, or, when there is none, the loaded value
   *       ({@link #LOADED}). With the order, this says: a {@code get} that misses returns the
   *       loaded value or the value of a {@code set} that overlaps it (the {@code get} is then
   *       ordered after that set, as a hit); a {@code get} that begins after a {@code set}
   *       returned never returns the loaded value unless a later write removed the set's value.
   *   <li>A fill never replaces a value: once a {@code set} has returned, no load (started before
   *       it or not) may overwrite its value. A cache where one does (issue 9, defect 1) has a
   *       history no order explains: {@code set(1, 1) || get(1)}, then {@code get(1)} returning
   *       {@code "loaded"}.
   *   <li>A fill may or may not be cached. A write that overlaps a load overtakes it: the load
   *       still answers its callers with the loaded value but never reaches the cache, even when
   *       the write is a {@code delete} that the load's miss came after (the model checker found
   *       {@code set(1, 2)}, then {@code delete(1) || get(1): "loaded"}, then {@code
   *       getIfPresent(1): null}). A sequential specification has no overlap, so it cannot say
   *       when a fill must stick; the state therefore holds no fills, and the observations that
   *       would tell a fill from an absent key are left out: {@link #getIfPresent} answers {@code
   *       null} for both (the test maps {@code "loaded"} to {@code null}), and {@code delete}'s
   *       result is not checked (it says whether the map held an entry, which may be a fill).
   *       That fills are cached and single-flight is checked by {@code SingleFlightTest}.
   * </ul>
   */
  public static final class Spec {
    private final Map<Integer, String> written = new HashMap<>();

    public String get(int key) {
      return written.getOrDefault(key, LOADED);
    }

    public void set(int key, int value) {
      written.put(key, "v" + value);
    }

    public void delete(int key) {
      written.remove(key);
    }

    public @Nullable String getIfPresent(int key) {
      return written.get(key);
    }
  }

  /**
   * Issue 9's defect 1, as Lincheck reported it before the fix: a {@code set} racing a miss of the
   * same key, then a read. Checked on every run, whatever the random scenarios are.
   */
  private static ExecutionScenario setRacingAMiss() {
    KFunction<?> get = operation("get", int.class);
    KFunction<?> set = operation("set", int.class, int.class);
    DSLScenarioBuilder b = new DSLScenarioBuilder();
    b.parallel(
        p -> {
          p.thread(t -> { t.actor(set, 1, 1); return kotlin.Unit.INSTANCE; });
          p.thread(t -> { t.actor(get, 1); return kotlin.Unit.INSTANCE; });
          return kotlin.Unit.INSTANCE;
        });
    b.post(t -> { t.actor(get, 1); return kotlin.Unit.INSTANCE; });
    return b.buildScenario();
  }

  private static KFunction<?> operation(String name, Class<?>... params) {
    try {
      return ReflectJvmMapping.getKotlinFunction(
          SingleKeyLincheckTest.class.getMethod(name, params));
    } catch (NoSuchMethodException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void modelChecking() {
    new ModelCheckingOptions()
        .iterations(10)
        .invocationsPerIteration(100)
        .threads(2)
        .actorsPerThread(2)
        .actorsBefore(1)
        .actorsAfter(1)
        .sequentialSpecification(Spec.class)
        .addCustomScenario(setRacingAMiss())
        .check(getClass());
  }

  @Test
  void stress() {
    new StressOptions()
        .iterations(10)
        .invocationsPerIteration(1_000)
        .threads(2)
        .actorsPerThread(2)
        .actorsBefore(1)
        .actorsAfter(1)
        .sequentialSpecification(Spec.class)
        .check(getClass());
  }
}
