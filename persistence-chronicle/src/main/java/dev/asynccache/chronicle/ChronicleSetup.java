package dev.asynccache.chronicle;

/**
 * What must happen before the first Chronicle class loads: Chronicle's usage analytics are turned
 * off unless the user chose otherwise with the system property {@value #ANALYTICS_PROPERTY}.
 */
final class ChronicleSetup {
  static final String ANALYTICS_PROPERTY = "chronicle.analytics.disable";

  static {
    if (System.getProperty(ANALYTICS_PROPERTY) == null) {
      System.setProperty(ANALYTICS_PROPERTY, "true");
    }
  }

  private ChronicleSetup() {}

  /** Runs the static initializer (idempotent, cheap). */
  static void ensure() {
    // the work is done once, by the class initializer
  }
}
