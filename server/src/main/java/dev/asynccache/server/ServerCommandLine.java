package dev.asynccache.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The server's command line, read by picocli: one annotated field per option, each also read from
 * the environment variable named after it ({@code --max-size} → {@code ASYNC_CACHE_MAX_SIZE}, see
 * {@link #envName}). A flag wins over its variable, which wins over the field's initial value (the
 * default). {@link #toConfig} hands the values to {@link ServerConfig.Builder}, whose checks name
 * the flag or variable a bad value came from.
 *
 * <p>To add an option: one annotated field here (its variable follows from its name) and one
 * {@code set(...)} line in {@link #toConfig}. Not thread-safe: one instance per parse.
 */
@Command(
    name = "run-server",
    mixinStandardHelpOptions = true,
    versionProvider = ServerCommandLine.Version.class,
    sortOptions = false,
    usageHelpWidth = 118,
    customSynopsis = {"run-server [options]", ""},
    description = {
      "An HTTP/1.1 cache server over one async-cache AsyncCache<String, byte[]>.",
      "  PUT    /cache/{key}[?ttl=seconds]  store the request body (204); ttl=0: never expires",
      "  GET    /cache/{key}                200 with the value, 404 when absent",
      "  DELETE /cache/{key}                204, or 404 when absent",
      "  GET    /stats                      cache counters as JSON",
      "  GET    /metrics                    Prometheus text format",
      "  HEAD   (any GET route)             the headers of the GET, no body",
      "  GET    /health                     200 {\"status\":\"UP\",...}; 503 at the connection cap",
      ""
    },
    optionListHeading = "Options (a flag wins over its environment variable):%n",
    footer = {"", "Exit status: 0 after --help or --version, 2 for a bad option or value, 1 if the server"
        + " cannot start,", "143 (SIGTERM) or 130 (Ctrl-C) after a graceful stop."})
final class ServerCommandLine {
  /** The prefix of every option's environment variable. */
  static final String ENV_PREFIX = "ASYNC_CACHE_";

  @Option(names = "--bind", paramLabel = "ADDRESS", description = "address to listen on (default 127.0.0.1)")
  String bind = ServerConfig.DEFAULT_HOST;

  @Option(names = "--port", paramLabel = "N", converter = Count.class,
      description = "TCP port, 0 for any free one (default 8000)")
  long port = ServerConfig.DEFAULT_PORT;

  @Option(names = "--max-size", paramLabel = "N", converter = Count.class,
      description = "most entries held, evicted beyond (default 100000)")
  long maxSize = ServerConfig.DEFAULT_MAX_SIZE;

  @Option(names = "--default-ttl", paramLabel = "SECONDS", converter = Count.class,
      description = "TTL of PUTs without ?ttl (default 0: none)")
  long defaultTtl;

  @Option(names = "--max-value-bytes", paramLabel = "N", converter = Count.class,
      description = "largest value accepted (default 1048576)")
  long maxValueBytes = ServerConfig.DEFAULT_MAX_VALUE_BYTES;

  @Option(names = "--max-key-bytes", paramLabel = "N", converter = Count.class,
      description = "longest key in UTF-8 bytes (default 250)")
  long maxKeyBytes = ServerConfig.DEFAULT_MAX_KEY_BYTES;

  @Option(names = "--shutdown-grace", paramLabel = "SECONDS", converter = Count.class,
      description = "wait for requests in flight on stop (default 10)")
  long shutdownGrace = ServerConfig.DEFAULT_SHUTDOWN_GRACE.toSeconds();

  @Option(names = "--persistence-path", paramLabel = "FILE", converter = FilePath.class,
      description = "snapshot file: restored at start, saved at stop (default: none)")
  @Nullable Path persistencePath;

  @Option(names = "--save-interval", paramLabel = "SECONDS", converter = Count.class,
      description = "also snapshot every N seconds (default 0: only at stop)")
  long saveInterval;

  @Option(names = "--max-connections", paramLabel = "N", converter = Count.class,
      description = "most open connections (default 0: open-file limit less a reserve)")
  long maxConnections;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS", converter = Count.class,
      description = "close a connection idle this long (default 300)")
  long idleTimeout = ServerConfig.DEFAULT_IDLE_TIMEOUT.toSeconds();

  @Option(names = "--header-timeout", paramLabel = "SECONDS", converter = Count.class,
      description = "time to send a request head (default 10)")
  long headerTimeout = ServerConfig.DEFAULT_HEADER_TIMEOUT.toSeconds();

  @Option(names = "--body-timeout", paramLabel = "SECONDS", converter = Count.class,
      description = "time to send a body / take a response (default 30)")
  long bodyTimeout = ServerConfig.DEFAULT_BODY_TIMEOUT.toSeconds();

  @Option(names = "--max-memory", paramLabel = "SIZE", converter = Size.class,
      description = "memory bound of the entries: 256m, 1g, bytes (default 0: half the heap)")
  long maxMemory;

  @Option(names = "--redis", paramLabel = "URI",
      description = "share the cache with every server using this Redis: redis://host:port[/db], rediss:// for TLS"
          + " (default: none, the cache is this process's own)")
  @Nullable String redis;

  @Option(names = "--redis-cluster", paramLabel = "URI",
      description = "the same on a Redis Cluster: redis://host:port of any one node (default: none)")
  @Nullable String redisCluster;

  @Option(names = "--redis-namespace", paramLabel = "NAME",
      description = "prefix of the cache's Redis keys; servers sharing a cache use the same (default "
          + ServerConfig.Redis.DEFAULT_NAMESPACE + ")")
  String redisNamespace = ServerConfig.Redis.DEFAULT_NAMESPACE;

  @Option(names = "--redis-max-staleness", paramLabel = "DURATION", converter = DurationValue.class,
      description = "longest an entry stays in this process's tier (L1) without a look at Redis, whatever its TTL:"
          + " 500ms, 30s, 5m, 1h (default 1m)")
  @Nullable Duration redisMaxStaleness;

  @Option(names = "--redis-timeout", paramLabel = "DURATION", converter = DurationValue.class,
      description = "bound of every Redis call; beyond it the request is answered without Redis (default 1s)")
  @Nullable Duration redisTimeout;

  private final CommandLine commandLine;
  private final Map<String, String> env;
  private @Nullable ParseResult parsed;

  private ServerCommandLine(Map<String, String> env) {
    this.env = env;
    this.commandLine = new CommandLine(this);
    commandLine.setExpandAtFiles(false); // "@file" is an ordinary value, never a file to read
    commandLine.setOverwrittenOptionsAllowed(true); // the last of a repeated flag wins
    commandLine.setDefaultValueProvider(this::fromEnvironment);
    commandLine.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_OPTION_LIST, ServerCommandLine::optionList);
  }

  /**
   * Reads the settings (see {@link ServerConfig#parse}).
   *
   * @throws IllegalArgumentException with a one-line message naming the flag or variable
   */
  static ServerConfig parse(String[] args, Map<String, String> env) {
    ServerCommandLine line = new ServerCommandLine(env);
    try {
      line.parsed = line.commandLine.parseArgs(args);
    } catch (CommandLine.UnmatchedArgumentException e) {
      List<String> suggestions = e.getSuggestions();
      String hint = suggestions.isEmpty() ? "" : "did you mean " + orList(suggestions) + "? ";
      throw new IllegalArgumentException("unknown option: " + e.getUnmatched().get(0) + " (" + hint + "see --help)", e);
    } catch (CommandLine.MissingParameterException e) {
      String name = e.getMissing().isEmpty() ? "an option" : label(e.getMissing().get(0));
      throw new IllegalArgumentException(name + " needs a value", e);
    } catch (ParameterException e) {
      if (e.getArgSpec() instanceof OptionSpec o && e.getValue() != null && e.getCause() != null) {
        throw new IllegalArgumentException(
            line.source(o, args) + ": invalid value \"" + e.getValue() + "\": " + e.getCause().getMessage(), e);
      }
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return line.toConfig();
  }

  /** Whether the command line asks for help ({@code --help} or {@code -h}). */
  static boolean wantsHelp(String[] args) {
    return List.of(args).contains("--help") || List.of(args).contains("-h");
  }

  /** Whether the command line asks for the version ({@code --version} or {@code -V}). */
  static boolean wantsVersion(String[] args) {
    return List.of(args).contains("--version") || List.of(args).contains("-V");
  }

  /** The text of {@code --help}. */
  static String usage() {
    return new ServerCommandLine(Map.of()).commandLine.getUsageMessage(Help.Ansi.OFF);
  }

  /** The text of {@code --version}. */
  static String version() {
    StringWriter s = new StringWriter();
    new ServerCommandLine(Map.of()).commandLine.printVersionHelp(new PrintWriter(s, true), Help.Ansi.OFF);
    return s.toString();
  }

  /** The environment variable of an option: {@code --max-size} → {@code ASYNC_CACHE_MAX_SIZE}. */
  static String envName(OptionSpec option) {
    return ENV_PREFIX + option.longestName().substring(2).toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private @Nullable String fromEnvironment(ArgSpec arg) {
    if (arg instanceof OptionSpec o && !o.usageHelp() && !o.versionHelp()) {
      String value = env.get(envName(o));
      if (value != null && !value.isBlank()) {
        return value.strip();
      }
    }
    return null;
  }

  /** The flag if the command line has it, else its environment variable (picocli's default). */
  private String source(OptionSpec option, String[] args) {
    String flag = option.longestName();
    for (String arg : args) {
      if (arg.equals(flag) || arg.startsWith(flag + "=")) {
        return flag;
      }
    }
    return envName(option);
  }

  /** Hands the values to the builder in order, checking each so that an error names its source. */
  private ServerConfig toConfig() {
    ServerConfig.Builder b = ServerConfig.builder();
    set(b, "--bind", x -> x.host(bind));
    set(b, "--port", x -> x.port(Math.toIntExact(port)));
    set(b, "--max-size", x -> x.maxSize(maxSize));
    set(b, "--default-ttl", x -> x.defaultTtl(defaultTtl == 0 ? null : Duration.ofSeconds(defaultTtl)));
    set(b, "--max-value-bytes", x -> {
      if (maxValueBytes > ServerConfig.MAX_VALUE_LIMIT) {
        throw new IllegalArgumentException("must be at most " + ServerConfig.MAX_VALUE_LIMIT);
      }
      x.maxValueBytes((int) maxValueBytes);
    });
    set(b, "--max-key-bytes", x -> x.maxKeyBytes(Math.toIntExact(maxKeyBytes)));
    set(b, "--shutdown-grace", x -> x.shutdownGrace(Duration.ofSeconds(shutdownGrace)));
    set(b, "--persistence-path", x -> x.persistencePath(persistencePath));
    set(b, "--save-interval", x -> x.saveInterval(saveInterval == 0 ? null : Duration.ofSeconds(saveInterval)));
    set(b, "--max-connections", x -> x.maxConnections(Math.toIntExact(maxConnections)));
    set(b, "--idle-timeout", x -> x.idleTimeout(Duration.ofSeconds(idleTimeout)));
    set(b, "--header-timeout", x -> x.headerTimeout(Duration.ofSeconds(headerTimeout)));
    set(b, "--body-timeout", x -> x.bodyTimeout(Duration.ofSeconds(bodyTimeout)));
    set(b, "--max-memory", x -> x.maxMemory(maxMemory));
    set(b, "--redis-namespace", x -> {
      ServerConfig.Redis.checkNamespace(redisNamespace);
      if (!redisNamespace.equals(ServerConfig.Redis.DEFAULT_NAMESPACE)) {
        requireRedis();
      }
    });
    Duration maxStaleness = redisMaxStaleness == null ? ServerConfig.Redis.DEFAULT_MAX_STALENESS : redisMaxStaleness;
    set(b, "--redis-max-staleness", x -> {
      if (redisMaxStaleness != null) {
        ServerConfig.Redis.checkMaxStaleness(redisMaxStaleness);
        requireRedis();
      }
    });
    Duration timeout = redisTimeout == null ? ServerConfig.Redis.DEFAULT_TIMEOUT : redisTimeout;
    set(b, "--redis-timeout", x -> {
      if (redisTimeout != null) {
        ServerConfig.Redis.checkTimeout(redisTimeout);
        requireRedis();
      }
    });
    set(b, "--redis", x -> {
      if (redis != null) {
        x.redis(new ServerConfig.Redis(redis, false, redisNamespace, maxStaleness, timeout));
      }
    });
    set(b, "--redis-cluster", x -> {
      if (redisCluster != null) {
        if (redis != null) {
          throw new IllegalArgumentException("give --redis or --redis-cluster, not both");
        }
        x.redis(new ServerConfig.Redis(redisCluster, true, redisNamespace, maxStaleness, timeout));
      }
    });
    return b.build(); // the combinations (a save interval needs a path; Redis excludes a path)
  }

  /** For an option of the Redis tier: refused when the cache is not shared through Redis. */
  private void requireRedis() {
    if (redis == null && redisCluster == null) {
      throw new IllegalArgumentException("needs --redis or --redis-cluster");
    }
  }

  private void set(ServerConfig.Builder b, String flag, Consumer<ServerConfig.Builder> setter) {
    try {
      setter.accept(b);
      b.checkRanges();
    } catch (IllegalArgumentException | ArithmeticException e) {
      OptionSpec option = commandLine.getCommandSpec().findOption(flag);
      ParseResult p = parsed;
      String source;
      String value;
      if (p != null && p.hasMatchedOption(flag)) {
        source = flag;
        List<String> values = p.matchedOption(flag).stringValues();
        value = values.get(values.size() - 1);
      } else {
        source = envName(option);
        value = env.getOrDefault(source, "").strip();
      }
      if (flag.startsWith("--redis")) {
        value = RedisUris.redact(value); // a URI may hold a password
      }
      throw new IllegalArgumentException(source + ": invalid value \"" + value + "\": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- help

  private static String label(ArgSpec arg) {
    return arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel();
  }

  private static String orList(List<String> names) {
    if (names.size() == 1) {
      return names.get(0);
    }
    return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
  }

  /** The option list as three columns: flag, environment variable, meaning. */
  private static String optionList(Help help) {
    int width = help.commandSpec().usageMessage().width();
    Help.TextTable table =
        Help.TextTable.forColumns(
            help.colorScheme(),
            new Help.Column(33, 2, Help.Column.Overflow.SPAN),
            new Help.Column(33, 1, Help.Column.Overflow.SPAN),
            new Help.Column(width - 66, 1, Help.Column.Overflow.WRAP));
    List<OptionSpec> helpOptions = new ArrayList<>();
    for (OptionSpec o : help.commandSpec().options()) {
      if (o.usageHelp() || o.versionHelp()) {
        helpOptions.add(o);
      } else {
        table.addRowValues(o.longestName() + " " + o.paramLabel(), envName(o), String.join(" ", o.description()));
      }
    }
    for (OptionSpec o : helpOptions) {
      String names = String.join(", ", o.names());
      table.addRowValues(names, "", o.usageHelp() ? "print this help and exit" : "print the version and exit");
    }
    return table.toString();
  }

  // ---------------------------------------------------------------- values

  /** A non-negative decimal integer: digits only, no sign, no spaces. */
  static final class Count implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String v) {
      return parseCount(v);
    }
  }

  /** A size in bytes (see {@link #parseSize}). */
  static final class Size implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String v) {
      return parseSize(v);
    }
  }

  /** A duration (see {@link #parseDuration}). */
  static final class DurationValue implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String v) {
      return parseDuration(v);
    }
  }

  /** A file path, not empty. */
  static final class FilePath implements CommandLine.ITypeConverter<Path> {
    @Override
    public Path convert(String v) {
      if (v.isBlank()) {
        throw new CommandLine.TypeConversionException("must not be empty");
      }
      try {
        return Path.of(v);
      } catch (InvalidPathException e) {
        throw new CommandLine.TypeConversionException("not a valid path: " + e.getReason());
      }
    }
  }

  /** Parses a non-negative decimal integer (digits only: no sign, no spaces). */
  static long parseCount(String v) {
    if (v.isEmpty() || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new CommandLine.TypeConversionException("must be a non-negative integer");
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("too large");
    }
  }

  /**
   * Parses a size in bytes: digits, optionally followed by a unit {@code k}, {@code m}, {@code g}
   * or {@code t} (any case, optionally followed by {@code b} or {@code ib}), each a power of 1024:
   * {@code 256m} is 268435456 bytes.
   */
  static long parseSize(String v) {
    String s = v.toLowerCase(Locale.ROOT);
    int end = 0;
    while (end < s.length() && s.charAt(end) >= '0' && s.charAt(end) <= '9') {
      end++;
    }
    if (end == 0) {
      throw new CommandLine.TypeConversionException("must be a size in bytes, such as 268435456, 256m or 1g");
    }
    int shift =
        switch (s.substring(end)) {
          case "", "b" -> 0;
          case "k", "kb", "kib" -> 10;
          case "m", "mb", "mib" -> 20;
          case "g", "gb", "gib" -> 30;
          case "t", "tb", "tib" -> 40;
          default -> throw new CommandLine.TypeConversionException(
              "unknown unit \"" + v.substring(end) + "\" (use k, m, g or t, powers of 1024)");
        };
    long n = parseCount(s.substring(0, end));
    if (n > (Long.MAX_VALUE >> shift)) {
      throw new CommandLine.TypeConversionException("too large");
    }
    return n << shift;
  }

  /**
   * Parses a duration: digits followed by a unit, {@code ms}, {@code s}, {@code m} or {@code h}
   * (any case): {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}. The unit is required, so that
   * {@code 500} is never read as seconds when milliseconds were meant.
   */
  static Duration parseDuration(String v) {
    String s = v.toLowerCase(Locale.ROOT);
    int end = 0;
    while (end < s.length() && s.charAt(end) >= '0' && s.charAt(end) <= '9') {
      end++;
    }
    ChronoUnit unit =
        switch (end == 0 ? "?" : s.substring(end)) {
          case "ms" -> ChronoUnit.MILLIS;
          case "s" -> ChronoUnit.SECONDS;
          case "m" -> ChronoUnit.MINUTES;
          case "h" -> ChronoUnit.HOURS;
          default -> throw new CommandLine.TypeConversionException(
              "must be a duration with its unit, such as 500ms, 30s, 5m or 1h");
        };
    long n = parseCount(s.substring(0, end));
    try {
      return Duration.of(n, unit);
    } catch (ArithmeticException e) {
      throw new CommandLine.TypeConversionException("too large");
    }
  }

  /** {@code --version}: the project version written into the jar's resources at build time. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      Properties p = new Properties();
      try (InputStream in = ServerCommandLine.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        // reported as unknown below
      }
      return new String[] {
        "async-cache-server " + p.getProperty("version", "(version unknown)"),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name", "?") + ")"
      };
    }
  }
}
