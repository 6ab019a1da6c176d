package dev.asynccache.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The Redis side of a {@link DefaultRedisCache}: one shared multiplexed connection for commands,
 * one pub/sub connection for the namespace's notifications, the key layout, the Lua scripts, a
 * timeout on every call and the circuit breaker.
 *
 * <p>Key layout (binary-safe; the hash tag keeps a key's three names in one Cluster slot): value
 * {@code ns:{k}}, lease {@code ns:{k}:lease}, wait flag {@code ns:{k}:wait}. Channel {@code
 * asynccache:ns}; a message is one type byte, the 16-byte sender id, then the encoded key.
 */
final class RedisTier implements AutoCloseable {
  static final byte INVALIDATE = 'I';
  static final byte FILLED = 'F';
  static final int HEADER = 17;

  /**
   * Fill or release a lease: only if the caller still owns it (a write revokes leases) and no
   * value has been written since (a write between our miss and our lease wins), store the value
   * (ARGV[2] = '1') with its TTL, or replace the undecodable bytes the caller read (ARGV[7]); drop
   * the lease and, if a JVM flagged that it waits, tell it. KEYS: value, lease, wait. ARGV: token,
   * store?, value, ttl ms (0: none), channel, message, undecodable bytes read ('' if none).
   */
  private static final String FILL =
      """
      if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
      redis.call('DEL', KEYS[2])
      local current = redis.call('GET', KEYS[1])
      if ARGV[2] == '1' and (not current or (ARGV[7] ~= '' and current == ARGV[7])) then
        if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
        else redis.call('SET', KEYS[1], ARGV[3]) end
      end
      if redis.call('DEL', KEYS[3]) == 1 then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
      return 1
      """;

  /**
   * A write: set (ARGV[1] = 'S') or delete the value, revoke any lease and wait flag, notify every
   * JVM of the namespace. Returns 1 for a set, the number of keys deleted for a delete. KEYS: value,
   * lease, wait. ARGV: mode, value, ttl ms (0: none), channel, message.
   */
  private static final String WRITE =
      """
      local n = 1
      if ARGV[1] == 'S' then
        if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        else redis.call('SET', KEYS[1], ARGV[2]) end
      else
        n = redis.call('DEL', KEYS[1])
      end
      redis.call('DEL', KEYS[2], KEYS[3])
      redis.call('PUBLISH', ARGV[4], ARGV[5])
      return n
      """;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final byte[] ONE = {'1'};
  private static final byte[] ZERO = {'0'};
  static final byte[] EMPTY = {};

  /** A value read with its remaining time to live in ms ({@code -1}: none). */
  record Read(byte @Nullable [] value, long pttl) {}

  /** The three Redis names of one key, and the key's bytes. */
  record Keys(byte[] key, byte[] value, byte[] lease, byte[] waitFlag) {}

  private final byte[] prefix;
  private final byte[] channel;
  private final byte[] sender;
  private final long timeoutNanos;
  private final CircuitBreaker breaker;
  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final RedisAsyncCommands<byte[], byte[]> commands;
  private final StatefulRedisPubSubConnection<byte[], byte[]> pubSub;
  private final String fillSha;
  private final String writeSha;
  final LongAdder errors = new LongAdder();
  final LongAdder timeouts = new LongAdder();

  RedisTier(
      RedisURI uri,
      String namespace,
      Duration timeout,
      CircuitBreaker breaker,
      byte[] sender,
      Consumer<byte[]> onMessage,
      Runnable onResubscribed) {
    this.prefix = (namespace + ":{").getBytes(StandardCharsets.UTF_8);
    this.channel = ("asynccache:" + namespace).getBytes(StandardCharsets.UTF_8);
    this.sender = sender.clone();
    this.timeoutNanos = timeout.toNanos();
    this.breaker = breaker;
    // The URI's timeout bounds the connection handshake (commands are bounded by TimeoutOptions
    // and by our own wait): give a busy machine time to connect.
    Duration connect = timeout.compareTo(CONNECT_TIMEOUT) < 0 ? CONNECT_TIMEOUT : timeout;
    RedisURI u = RedisURI.builder(uri).withTimeout(connect).build();
    // Reconnect quickly after an outage: 10 ms doubling up to 1 s (Lettuce's default reaches 30 s).
    this.resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
            .build();
    RedisClient c = RedisClient.create(resources, u);
    c.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            // While disconnected, fail at once (the breaker counts it) instead of queueing.
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            .socketOptions(
                SocketOptions.builder()
                    .connectTimeout(connect)
                    .build())
            .build());
    this.client = c;
    StatefulRedisConnection<byte[], byte[]> conn = null;
    StatefulRedisPubSubConnection<byte[], byte[]> ps = null;
    try {
      conn = c.connect(ByteArrayCodec.INSTANCE);
      ps = c.connectPubSub(ByteArrayCodec.INSTANCE);
      AtomicBoolean first = new AtomicBoolean(true);
      byte[] ch = channel;
      ps.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(byte[] from, byte[] message) {
              if (Arrays.equals(from, ch)) {
                onMessage.accept(message);
              }
            }

            @Override
            public void subscribed(byte[] to, long count) {
              // Lettuce resubscribes after a reconnect: whatever was published meanwhile is lost.
              if (Arrays.equals(to, ch) && !first.compareAndSet(true, false)) {
                onResubscribed.run();
              }
            }
          });
      ps.sync().subscribe(channel);
    } catch (RuntimeException e) {
      if (ps != null) {
        ps.close();
      }
      if (conn != null) {
        conn.close();
      }
      shutdown(c, resources);
      throw new RedisCacheException(
          "cannot connect to Redis at " + uri.getHost() + ":" + uri.getPort(), e);
    }
    this.connection = conn;
    this.pubSub = ps;
    this.commands = conn.async();
    this.fillSha = commands.digest(FILL);
    this.writeSha = commands.digest(WRITE);
  }

  Keys keys(byte[] key) {
    byte[] value = Arrays.copyOf(prefix, prefix.length + key.length + 1);
    System.arraycopy(key, 0, value, prefix.length, key.length);
    value[value.length - 1] = '}';
    return new Keys(key, value, suffixed(value, ":lease"), suffixed(value, ":wait"));
  }

  byte[] message(byte type, byte[] key) {
    byte[] m = new byte[HEADER + key.length];
    m[0] = type;
    System.arraycopy(sender, 0, m, 1, sender.length);
    System.arraycopy(key, 0, m, HEADER, key.length);
    return m;
  }

  boolean fromMe(byte[] message) {
    return Arrays.equals(message, 1, HEADER, sender, 0, sender.length);
  }

  /** GET and PTTL, pipelined. */
  Read read(Keys k) throws RedisUnavailable, InterruptedException {
    allow();
    RedisFuture<byte[]> get = commands.get(k.value());
    RedisFuture<Long> pttl = commands.pttl(k.value());
    byte[] value = await(get);
    long ttl = await(pttl);
    return new Read(value, value == null ? -2 : ttl);
  }

  /** SET lease token NX PX. */
  boolean tryLease(Keys k, byte[] token, long leaseMillis)
      throws RedisUnavailable, InterruptedException {
    allow();
    return "OK".equals(await(commands.set(k.lease(), token, SetArgs.Builder.nx().px(leaseMillis))));
  }

  /** Flags that a JVM waits for this key's lease holder, then reads the value (pipelined). */
  Read flagAndRead(Keys k, long leaseMillis) throws RedisUnavailable, InterruptedException {
    allow();
    RedisFuture<String> flag = commands.set(k.waitFlag(), ONE, SetArgs.Builder.px(leaseMillis));
    RedisFuture<byte[]> get = commands.get(k.value());
    RedisFuture<Long> pttl = commands.pttl(k.value());
    await(flag);
    byte[] value = await(get);
    long ttl = await(pttl);
    return new Read(value, value == null ? -2 : ttl);
  }

  /**
   * Stores (value non-null) unless another value was written meanwhile (the undecodable bytes
   * {@code replacing}, if not empty, may be overwritten), and releases the lease if still ours;
   * tells waiters.
   */
  boolean fill(Keys k, byte[] token, byte @Nullable [] value, long ttlMillis, byte[] replacing)
      throws RedisUnavailable, InterruptedException {
    allow();
    byte[][] keys = {k.value(), k.lease(), k.waitFlag()};
    byte[][] args = {
      token,
      value == null ? ZERO : ONE,
      value == null ? EMPTY : value,
      Long.toString(Math.max(ttlMillis, 0)).getBytes(StandardCharsets.US_ASCII),
      channel,
      message(FILLED, k.key()),
      replacing
    };
    return script(fillSha, FILL, keys, args) == 1L;
  }

  /** Sets (value non-null) or deletes; revokes the lease; notifies every JVM. */
  long write(Keys k, byte @Nullable [] value, long ttlMillis)
      throws RedisUnavailable, InterruptedException {
    allow();
    byte[][] keys = {k.value(), k.lease(), k.waitFlag()};
    byte[][] args = {
      value == null ? new byte[] {'D'} : new byte[] {'S'},
      value == null ? EMPTY : value,
      Long.toString(Math.max(ttlMillis, 0)).getBytes(StandardCharsets.US_ASCII),
      channel,
      message(INVALIDATE, k.key())
    };
    return script(writeSha, WRITE, keys, args);
  }

  private long script(String sha, String source, byte[][] keys, byte[][] args)
      throws RedisUnavailable, InterruptedException {
    RedisFuture<Long> f = commands.evalsha(sha, ScriptOutputType.INTEGER, keys, args);
    try {
      return awaitRaw(f);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RedisNoScriptException) {
        // First use on this server (or after a restart / SCRIPT FLUSH): send the source once.
        try {
          return awaitRaw(commands.eval(source, ScriptOutputType.INTEGER, keys, args));
        } catch (ExecutionException again) {
          throw failed(again);
        }
      }
      throw failed(e);
    }
  }

  private void allow() throws RedisUnavailable {
    if (!breaker.allowRequest()) {
      throw new RedisUnavailable("circuit breaker open");
    }
  }

  private <T> T await(RedisFuture<T> f) throws RedisUnavailable, InterruptedException {
    try {
      return awaitRaw(f);
    } catch (ExecutionException e) {
      throw failed(e);
    }
  }

  private <T> T awaitRaw(RedisFuture<T> f)
      throws RedisUnavailable, InterruptedException, ExecutionException {
    try {
      T result = f.get(timeoutNanos, TimeUnit.NANOSECONDS);
      breaker.onSuccess();
      return result;
    } catch (TimeoutException e) {
      f.cancel(false);
      timeouts.increment();
      breaker.onFailure();
      throw new RedisUnavailable("Redis call timed out", e);
    } catch (InterruptedException e) {
      f.cancel(false);
      throw e;
    }
  }

  private RedisUnavailable failed(ExecutionException e) {
    Throwable cause = e.getCause() == null ? e : e.getCause();
    errors.increment();
    if (cause instanceof RedisCommandExecutionException
        && !(cause instanceof RedisNoScriptException)) {
      breaker.onSuccess(); // Redis answered: it is up, the command was wrong (e.g. WRONGTYPE)
    } else if (cause instanceof io.lettuce.core.RedisCommandTimeoutException) {
      timeouts.increment();
      errors.decrement();
      breaker.onFailure();
    } else {
      breaker.onFailure();
    }
    return new RedisUnavailable("Redis call failed: " + cause, cause);
  }

  private static byte[] suffixed(byte[] base, String suffix) {
    byte[] s = suffix.getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(base, base.length + s.length);
    System.arraycopy(s, 0, out, base.length, s.length);
    return out;
  }

  @Override
  public void close() {
    try {
      pubSub.close();
      connection.close();
    } finally {
      shutdown(client, resources);
    }
  }

  private static void shutdown(RedisClient client, ClientResources resources) {
    try {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    } finally {
      resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }
}
