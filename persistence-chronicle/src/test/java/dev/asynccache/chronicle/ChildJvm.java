package dev.asynccache.chronicle;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A separate JVM running {@link Children}: the same java binary, the test classpath and the
 * Chronicle flags surefire got (system property {@code asynccache.test.childJvmFlags}). Its stdout
 * lines are queued for the test; its stderr goes to a file shown when something fails.
 */
final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> seen = new ArrayList<>();
  private final Path stderr;
  /** Whether the end of the child's stdout was taken from the queue. */
  private boolean outputEnded;

  private ChildJvm(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    Thread.ofVirtual()
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  lines.add(line);
                }
              } catch (IOException ignored) {
                // the child was killed
              }
              lines.add("<eof>");
            });
  }

  /** Starts {@code Children.main(args)} with the standard flags. */
  static ChildJvm start(Path workDir, String... args) {
    return start(workDir, jvmFlags(), classPath(), Map.of(), args);
  }

  static ChildJvm start(
      Path workDir, List<String> flags, String classPath, Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElseThrow());
    cmd.addAll(flags);
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(Children.class.getName());
    cmd.addAll(Arrays.asList(args));
    try {
      Path err = Files.createTempFile(workDir, "child-", ".stderr");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
      pb.environment().putAll(env);
      return new ChildJvm(pb.start(), err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The flags surefire's JVM got for Chronicle. */
  static List<String> jvmFlags() {
    String flags = System.getProperty("asynccache.test.childJvmFlags", "").trim();
    if (flags.isEmpty()) {
      throw new IllegalStateException(
          "system property asynccache.test.childJvmFlags is not set: run the tests through Maven");
    }
    return List.of(flags.split("\\s+"));
  }

  static String classPath() {
    return System.getProperty("java.class.path");
  }

  /** Waits for the first line matching {@code p}; fails with the child's output otherwise. */
  String await(Predicate<String> p, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
      if (line != null && line.equals("<eof>")) {
        outputEnded = true;
      }
      if (line == null || line.equals("<eof>")) {
        throw new AssertionError(
            (line == null ? "timed out" : "child ended") + " waiting for a line; stdout so far: "
                + tail(seen) + "\nstderr: " + stderr());
      }
      seen.add(line);
      if (p.test(line)) {
        return line;
      }
    }
  }

  String await(String prefix) throws InterruptedException {
    return await(l -> l.startsWith(prefix), Duration.ofSeconds(90));
  }

  /**
   * Every line seen so far plus those still queued. Once the child has ended, every line it wrote:
   * its last lines may still be in the pipe when it dies, so this waits for the end of its output.
   */
  List<String> drainLines() {
    if (process.isAlive() || outputEnded) {
      List<String> rest = new ArrayList<>();
      lines.drainTo(rest);
      outputEnded |= rest.remove("<eof>");
      seen.addAll(rest);
      return List.copyOf(seen);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    try {
      while (!outputEnded) {
        String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new AssertionError("the output of the ended child did not end within 60 s");
        }
        if (line.equals("<eof>")) {
          outputEnded = true;
        } else {
          seen.add(line);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while reading the child's output", e);
    }
    return List.copyOf(seen);
  }

  /** Waits for a normal exit with status 0. */
  void awaitSuccess() throws InterruptedException {
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("child did not finish; stderr: " + stderr());
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          "child exited with " + process.exitValue() + "; stdout: " + tail(drainLines())
              + "\nstderr: " + stderr());
    }
  }

  /**
   * {@code kill -9}. Through the process handle: {@code Process.destroyForcibly()} also closes
   * our end of the child's stdout, dropping the lines still in the pipe (the last
   * acknowledgements, which the kill tests need); the handle only sends the signal.
   */
  void kill() throws InterruptedException {
    process.toHandle().destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  void closeStdin() throws IOException {
    process.getOutputStream().close();
  }

  String stderr() {
    try {
      return Files.readString(stderr);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static String tail(List<String> l) {
    return String.join("\n", l.subList(Math.max(0, l.size() - 20), l.size()));
  }

  static String classPathWithout(String... fragments) {
    List<String> kept = new ArrayList<>();
    for (String entry : classPath().split(File.pathSeparator)) {
      if (Arrays.stream(fragments).noneMatch(entry::contains)) {
        kept.add(entry);
      }
    }
    return String.join(File.pathSeparator, kept);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
