package dev.asynccache.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
  private static final Map<String, String> NO_ENV = Map.of();

  @Test
  void defaults_areLoopbackPort8000OneMiBValues250ByteKeys() {
    ServerConfig c = ServerConfig.parse(new String[0], NO_ENV);
    assertEquals(ServerConfig.defaults(), c);
    assertEquals("127.0.0.1", c.host());
    assertEquals(8000, c.port());
    assertEquals(100_000, c.maxSize());
    assertEquals(Optional.empty(), c.defaultTtl());
    assertEquals(1 << 20, c.maxValueBytes());
    assertEquals(250, c.maxKeyBytes());
    assertEquals(Duration.ofSeconds(10), c.shutdownGrace());
    assertEquals(Optional.empty(), c.persistencePath(), "no persistence unless asked");
    assertEquals(Optional.empty(), c.saveInterval());
  }

  @Test
  void persistence_fromEnvironment_flagWins_andSaveIntervalNeedsAPath() {
    Map<String, String> env =
        Map.of("ASYNC_CACHE_PERSISTENCE_PATH", "/var/lib/cache.snap", "ASYNC_CACHE_SAVE_INTERVAL", "30");
    ServerConfig fromEnv = ServerConfig.parse(new String[0], env);
    assertEquals(Optional.of(Path.of("/var/lib/cache.snap")), fromEnv.persistencePath());
    assertEquals(Optional.of(Duration.ofSeconds(30)), fromEnv.saveInterval());

    ServerConfig flagged =
        ServerConfig.parse(new String[] {"--persistence-path", "other.snap", "--save-interval", "0"}, env);
    assertEquals(Optional.of(Path.of("other.snap")), flagged.persistencePath());
    assertEquals(Optional.empty(), flagged.saveInterval(), "--save-interval 0 means only at stop");

    // The interval may come before the path that makes it valid...
    ServerConfig ordered =
        ServerConfig.parse(new String[] {"--save-interval", "5", "--persistence-path", "x.snap"}, NO_ENV);
    assertEquals(Optional.of(Duration.ofSeconds(5)), ordered.saveInterval());
    // ...but not come alone.
    assertMessage(
        "a save interval needs a persistence path (--persistence-path / ASYNC_CACHE_PERSISTENCE_PATH)",
        "--save-interval", "5");
    assertMessage("--save-interval: invalid value \"-5\": must be a non-negative integer", "--save-interval", "-5");
    assertMessage("--persistence-path: invalid value \"\": must not be empty", "--persistence-path=");
    assertMessage("--persistence-path: invalid value \"a\u0000b\": not a valid path: Nul character not allowed",
        "--persistence-path", "a\u0000b");
    assertThrows(
        IllegalArgumentException.class,
        () -> ServerConfig.builder().saveInterval(Duration.ofSeconds(1)).build(),
        "interval without a path");
    assertThrows(
        IllegalArgumentException.class,
        () -> ServerConfig.builder().persistencePath(Path.of("x")).saveInterval(Duration.ZERO).build());
  }

  @Test
  void flags_setEveryOption_inBothSpellings() {
    ServerConfig c =
        ServerConfig.parse(
            new String[] {
              "--bind", "0.0.0.0", "--port=9001", "--max-size", "42", "--default-ttl=30",
              "--max-value-bytes", "1024", "--max-key-bytes=16", "--shutdown-grace", "3",
              "--persistence-path", "data/cache.snap", "--save-interval=60", "--max-connections", "500",
              "--idle-timeout=20", "--header-timeout", "4", "--body-timeout=8"
            },
            NO_ENV);
    assertEquals(
        new ServerConfig(
            "0.0.0.0", 9001, 42, Optional.of(Duration.ofSeconds(30)), 1024, 16, Duration.ofSeconds(3),
            Optional.of(Path.of("data/cache.snap")), Optional.of(Duration.ofSeconds(60)), 500,
            Duration.ofSeconds(20), Duration.ofSeconds(4), Duration.ofSeconds(8), 0, Optional.empty()),
        c);
  }

  @Test
  void environment_setsOptions_andFlagsWinOverIt() {
    Map<String, String> env =
        Map.of(
            "ASYNC_CACHE_PORT", "9002",
            "ASYNC_CACHE_MAX_SIZE", "7",
            "ASYNC_CACHE_DEFAULT_TTL", "5",
            "ASYNC_CACHE_MAX_VALUE_BYTES", "100",
            "ASYNC_CACHE_BIND", "::1");
    ServerConfig fromEnv = ServerConfig.parse(new String[0], env);
    assertEquals(9002, fromEnv.port());
    assertEquals(7, fromEnv.maxSize());
    assertEquals(Optional.of(Duration.ofSeconds(5)), fromEnv.defaultTtl());
    assertEquals(100, fromEnv.maxValueBytes());
    assertEquals("::1", fromEnv.host());

    ServerConfig flagged = ServerConfig.parse(new String[] {"--port", "9003", "--default-ttl", "0"}, env);
    assertEquals(9003, flagged.port());
    assertEquals(Optional.empty(), flagged.defaultTtl(), "--default-ttl 0 means none");
    assertEquals(7, flagged.maxSize());
  }

  @Test
  void badValues_failNamingTheFlagOrVariable() {
    assertMessage("--port: invalid value \"x\": must be a non-negative integer", "--port", "x");
    assertMessage("--port: invalid value \"-1\": must be a non-negative integer", "--port", "-1");
    assertMessage("--port: invalid value \"70000\": port must be between 0 and 65535, was 70000", "--port", "70000");
    assertMessage("--max-size: invalid value \"0\": max size must be at least 1, was 0", "--max-size", "0");
    assertMessage("--default-ttl: invalid value \"1.5\": must be a non-negative integer", "--default-ttl", "1.5");
    assertMessage("unknown option: --nope (see --help)", "--nope", "1");
    assertMessage("--port needs a value", "--port");
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ServerConfig.parse(new String[0], Map.of("ASYNC_CACHE_MAX_SIZE", "0")));
    assertEquals("ASYNC_CACHE_MAX_SIZE: invalid value \"0\": max size must be at least 1, was 0", e.getMessage());
  }

  @Test
  void maxMemory_isASizeWithPowerOf1024Units_fromFlagOrEnvironment_defaultZeroMeansDerived() {
    assertEquals(0, ServerConfig.defaults().maxMemory(), "0: derived from the heap at start");
    String[] values = {"268435456", "256m", "1g", "64K", "2t", "1GB", "3MiB", "0"};
    long[] bytes = {268_435_456, 256L << 20, 1L << 30, 64L << 10, 2L << 40, 1L << 30, 3L << 20, 0};
    for (int i = 0; i < values.length; i++) {
      assertEquals(bytes[i], ServerConfig.parse(new String[] {"--max-memory", values[i]}, NO_ENV).maxMemory(), values[i]);
    }
    assertEquals(1L << 20, ServerConfig.parse(new String[] {"--max-memory=1m"}, NO_ENV).maxMemory());
    Map<String, String> env = Map.of("ASYNC_CACHE_MAX_MEMORY", "512m");
    assertEquals(512L << 20, ServerConfig.parse(new String[0], env).maxMemory());
    assertEquals(7, ServerConfig.parse(new String[] {"--max-memory", "7"}, env).maxMemory(), "the flag wins");
    assertMessage("--max-memory: invalid value \"1.5g\": unknown unit \".5g\" (use k, m, g or t, powers of 1024)",
        "--max-memory", "1.5g");
    assertMessage("--max-memory: invalid value \"m\": must be a size in bytes, such as 268435456, 256m or 1g",
        "--max-memory", "m");
    assertMessage("--max-memory: invalid value \"-1m\": must be a size in bytes, such as 268435456, 256m or 1g",
        "--max-memory", "-1m");
    assertMessage("--max-memory: invalid value \"9999999999t\": too large", "--max-memory", "9999999999t");
    assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().maxMemory(-1).build());
    assertEquals(5, ServerConfig.defaults().toBuilder().maxMemory(5).build().toBuilder().build().maxMemory());
    assertTrue(ServerConfig.usage().contains("--max-memory SIZE"));
    assertTrue(ServerConfig.usage().contains("ASYNC_CACHE_MAX_MEMORY"));
  }

  @Test
  void help_isRecognized_andListsEveryFlagAndVariable() {
    assertTrue(ServerConfig.wantsHelp(new String[] {"--port", "1", "--help"}));
    assertTrue(ServerConfig.wantsHelp(new String[] {"-h"}));
    assertFalse(ServerConfig.wantsHelp(new String[] {"--port", "1"}));
    String usage = ServerConfig.usage();
    for (String s :
        new String[] {
          "--bind", "ASYNC_CACHE_BIND", "--port", "ASYNC_CACHE_PORT", "--max-size", "--default-ttl",
          "--max-value-bytes", "--max-key-bytes", "--shutdown-grace", "--persistence-path",
          "ASYNC_CACHE_PERSISTENCE_PATH", "--save-interval", "ASYNC_CACHE_SAVE_INTERVAL", "/metrics"
        }) {
      assertTrue(usage.contains(s), s);
    }
  }

  @Test
  void unknownFlag_suggestsTheFlagsThatStartAlike_onOneLine() {
    assertMessage("unknown option: --persistance-path (did you mean --persistence-path? see --help)",
        "--persistance-path", "x");
    assertMessage("unknown option: --max-sise (did you mean --max-size, --max-value-bytes, --max-key-bytes,"
        + " --max-connections or --max-memory? see --help)", "--max-sise", "1");
    assertMessage("unknown option: --colour (see --help)", "--colour", "red");
    assertMessage("unknown option: stray (see --help)", "stray");
  }

  @Test
  void aFlagFollowedByAnotherFlag_needsAValue_insteadOfTakingTheFlagAsItsValue() {
    assertMessage("--bind needs a value", "--bind", "--port", "1");
  }

  @Test
  void environmentValues_areCheckedLikeFlags_andNamedByTheirVariable() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> ServerConfig.parse(new String[0], Map.of("ASYNC_CACHE_PORT", "x")));
    assertEquals("ASYNC_CACHE_PORT: invalid value \"x\": must be a non-negative integer", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ServerConfig.parse(new String[0], Map.of("ASYNC_CACHE_IDLE_TIMEOUT", "0")));
    assertEquals("ASYNC_CACHE_IDLE_TIMEOUT: invalid value \"0\": timeouts must be positive, was PT0S", e.getMessage());
    assertEquals(9005, ServerConfig.parse(new String[0], Map.of("ASYNC_CACHE_PORT", " 9005 ")).port(), "stripped");
    assertEquals(8000, ServerConfig.parse(new String[0], Map.of("ASYNC_CACHE_PORT", "  ")).port(), "blank: unset");
    assertEquals(9006, ServerConfig.parse(new String[] {"--port", "9006"}, Map.of("ASYNC_CACHE_PORT", "x")).port(),
        "a flag replaces its variable, so a bad variable under a good flag is not read");
  }

  @Test
  void aRepeatedFlag_takesItsLastValue_andAtFilesAreOrdinaryValues() {
    assertEquals(2, ServerConfig.parse(new String[] {"--port", "1", "--port=2"}, NO_ENV).port());
    assertEquals(Optional.of(Path.of("@cache.snap")),
        ServerConfig.parse(new String[] {"--persistence-path", "@cache.snap"}, NO_ENV).persistencePath());
  }

  @Test
  void everyFlag_hasTheEnvironmentVariableNamedAfterIt_inTheHelp() {
    var spec = new picocli.CommandLine(ServerCommandLine.class).getCommandSpec();
    String usage = ServerConfig.usage();
    int options = 0;
    for (var o : spec.options()) {
      if (o.usageHelp() || o.versionHelp()) {
        continue;
      }
      options++;
      String env = "ASYNC_CACHE_" + o.longestName().substring(2).toUpperCase(java.util.Locale.ROOT).replace('-', '_');
      assertTrue(usage.contains(o.longestName() + " " + o.paramLabel()), o.longestName());
      assertTrue(usage.contains(env), env);
      // the variable really sets the option: a bad number in it is refused, naming it
      if (o.paramLabel().equals("ADDRESS") || o.paramLabel().equals("FILE")) {
        assertTrue(ServerConfig.parse(new String[0], Map.of(env, "-3")).toString().contains("-3"), env);
      } else {
        var e = assertThrows(IllegalArgumentException.class,
            () -> ServerConfig.parse(new String[0], Map.of(env, "-3")), env);
        assertTrue(e.getMessage().startsWith(env + ": invalid value \"-3\""), e.getMessage());
      }
    }
    assertEquals(19, options, "every option of ServerConfig");
    assertTrue(usage.contains("--version"));
  }

  @Test
  void builder_checksRanges() {
    assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().maxKeyBytes(0).build());
    assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().maxValueBytes(-1).build());
    assertThrows(IllegalArgumentException.class, () -> ServerConfig.builder().host(" ").build());
    assertThrows(
        IllegalArgumentException.class, () -> ServerConfig.builder().defaultTtl(Duration.ZERO).build());
    assertEquals(5, ServerConfig.defaults().toBuilder().port(5).build().port());
  }

  private static void assertMessage(String expected, String... args) {
    var e = assertThrows(IllegalArgumentException.class, () -> ServerConfig.parse(args, NO_ENV));
    assertEquals(expected, e.getMessage());
  }
}
