/** The generator of {@code perf/RESULTS.md} from JMH's JSON output. */
@NullMarked
package dev.asynccache.perf.report;

import org.jspecify.annotations.NullMarked;
