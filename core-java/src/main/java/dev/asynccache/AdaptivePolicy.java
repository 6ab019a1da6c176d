package dev.asynccache;

import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The default policy: Window TinyLFU with an adaptive window.
 *
 * <p>New entries enter a small LRU <em>window</em>. An entry pushed out of the window becomes a
 * <em>candidate</em> for the main space, an LRU split into <em>probation</em> and
 * <em>protected</em> (a segmented LRU: a hit in probation promotes to protected, protected's
 * overflow falls back to probation). When the cache is full, the candidate and probation's least
 * recently used entry (the victim) are compared by their recent frequency in a {@link
 * FrequencySketch}: the more frequent stays. So a scan or a burst of one-off keys passes through
 * the window without displacing what is read often (scan resistance), while a new key that is
 * really popular wins its place.
 *
 * <p>No one split between window and main suits every workload: recency-skewed traffic wants a
 * large window (LRU), frequency-skewed traffic a small one. A hill climber samples the hit rate
 * over periods of a few times the capacity and moves capacity between window and protected in
 * the direction that last improved it, with a step that shrinks as it converges and restarts when
 * the hit rate jumps (the workload changed).
 *
 * <p>References: Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission
 * Policy", ACM TOS 2017; Einziger et al., "Adaptive Software Cache Management", Middleware 2018.
 * Not thread-safe: guarded by the store's lock.
 */
final class AdaptivePolicy<K, V> extends Policy<K, V> {
  static final byte WINDOW = 1;
  static final byte PROBATION = 2;
  static final byte PROTECTED = 3;

  /** The initial share of the window. */
  private static final double INITIAL_WINDOW_SHARE = 0.01;
  /** The protected share of the main space. */
  private static final double PROTECTED_SHARE = 0.80;

  // The simulations (unweighted caches).
  /** The window shares simulated; the real window takes the best one's. */
  private static final double[] SIMULATED_SHARES = {0.01, 0.05, 0.15, 0.35, 0.60, 0.95};
  /** The largest simulated capacity: beyond it, keys are sampled by hash. */
  private static final int SIMULATION_TARGET = 256;
  /** Sampled requests between two decisions, in units of the simulated capacity. */
  private static final int DECISION_PERIOD_FACTOR = 4;
  /** How much of the past hits weigh at each decision (the rest is forgotten). */
  private static final double HIT_DECAY = 0.8;
  /** How much better (relatively) another share must do before the window moves to it. */
  private static final double HYSTERESIS = 0.01;

  // The hill climber (weighted caches, whose entries the simulations cannot size).
  /** The sample period of the climber, in units of the maximum. */
  private static final int CLIMB_SAMPLE_FACTOR = 10;
  /** The climber's step (and restart step), as a share of the maximum. */
  private static final double STEP_SHARE = 0.0625;
  /** How much the step decays after each sample that does not restart it. */
  private static final double STEP_DECAY = 0.98;
  /** A change of hit rate at least this large restarts the step (the workload changed). */
  private static final double RESTART_THRESHOLD = 0.05;

  private final AccessOrder<K, V> window = new AccessOrder<>(WINDOW);
  private final AccessOrder<K, V> probation = new AccessOrder<>(PROBATION);
  private final AccessOrder<K, V> protectedQ = new AccessOrder<>(PROTECTED);
  private final FrequencySketch sketch = new FrequencySketch();
  private final boolean weighted;
  /** The simulations, created when the cache is first full; null for a weighted cache. */
  private ShadowCache @Nullable [] shadowCaches;
  private int sampleBits;
  private long sampledRequests;
  private long decisionPeriod;
  private int currentShadow = -1;
  private boolean warm;

  private long windowMax;
  private long protectedMax;
  private long entries;

  /** The first node moved from the window to probation by the current eviction round. */
  private @Nullable Node<K, V> candidate;

  // The hill climber.
  private long hitsInSample;
  private long missesInSample;
  private double previousHitRate;
  private double step;

  /** A cheap generator for the rare random admission (no shared state: under the lock). */
  private int seed = 0x2545F491;

  long r00, r01, r02, r03, r04, r05, r06, r07;

  AdaptivePolicy(long maximum, boolean weighted) {
    super(maximum);
    this.weighted = weighted;
    this.windowMax = Math.max(1, (long) (maximum * INITIAL_WINDOW_SHARE));
    this.protectedMax = (long) ((maximum - windowMax) * PROTECTED_SHARE);
    this.step = -STEP_SHARE * maximum;
  }

