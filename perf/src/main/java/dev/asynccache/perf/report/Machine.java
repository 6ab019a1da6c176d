package dev.asynccache.perf.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What the report says about the machine: read where the report is generated, which the suite's
 * command does right after the run, on the same machine. Linux files are read when present; other
 * systems get what the JVM knows.
 *
 * @param cpu the CPU model
 * @param logicalCpus the processors the JVM sees
 * @param virtual whether the CPU flags say a hypervisor runs it
 * @param memory the total memory, as {@code /proc/meminfo} gives it, or empty
 * @param os the operating system, version and architecture
 * @param loadAverage {@code /proc/loadavg}'s three load averages, or empty
 */
public record Machine(
    String cpu, int logicalCpus, boolean virtual, String memory, String os, String loadAverage) {

  /** Describes this machine. */
  public static Machine current() {
    List<String> cpuinfo = lines(Path.of("/proc/cpuinfo"));
    String cpu =
        cpuinfo.stream()
            .filter(l -> l.startsWith("model name"))
            .map(l -> l.substring(l.indexOf(':') + 1).trim())
            .findFirst()
            .orElse(System.getProperty("os.arch", "unknown CPU"));
    boolean virtual =
        cpuinfo.stream().anyMatch(l -> l.startsWith("flags") && l.contains(" hypervisor"));
    String memory =
        lines(Path.of("/proc/meminfo")).stream()
            .filter(l -> l.startsWith("MemTotal:"))
            .map(l -> kibToGib(l.substring("MemTotal:".length()).trim()))
            .findFirst()
            .orElse("");
    List<String> load = lines(Path.of("/proc/loadavg"));
    String[] loadFields = load.isEmpty() ? new String[0] : load.get(0).trim().split("\\s+");
    String loadAverage =
        loadFields.length < 3 ? "" : loadFields[0] + " " + loadFields[1] + " " + loadFields[2];
    String os =
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
            + System.getProperty("os.arch");
    return new Machine(
        cpu, Runtime.getRuntime().availableProcessors(), virtual, memory, os, loadAverage);
  }

  /** One line for the report. */
  public String describe() {
    StringBuilder s = new StringBuilder();
    s.append(cpu).append(", ").append(logicalCpus).append(" logical CPUs");
    if (virtual) {
      s.append(" (virtual machine)");
    }
    if (!memory.isEmpty()) {
      s.append(", ").append(memory).append(" RAM");
    }
    s.append(", ").append(os);
    return s.toString();
  }

  private static String kibToGib(String value) {
    String[] parts = value.split("\\s+");
    try {
      return String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(parts[0]) / (1024.0 * 1024.0));
    } catch (NumberFormatException e) {
      return value;
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
