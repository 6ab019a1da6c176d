package dev.asynccache.perf.report;

import java.util.List;

/**
 * One metric of one JMH result: the score, its error (half-width of JMH's 99.9% confidence
 * interval, {@code NaN} when there were too few iterations), its unit, the median, and every
 * measured iteration.
 *
 * @param score the mean over iterations (for a secondary {@code EVENTS} counter: the sum)
 * @param error the half-width of the confidence interval, or {@code NaN}
 * @param unit JMH's unit text, such as {@code ns/op}
 * @param median the 50th percentile of the iterations
 * @param raw every iteration's value, forks one after the other
 */
public record Metric(double score, double error, String unit, double median, List<Double> raw) {

  /** The mean of the iterations (for an {@code EVENTS} counter, the count per repetition). */
  public double perIteration() {
    return raw.isEmpty() ? score : raw.stream().mapToDouble(Double::doubleValue).average().orElse(0);
  }

  /** The smallest iteration value. */
  public double min() {
    return raw.stream().mapToDouble(Double::doubleValue).min().orElse(score);
  }

  /** The largest iteration value. */
  public double max() {
    return raw.stream().mapToDouble(Double::doubleValue).max().orElse(score);
  }

  /** Whether the error bar is known. */
  public boolean hasError() {
    return Double.isFinite(error);
  }
}