  @Override
  void recordAccess(Node<K, V> node) {
    byte queue = node.queue;
    if (queue == Node.NONE) {
      return; // removed since the read
    }
    hitsInSample++;
    if (queue == WINDOW) {
      window.moveToMostRecent(node);
    } else if (queue == PROBATION) {
      if (node == candidate) {
        candidate = node.next;
      }
      probation.remove(node);
      protectedQ.addMostRecent(node);
      demoteProtectedOverflow();
    } else {
      protectedQ.moveToMostRecent(node);
    }
    request(node.key.hashCode()); // last: it may resize the window
    if (shadowCaches == null) {
      climb();
    }
  }

  @Override
  void add(Node<K, V> node) {
    entries++;
    candidate = null;
    if (weightedSize() + node.weight() >= maximum >>> 1) {
      sketch.ensureCapacity(weighted ? entries : maximum);
    }
    missesInSample++;
    window.addMostRecent(node);
    request(node.key.hashCode());
    if (shadowCaches == null) {
      climb();
    }
  }

  @Override
  void replace(Node<K, V> old, Node<K, V> replacement) {
    candidate = null;
    byte queue = old.queue;
    remove(old);
    entries++;
    if (queue == PROTECTED) {
      protectedQ.addMostRecent(replacement);
      demoteProtectedOverflow();
    } else if (queue == PROBATION) {
      probation.addMostRecent(replacement);
    } else {
      window.addMostRecent(replacement);
    }
    request(replacement.key.hashCode());
  }

  @Override
  void remove(Node<K, V> node) {
    switch (node.queue) {
      case WINDOW -> window.remove(node);
      case PROBATION -> {
        if (node == candidate) {
          candidate = node.next;
        }
        probation.remove(node);
      }
      case PROTECTED -> protectedQ.remove(node);
      default -> {
        return;
      }
    }
    entries--;
  }

  @Override
  @Nullable Node<K, V> selectVictim() {
    // The window's overflow moves to probation: the candidates of this round.
    while (window.weight() > windowMax) {
      Node<K, V> n = window.leastRecent();
      window.remove(n);
      probation.addMostRecent(n);
      if (candidate == null) {
        candidate = n;
      }
    }
    Node<K, V> victim = probation.leastRecent();
    Node<K, V> c = candidate;
    if (c == null) {
      // Nothing new to admit (the window still has room): the main space gives up its LRU.
      if (victim != null) {
        return victim;
      }
      victim = protectedQ.leastRecent();
      return victim != null ? victim : window.leastRecent();
    }
    if (victim == c) {
      // Probation holds only candidates: compare with protected's LRU instead.
      victim = protectedQ.leastRecent();
      if (victim == null) {
        candidate = c.next;
        return c;
      }
    }
    if (admit(c, victim)) {
      return victim;
    }
    candidate = c.next;
    return c;
  }

  /** Whether {@code candidate} should take the place of {@code victim}. */
  private boolean admit(Node<K, V> candidate, Node<K, V> victim) {
    int candidateFreq = sketch.frequency(candidate.key.hashCode());
    int victimFreq = sketch.frequency(victim.key.hashCode());
    if (candidateFreq > victimFreq) {
      return true;
    }
    if (candidateFreq <= 5) {
      return false;
    }
    // Both are warm: admit now and then at random, so that an attacker who makes keys collide
    // with a hot victim in the sketch cannot keep every new key out.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed & 127) == 0;
  }

  @Override
  long weightedSize() {
    return window.weight() + probation.weight() + protectedQ.weight();
  }

  @Override
  void forEachHottestFirst(Consumer<Node<K, V>> action) {
    for (Node<K, V> n = protectedQ.mostRecent(); n != null; n = n.prev) {
      action.accept(n);
    }
    for (Node<K, V> n = window.mostRecent(); n != null; n = n.prev) {
      action.accept(n);
    }
    for (Node<K, V> n = probation.mostRecent(); n != null; n = n.prev) {
      action.accept(n);
    }
  }

  @Override
  void clear() {
    window.clear();
    probation.clear();
    protectedQ.clear();
    entries = 0;
    candidate = null;
  }

  /** Current window bound, for tests and the replay report. */
  long windowMaximum() {
    return windowMax;
  }

