package dev.asynccache.perf;

import dev.asynccache.AsyncCache;
import dev.asynccache.persistence.Codecs;
import dev.asynccache.redis.RedisCache;
import dev.asynccache.redis.RedisCacheBuilder;
import dev.asynccache.redis.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The two-level cache of {@code distributed-redis} beside its peers, in one run, against a real
 * {@code redis-server} the benchmark starts on a free loopback port and stops:
 *
 * <ul>
 *   <li>{@link #l1HitCore} / {@link #l1HitTwoLevel}: a hit of the core's {@code AsyncCache} and of
 *       a {@code RedisCache} whose L1 holds the key (no network), ns/op; {@link #l1HitCoreTtl} /
 *       {@link #l1HitTwoLevelTtl}: the same with a 5 min TTL (in Redis, shorter than the L1's
 *       {@code maxStaleness}, so each two-level hit checks the Redis deadline).
 *   <li>{@link #l2HitTwoLevel} / {@link #rawLettuceGet}: a read that L1 lacks and Redis holds
 *       (L1 of one entry, 1,024 keys in turn; one {@code GET}, the TTL read from the stored value's
 *       header) and a raw Lettuce {@code GET} of the same Redis key (the stored bytes, header
 *       included), sampled (p50, p99).
 *   <li>{@link #setOnly} / {@link #setUntilOtherJvmDrops}: cache A's {@code set}, and A's {@code
 *       set} plus the wait until cache B (its own connections and subscription, as another JVM)
 *       has dropped its L1 copy; the delay alone (from the set's return to B's drop) is printed
 *       after each iteration as p50 / p99.
 *   <li>{@link #fleetHerd}: 4 caches (own connections each) x 250 virtual threads get one cold key
 *       whose loader takes 10 ms; the time until all 1,000 callers have the value.
 * </ul>
 *
 * <p>{@code java -jar perf/target/benchmarks.jar RedisTierBenchmark -f 2 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@Threads(1)
public class RedisTierBenchmark {
  static final int KEYS = 1024;

  RedisServer redis;
  AsyncCache<String, String> core;
  AsyncCache<String, String> coreTtl;
  RedisCache<String, String> twoLevel;
  RedisCache<String, String> twoLevelTtl;
  RedisCache<String, String> l1Tiny;
  RedisCache<String, String> writer;
  RedisCache<String, String> reader;
  List<RedisCache<String, String>> fleet;
  RedisClient rawClient;
  StatefulRedisConnection<byte[], byte[]> rawConnection;
  RedisCommands<byte[], byte[]> raw;
  ExecutorService threads;
  String[] keys;
  byte[][] rawKeys;
  int next;
  final AtomicLong herdRound = new AtomicLong();

  private RedisCacheBuilder<String, String> builder(String namespace) {
    return RedisCache.builder(Codecs.string(), Codecs.string())
        .redisUri(redis.uri())
        .namespace(namespace)
        .redisTimeout(Duration.ofSeconds(10));
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    redis = RedisServer.start();
    keys = new String[KEYS];
    rawKeys = new byte[KEYS][];
    for (int i = 0; i < KEYS; i++) {
      keys[i] = "key-" + i;
      rawKeys[i] = ("bench:{key-" + i + "}").getBytes(StandardCharsets.UTF_8);
    }
    core = AsyncCache.builder().maxSize(10_000).build();
    twoLevel = builder("bench").l1MaxSize(10_000).build();
    coreTtl = AsyncCache.builder().maxSize(10_000).defaultTtl(Duration.ofMinutes(5)).build();
    // Redis TTL 5 min, shorter than maxStaleness: every L1 entry checks its Redis deadline on a hit.
    twoLevelTtl =
        builder("bench-ttl")
            .l1MaxSize(10_000)
            .defaultTtl(Duration.ofMinutes(5))
            .maxStaleness(Duration.ofMinutes(10))
            .build();
    l1Tiny = builder("bench").l1MaxSize(1).build();
    writer = builder("inval").build();
    reader = builder("inval").build();
    fleet = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fleet.add(builder("herd").build());
    }
    for (String k : keys) {
      core.set(k, "value-" + k);
      twoLevel.get(k, () -> "value-" + k); // into Redis and twoLevel's L1
      coreTtl.set(k, "value-" + k);
      twoLevelTtl.get(k, () -> "value-" + k);
      writer.set(k, "v");
    }
    rawClient = RedisClient.create(redis.uri());
    rawConnection = rawClient.connect(ByteArrayCodec.INSTANCE);
    raw = rawConnection.sync();
    threads = Executors.newVirtualThreadPerTaskExecutor();
    // A hit allocates nothing, so without this no collection would run between the fill and the
    // measurement, and every entry would be measured where the fill left it: the two-level
    // cache's entries, filled through Redis round trips, lie scattered among the fill's garbage
    // (one extra page and cache line per hit), the core's side by side. A service that has run
    // for a while has had its entries copied together by the collector; so, for both, here too
    // (what JMH's -gc true does before each iteration).
    System.gc();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    threads.close();
    rawConnection.close();
    rawClient.shutdown();
    for (RedisCache<String, String> c : fleet) {
      c.close();
    }
    reader.close();
    writer.close();
    l1Tiny.close();
    twoLevelTtl.close();
    twoLevel.close();
    coreTtl.close();
    core.close();
    redis.close();
  }

  private int nextIndex() {
    int i = next;
    next = (i + 1) & (KEYS - 1);
    return i;
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public String l1HitCore() {
    return core.get(keys[nextIndex()], () -> "missed");
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public String l1HitTwoLevel() {
    return twoLevel.get(keys[nextIndex()], () -> "missed");
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public String l1HitCoreTtl() {
    return coreTtl.get(keys[nextIndex()], () -> "missed");
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public String l1HitTwoLevelTtl() {
    return twoLevelTtl.get(keys[nextIndex()], () -> "missed");
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public String l2HitTwoLevel() {
    return l1Tiny.get(keys[nextIndex()], () -> "missed");
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public byte[] rawLettuceGet() {
    return raw.get(rawKeys[nextIndex()]);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public void setOnly() {
    writer.set(keys[nextIndex()], "v");
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public long setUntilOtherJvmDrops() {
    long before = reader.tierMetrics().invalidationsReceived();
    writer.set(keys[nextIndex()], "v");
    long setReturned = System.nanoTime();
    long now;
    while ((now = reader.tierMetrics().invalidationsReceived()) == before) {
      Thread.onSpinWait();
    }
    // B's counter moves after its L1 dropped the key: this is the invalidation delay itself.
    recordDelay(System.nanoTime() - setReturned);
    return now;
  }

  /** Invalidation delays (A's set returned until B's L1 dropped the key) of the measured ops. */
  long[] delays = new long[1 << 20];
  int delayCount;

  private void recordDelay(long nanos) {
    if (delayCount < delays.length) {
      delays[delayCount++] = nanos;
    }
  }

  /**
   * Prints the invalidation delay's percentiles over the iteration (JMH's sample of the op
   * includes A's own round trip; this is the delay alone).
   */
  @TearDown(Level.Iteration)
  public void reportDelays() {
    if (delayCount == 0) {
      return;
    }
    long[] sorted = java.util.Arrays.copyOf(delays, delayCount);
    java.util.Arrays.sort(sorted);
    System.out.printf(
        "%ninvalidation delay, A's set returned -> B's L1 dropped: n=%d p50=%.1f us p99=%.1f us"
            + " max=%.1f us%n",
        sorted.length,
        sorted[sorted.length / 2] / 1e3,
        sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] / 1e3,
        sorted[sorted.length - 1] / 1e3);
    delayCount = 0;
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  public int fleetHerd() throws Exception {
    String key = "cold-" + herdRound.incrementAndGet() + "-" + System.nanoTime();
    CountDownLatch go = new CountDownLatch(1);
    List<Future<String>> results = new ArrayList<>(1000);
    for (int i = 0; i < 1000; i++) {
      RedisCache<String, String> cache = fleet.get(i & 3);
      results.add(
          threads.submit(
              () -> {
                go.await();
                return cache.get(
                    key,
                    () -> {
                      Thread.sleep(10);
                      return "v";
                    });
              }));
    }
    go.countDown();
    int n = 0;
    for (Future<String> r : results) {
      n += r.get().length();
    }
    return n;
  }
}
