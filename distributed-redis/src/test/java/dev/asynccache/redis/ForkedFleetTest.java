package dev.asynccache.redis;

import dev.asynccache.redis.testing.RedisServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real fleet: 4 forked JVMs ({@link FleetMember}), 250 virtual threads each, on one Redis. The
 * loader counts come back over the children's stdout; nothing is shared in memory.
 */
@Timeout(120)
class ForkedFleetTest {
  private static final int JVMS = 4;
  private static final int THREADS = 250;
  /** One redis-server for the class, stopped after its last test. */
  @AutoClose private static final RedisServer redis = RedisServer.start();

  /** A forked JVM and its stdout lines. */
  private static final class Member implements AutoCloseable {
    final Process process;
    final Writer stdin;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Member(String namespace) throws IOException {
      Path err = Files.createTempFile("fleet-member-", ".err");
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElseThrow());
      cmd.addAll(List.of("-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
          System.getProperty("java.class.path"), FleetMember.class.getName(), redis.uri(),
          namespace, Integer.toString(THREADS)));
      process = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
      stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      Thread.ofPlatform().daemon().start(() -> {
        try (BufferedReader r = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            lines.add(line);
          }
        } catch (IOException ignored) {
          // the child died
        }
      });
    }

    void send(String line) throws IOException {
      stdin.write(line + "\n");
      stdin.flush();
    }

    /** The next line starting with {@code prefix} (others are skipped), within 60 s. */
    String expect(String prefix) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new AssertionError("no '" + prefix + "' line from a fleet member in 60 s");
        }
        if (line.startsWith(prefix)) {
          return line;
        }
      }
    }

    static int field(String line, String name) {
      for (String part : line.split(" ")) {
        if (part.startsWith(name + "=")) {
          return Integer.parseInt(part.substring(name.length() + 1));
        }
      }
      throw new AssertionError("no " + name + " in " + line);
    }

    @Override
    public void close() {
      try {
        send("quit");
      } catch (IOException ignored) {
        // already dead
      }
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  private static List<Member> fleet(String namespace) throws Exception {
    List<Member> members = new ArrayList<>();
    for (int i = 0; i < JVMS; i++) {
      members.add(new Member(namespace));
    }
    for (Member m : members) {
      m.expect("ready");
    }
    return members;
  }

  @Test
  void fourJvmsTimes250ThreadsOnOneColdKeyLoadOnceInTheFleetRepeated50Times() throws Exception {
    List<Member> members = fleet("forked-herd");
    try {
      int rounds = 50;
      for (int round = 0; round < rounds; round++) {
        String key = "cold-" + round;
        for (Member m : members) {
          m.send("round " + key + " 50"); // a 50 ms loader: the four JVMs' callers overlap
        }
        int loads = 0;
        for (Member m : members) {
          String done = m.expect("done " + key + " ");
          loads += Member.field(done, "loads");
          assertEquals(THREADS, Member.field(done, "ok"), done);
          assertEquals(0, Member.field(done, "errors"), done);
        }
        assertEquals(1, loads, "loader calls in the fleet, round " + round);
      }
      // Loaders 2.5 times slower than the lease: the holder's watchdog keeps it.
      for (int round = 0; round < 2; round++) {
        String key = "slow-" + round;
        for (Member m : members) {
          m.send("round " + key + " " + 5 * FleetMember.LEASE_MS / 2);
        }
        int loads = 0;
        for (Member m : members) {
          String done = m.expect("done " + key + " ");
          loads += Member.field(done, "loads");
          assertEquals(THREADS, Member.field(done, "ok"), done);
        }
        assertEquals(1, loads, "loader calls in the fleet, slow round " + round);
      }
    } finally {
      members.forEach(Member::close);
    }
  }

  @Test
  void theLeaseHolderKilledMidLoadCostsAtMostOneMoreLoad() throws Exception {
    List<Member> members = fleet("forked-kill");
    try {
      String key = "doomed";
      for (Member m : members) {
        // Longer than the lease (the watchdog keeps it): killed in the middle.
        m.send("round " + key + " " + 2 * FleetMember.LEASE_MS);
      }
      // Whoever announces the load first holds the lease: kill -9 it.
      Member holder = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (holder == null) {
        assertTrue(System.nanoTime() < deadline, "no member started loading");
        for (Member m : members) {
          if (m.lines.stream().anyMatch(l -> l.equals("loading " + key))) {
            holder = m;
            break;
          }
        }
        Thread.sleep(1);
      }
      holder.process.destroyForcibly(); // SIGKILL on Linux: no finally block runs, the lease stays
      holder.process.waitFor(10, TimeUnit.SECONDS);
      long killedAt = System.nanoTime();
      // The dead holder's lease is no longer renewed: a survivor takes over within about one
      // lease time (1 s; the bound is generous for a loaded machine).
      Member taker = null;
      while (taker == null) {
        assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(60), "no takeover");
        for (Member m : members) {
          if (m != holder && m.lines.stream().anyMatch(l -> l.equals("loading " + key))) {
            taker = m;
            break;
          }
        }
        Thread.sleep(1);
      }
      long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      System.out.println("takeover after the holder's SIGKILL: " + takeoverMs + " ms");
      assertTrue(takeoverMs < 10 * FleetMember.LEASE_MS, "takeover took " + takeoverMs + " ms");
      int loads = 0;
      for (Member m : members) {
        if (m == holder) {
          continue;
        }
        String done = m.expect("done " + key + " ");
        loads += Member.field(done, "loads");
        assertEquals(THREADS, Member.field(done, "ok"), done);
        assertEquals(0, Member.field(done, "errors"), done);
      }
      // The survivors waited for the dead holder's lease to run out and one of them took over.
      assertEquals(1, loads, "loads by the survivors after the holder died");
    } finally {
      members.forEach(Member::close);
    }
  }
}
