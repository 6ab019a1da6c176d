package dev.asynccache.redis;

import dev.asynccache.persistence.Codecs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One JVM of a forked fleet ({@link ForkedFleetTest}): a {@link RedisCache} and a line protocol on
 * stdin/stdout. {@code round KEY LOAD_MS}: 250 virtual threads get KEY at once through a loader
 * that prints {@code loading KEY}, sleeps LOAD_MS and returns {@code value-KEY}; then it prints
 * {@code done KEY loads=N ok=M errors=E}. {@code quit} closes the cache and exits.
 */
public final class FleetMember {
  /** The members' lease time: short, the watchdog keeps a slower loader's lease alive. */
  static final long LEASE_MS = 1000;

  private FleetMember() {}

  public static void main(String[] args) throws Exception {
    String uri = args[0];
    String namespace = args[1];
    int threads = Integer.parseInt(args[2]);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (RedisCache<String, String> cache =
            RedisCache.builder(Codecs.string(), Codecs.string())
                .redisUri(uri)
                .namespace(namespace)
                .redisTimeout(Duration.ofSeconds(10))
                .leaseTime(Duration.ofMillis(LEASE_MS))
                .leaseRecheck(Duration.ofMillis(100))
                .build();
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        BufferedReader in =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      out.println("ready");
      String line;
      while ((line = in.readLine()) != null) {
        String[] cmd = line.split(" ");
        if (cmd[0].equals("quit")) {
          break;
        }
        String key = cmd[1];
        long loadMs = Long.parseLong(cmd[2]);
        AtomicInteger loads = new AtomicInteger();
        AtomicBoolean announced = new AtomicBoolean();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          results.add(
              pool.submit(
                  () -> {
                    go.await();
                    return cache.get(
                        key,
                        () -> {
                          loads.incrementAndGet();
                          if (announced.compareAndSet(false, true)) {
                            out.println("loading " + key);
                          }
                          Thread.sleep(loadMs);
                          return "value-" + key;
                        });
                  }));
        }
        go.countDown();
        int ok = 0;
        int errors = 0;
        for (Future<String> r : results) {
          try {
            if (("value-" + key).equals(r.get())) {
              ok++;
            }
          } catch (Exception e) {
            errors++;
            e.printStackTrace();
          }
        }
        out.println("done " + key + " loads=" + loads.get() + " ok=" + ok + " errors=" + errors);
      }
    }
  }
}
