package dev.asynccache.chronicle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chronicle's analytics stay off in a plain application. Under JUnit Chronicle mutes itself (it
 * looks for JUnit classes), so the check runs in a child JVM whose classpath has no JUnit and
 * whose command line does not set {@code chronicle.analytics.disable}: only our code turns them
 * off there. Chronicle would write {@code ~/.chronicle.analytics.client.id} before reporting.
 */
class AnalyticsOffTest {
  @TempDir Path home;

  private static List<String> flagsWithoutTheProperty() {
    List<String> flags = new ArrayList<>(ChildJvm.jvmFlags());
    flags.removeIf(f -> f.startsWith("-Dchronicle.analytics.disable"));
    return flags;
  }

  @Test
  void plainApplication_writesNoAnalyticsIdAndHasThePropertySet() throws Exception {
    List<String> flags = flagsWithoutTheProperty();
    flags.add("-Duser.home=" + home);
    String cp = ChildJvm.classPathWithout("junit", "opentest4j", "apiguardian");
    Path work = Files.createDirectories(home.resolve("work"));
    String done;
    try (ChildJvm child =
        ChildJvm.start(home, flags, cp, Map.of("HOME", home.toString()), "analytics", work.toString())) {
      done = child.await("done");
      child.awaitSuccess();
    }
    assertTrue(Files.exists(work.resolve("a.map")), "the child really used Chronicle");
    assertFalse(
        Files.exists(home.resolve(".chronicle.analytics.client.id")),
        "Chronicle wrote its analytics client id: analytics were on");
    assertEquals("done property=true", done);
  }

  @Test
  void anExplicitUserChoice_isRespected() throws Exception {
    List<String> flags = flagsWithoutTheProperty();
    flags.add("-Dchronicle.analytics.disable=false");
    try (ChildJvm child =
        ChildJvm.start(home, flags, ChildJvm.classPath(), Map.of(), "property-only", "unused")) {
      assertEquals("property false", child.await("property"));
      child.awaitSuccess();
    }
  }
}
