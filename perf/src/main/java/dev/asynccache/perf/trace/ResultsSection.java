package dev.asynccache.perf.trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The trace replay's section of {@code RESULTS.md}, between two HTML comments, so that the replay
 * and the JMH report can each rewrite their own part of the file without losing the other's.
 */
public final class ResultsSection {
  static final String START = "<!-- trace-replay:start -->";
  static final String END = "<!-- trace-replay:end -->";

  private ResultsSection() {}

  /** Returns {@code text} with {@code section} in place of the old section, or appended. */
  static String replace(String text, String section) {
    String block = START + "\n" + section.strip() + "\n" + END + "\n";
    int start = text.indexOf(START);
    int end = text.indexOf(END);
    if (start >= 0 && end > start) {
      return text.substring(0, start) + block + text.substring(end + END.length()).replaceFirst("^\n", "");
    }
    return text.isEmpty() || text.endsWith("\n\n") ? text + block
        : text.endsWith("\n") ? text + "\n" + block : text + "\n\n" + block;
  }

  /** Returns {@code newText} with the trace section of the file at {@code out}, if it has one. */
  public static String carryOver(Path out, String newText) throws IOException {
    if (!Files.exists(out)) {
      return newText;
    }
    String old = Files.readString(out);
    int start = old.indexOf(START);
    int end = old.indexOf(END);
    if (start < 0 || end < start) {
      return newText;
    }
    return replace(newText, old.substring(start + START.length(), end));
  }
}