  /** Counts a request in the sketch and replays it in the shadows if its key is sampled. */
  private void request(int hashCode) {
    int h = FrequencySketch.spread(hashCode);
    sketch.incrementSpread(h);
    ShadowCache[] shadows = shadowCaches;
    if (shadows == null) {
      // Until the cache first overflows, nothing is evicted and the window's share does not
      // matter: a cache that never evicts never pays for the simulations (about 33 KB).
      if (weighted || weightedSize() <= maximum) {
        return;
      }
      shadows = createShadows();
    }
    // Sampled: the top bits of another mix of the hash are zero (the sketch uses the low bits,
    // so the sampled keys still spread over the whole sketch).
    if (sampleBits > 0 && ((h * 0x9E3779B9) >>> (32 - sampleBits)) != 0) {
      return;
    }
    for (ShadowCache shadow : shadows) {
      shadow.access(h, hashCode, sketch);
    }
    if (++sampledRequests >= decisionPeriod) {
      sampledRequests = 0;
      if (warm) {
        decide(shadows);
      } else {
        // The simulations started empty: judge them only once they have had time to fill.
        warm = true;
        for (ShadowCache shadow : shadows) {
          shadow.hits = 0;
        }
      }
    }
  }

  private ShadowCache[] createShadows() {
    long capacity = maximum;
    int bits = 0;
    while (capacity > SIMULATION_TARGET * 2L && bits < 31) {
      capacity >>>= 1;
      bits++;
    }
    sampleBits = bits;
    decisionPeriod = capacity * DECISION_PERIOD_FACTOR;
    ShadowCache[] shadows = new ShadowCache[SIMULATED_SHARES.length];
    double share = (double) windowMax / maximum;
    for (int i = 0; i < shadows.length; i++) {
      shadows[i] = new ShadowCache((int) capacity, SIMULATED_SHARES[i], PROTECTED_SHARE);
      if (currentShadow < 0
          || Math.abs(SIMULATED_SHARES[i] - share)
              < Math.abs(SIMULATED_SHARES[currentShadow] - share)) {
        currentShadow = i;
      }
    }
    shadowCaches = shadows;
    return shadows;
  }

  /** Moves the window to the share of the simulation that hit most lately. */
  private void decide(ShadowCache[] shadows) {
    int best = 0;
    for (int i = 1; i < shadows.length; i++) {
      if (shadows[i].hits > shadows[best].hits) {
        best = i;
      }
    }
    if (currentShadow >= 0 && best != currentShadow
        && shadows[best].hits <= shadows[currentShadow].hits * (1 + HYSTERESIS)) {
      best = currentShadow;
    }
    for (ShadowCache shadow : shadows) {
      shadow.hits *= HIT_DECAY;
    }
    currentShadow = best;
    long target = Math.max(1, (long) (maximum * shadows[best].windowShare));
    resizeWindow(target - windowMax);
  }

  private void demoteProtectedOverflow() {
    while (protectedQ.weight() > protectedMax) {
      Node<K, V> n = protectedQ.leastRecent();
      protectedQ.remove(n);
      probation.addMostRecent(n);
    }
  }

  /** At the end of each sample period, moves capacity between window and protected. */
  private void climb() {
    long requests = hitsInSample + missesInSample;
    if (requests < (double) CLIMB_SAMPLE_FACTOR * maximum) {
      return;
    }
    if (!sketch.isInitialized()) {
      hitsInSample = 0;
      missesInSample = 0;
      return;
    }
    double hitRate = (double) hitsInSample / requests;
    double change = hitRate - previousHitRate;
    double amount = change >= 0 ? step : -step;
    step = Math.abs(change) >= RESTART_THRESHOLD
        ? Math.copySign(STEP_SHARE * maximum, amount)
        : STEP_DECAY * amount;
    previousHitRate = hitRate;
    hitsInSample = 0;
    missesInSample = 0;
    resizeWindow((long) amount);
  }

  private void resizeWindow(long delta) {
    if (delta > 0) {
      long d = Math.min(delta, protectedMax);
      windowMax += d;
      protectedMax -= d;
      demoteProtectedOverflow();
    } else if (delta < 0) {
      long d = Math.min(-delta, windowMax - 1);
      windowMax -= d;
      protectedMax += d;
      // The window's overflow moves to probation directly (no admission: it was admitted once).
      while (window.weight() > windowMax) {
        Node<K, V> n = window.leastRecent();
        window.remove(n);
        probation.addMostRecent(n);
      }
    }
  }
}
