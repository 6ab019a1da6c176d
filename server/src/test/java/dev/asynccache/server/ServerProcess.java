package dev.asynccache.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's real {@code main} in a child JVM, started as an operator would: either run to its
 * exit ({@link #run}), or started and left serving ({@link Child#start}). Shared by the tests that
 * need a real process; every wait is bounded (liveness only), a process that overruns is killed.
 */
final class ServerProcess {
  private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+?) ");

  /**
   * Blocking readers get threads of their own: on 2 cores the common pool has one worker, and a
   * task blocked there (a slow body) starved the next one (the stop), so a test timed out.
   */
  private static final Executor THREADS = r -> Thread.ofPlatform().daemon().start(r);

  private ServerProcess() {}

  /** The command line of a child JVM running {@link CacheServer}: {@code java jvmFlags -cp ... main args}. */
  private static List<String> command(List<String> jvmFlags, String maxHeap, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of("-Xmx" + maxHeap, "-cp", System.getProperty("java.class.path"), CacheServer.class.getName()));
    cmd.addAll(args);
    return cmd;
  }

  /** A finished server process: its exit status and what it wrote to stdout and stderr. */
  record Run(int status, String stdout, String stderr) {}

  /** Runs the server with {@code args} until it exits (at most 60 s, killed otherwise). */
  static Run run(String... args) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command(List.of(), "128m", List.of(args))).start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()), THREADS);
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()), THREADS);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the server did not exit");
    }
    return new Run(
        p.exitValue(),
        new String(out.join(), StandardCharsets.UTF_8),
        new String(err.join(), StandardCharsets.UTF_8));
  }

  private static byte[] readAll(InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /** A server process listening on a free port; its stdout and stderr go to files. */
  record Child(Process process, URI base, Path stdout, Path stderr) {
    /**
     * Starts {@code main} with {@code --port 0} and {@code args}, in {@code dir} files named after
     * {@code name}, and waits until it listens (at most 120 s).
     *
     * @param env variables added to this JVM's environment
     * @throws AssertionError if the process exits or does not listen in time (with its output)
     */
    static Child start(Path dir, String name, List<String> jvmFlags, Map<String, String> env, String... args)
        throws IOException, InterruptedException {
      List<String> serverArgs = new ArrayList<>(List.of("--port", "0"));
      serverArgs.addAll(List.of(args));
      Path out = dir.resolve(name + ".out");
      Path err = dir.resolve(name + ".err");
      ProcessBuilder pb = new ProcessBuilder(command(jvmFlags, "256m", serverArgs))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (System.nanoTime() < deadline && p.isAlive()) {
        Matcher m = LISTENING.matcher(Files.readString(out));
        if (m.find()) {
          return new Child(p, URI.create(m.group(1)), out, err);
        }
        Thread.sleep(20);
      }
      String why = p.isAlive() ? "not listening after 120 s" : "exit status " + p.exitValue();
      p.destroyForcibly();
      throw new AssertionError("the server did not start (" + why + "): stdout " + Files.readString(out)
          + ", stderr " + Files.readString(err));
    }

    /** SIGTERM (the graceful stop), then at most 60 s before it is killed. */
    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }

    /** Both outputs so far, for assertion messages. */
    String output() throws IOException {
      return "stdout:\n" + Files.readString(stdout) + "\nstderr:\n" + Files.readString(stderr);
    }
  }
}
