package dev.asynccache.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;

/**
 * The Redis side of a {@link DefaultRedisCache}: one shared multiplexed connection for commands,
 * one pub/sub connection for the namespace's notifications, the key layout, the Lua scripts, a
 * timeout on every call and the circuit breaker.
 *
 * <p>Key layout (binary-safe; the hash tag keeps a key's three names in one Cluster slot): value
 * {@code ns:{k}}, lease {@code ns:{k}:lease}, wait flag {@code ns:{k}:wait}. Channel {@code
 * asynccache:ns}; a message is one type byte, the 16-byte sender id, then the encoded key. Values
 * are stored in the {@link StoredValue} form (a header with the expiry, then the codec's bytes):
 * every read is a plain {@code GET} or {@code MGET}.
 */
final class RedisTier implements AutoCloseable {
  static final byte INVALIDATE = 'I';
  static final byte FILLED = 'F';
  static final byte CLEAR = 'C';
  static final int HEADER = 17;

  /**
   * Fill or release a lease: only if the caller still owns it (a write revokes leases) and no
   * value has been written since (a write between our miss and our lease wins), store the value
   * (ARGV[2] = '1') with its TTL, or replace the undecodable bytes the caller read (ARGV[7]) or an
   * empty string (never a stored value: those have a header); drop the lease and, if a JVM flagged
   * that it waits, tell it. KEYS: value, lease, wait. ARGV: token, store?, value, ttl ms (0: none),
   * channel, message, undecodable bytes read ('' if none).
   */
  private static final String FILL =
      """
      if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
      redis.call('DEL', KEYS[2])
      local current = redis.call('GET', KEYS[1])
      local replace = current == '' or (ARGV[7] ~= '' and current == ARGV[7])
      if ARGV[2] == '1' and (not current or replace) then
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

  /**
   * The lease watchdog's renewal: give the lease its full time again only if it still holds our
   * token. KEYS: lease. ARGV: token, lease time ms. Returns 1 if renewed.
   */
  private static final String RENEW =
      """
      if redis.call('GET', KEYS[1]) == ARGV[1] then
        return redis.call('PEXPIRE', KEYS[1], ARGV[2])
      end
      return 0
      """;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  /** Cluster: how often the topology is re-read by default (see the builder). */
  static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(5);
  private static final byte[] ONE = {'1'};
  private static final byte[] ZERO = {'0'};
  static final byte[] EMPTY = {};

  /** What the tier tells its cache, on a Lettuce thread: short, never blocking. */
  interface Events {
    /** A message on the namespace channel. */
    void message(byte[] message);

    /**
     * Invalidations may have been lost (the subscription dropped or came back, or Redis was
     * flushed): drop every L1 entry.
     */
    void lost(String why);
  }

  /**
   * The outcome of a lease attempt and the stored bytes of the value read right after it, in the
   * same pipeline (null: none).
   */
  record Lease(boolean acquired, byte @Nullable [] value) {}

  /** The three Redis names of one key, and the key's bytes. */
  record Keys(byte[] key, byte[] value, byte[] lease, byte[] waitFlag) {}

  private final String scanPattern;
  private final byte[] channel;
  private final String flushWatchPrefix;
  private final byte[] sender;
  private final String clientName;
  private final long timeoutNanos;
  private final CircuitBreaker breaker;
  private final ClientResources resources;
  /** Whether {@link #resources} are this tier's own (else the application's: never shut down). */
  private final boolean ownsResources;
  private final AbstractRedisClient client;
  private final StatefulConnection<byte[], byte[]> connection;
  private final RedisClusterAsyncCommands<byte[], byte[]> commands;
  private final StatefulRedisPubSubConnection<byte[], byte[]> pubSub;
  /** Cluster only: one flush-watch connection per master (a flush is per node). */
  private @Nullable MasterFlushWatch flushWatch;
  /** Cluster only: the subscription to Lettuce's topology-changed events. */
  private @Nullable Disposable topologyEvents;
  /** Cluster only: numbers the topologies seen, so that the watch never follows an older one. */
  private final AtomicLong topologies = new AtomicLong();
  private final Events events;
  private final String fillSha;
  private final String writeSha;
  private final String renewSha;
  final LongAdder errors = new LongAdder();
  final LongAdder timeouts = new LongAdder();

  RedisTier(
      RedisURI uri,
      boolean cluster,
      String namespace,
      Duration timeout,
      CircuitBreaker breaker,
      byte[] sender,
      Events events,
      Duration topologyRefresh,
      @Nullable ClientResources shared) {
    this.scanPattern = globEscape(namespace) + ":{*";
    this.channel = ("asynccache:" + namespace).getBytes(StandardCharsets.UTF_8);
    // A prefix no key ever has: tracking in broadcast mode on it sends nothing but the null-key
    // invalidation Redis pushes to every tracking client on FLUSHALL / FLUSHDB.
    this.flushWatchPrefix = "asynccache-flush-watch:" + namespace + ":";
    this.sender = sender.clone();
    this.timeoutNanos = timeout.toNanos();
    this.breaker = breaker;
    this.events = events;
    // The URI's timeout bounds the connection handshake (commands are bounded by TimeoutOptions
    // and by our own wait): give a busy machine time to connect.
    Duration connect = timeout.compareTo(CONNECT_TIMEOUT) < 0 ? CONNECT_TIMEOUT : timeout;
    // Named, so that operators (and tests) can tell a cache's connections in CLIENT LIST.
    this.clientName = clientName(namespace, sender);
    RedisURI u = RedisURI.builder(uri).withTimeout(connect).withClientName(clientName).build();
    // Reconnect quickly after an outage: 10 ms doubling up to 1 s (Lettuce's default reaches 30 s).
    this.ownsResources = shared == null;
    this.resources =
        shared != null
            ? shared
            : ClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(
                    Delay.exponential(
                        Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
                .build();
    SocketOptions socket = SocketOptions.builder().connectTimeout(connect).build();
    StatefulConnection<byte[], byte[]> conn = null;
    StatefulRedisPubSubConnection<byte[], byte[]> ps = null;
    AbstractRedisClient c = null;
    try {
      if (cluster) {
        RedisClusterClient cc = RedisClusterClient.create(resources, u);
        c = cc;
        cc.setOptions(
            ClusterClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(socket)
                // Follow failovers and new masters: a periodic refresh (an idle JVM sees no MOVED)
                // and the adaptive triggers (MOVED, ASK, reconnects), at most one per period.
                .topologyRefreshOptions(
                    ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(topologyRefresh)
                        .enableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(topologyRefresh)
                        .build())
                .build());
        StatefulRedisClusterConnection<byte[], byte[]> cconn = cc.connect(ByteArrayCodec.INSTANCE);
        conn = cconn;
        // Connect to every master now: Lettuce opens node connections on first use, and while one
        // is being opened the REJECT_COMMANDS behaviour would fail the commands sent to it. Slot
        // routing keys node connections by host and port (not node id), hence this form.
        for (RedisClusterNode node : cc.getPartitions()) {
          if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
            cconn.getConnection(node.getUri().getHost(), node.getUri().getPort());
          }
        }
        this.commands = cconn.async();
        ps = cc.connectPubSub(ByteArrayCodec.INSTANCE);
        MasterFlushWatch watch =
            new MasterFlushWatch(resources, socket, u, flushWatchPrefix, events);
        flushWatch = watch;
        // Subscribed before the first look at the topology, so that no change falls in between.
        topologyEvents =
            resources
                .eventBus()
                .get()
                .subscribe(
                    event -> {
                      // Shared client resources carry every client's events: follow ours only.
                      if (event instanceof ClusterTopologyChangedEvent changed
                          && ofThisCluster(cc.getPartitions(), changed)) {
                        try {
                          onTopologyChanged(
                              cconn, watch, topologies.incrementAndGet(), changed.after());
                        } catch (RuntimeException e) {
                          // Keep the subscription (an exception here would end it); the next
                          // change is followed again. Meanwhile a flush may go unseen: drop L1.
                          events.lost("following a topology change failed: " + e);
                        }
                      }
                    });
        watch.start(cc.getPartitions(), connect);
        watch.follow(topologies.incrementAndGet(), cc.getPartitions());
      } else {
        RedisClient rc = RedisClient.create(resources, u);
        c = rc;
        rc.setOptions(
            ClientOptions.builder()
                .autoReconnect(true)
                // While disconnected, fail at once (the breaker counts it) instead of queueing.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(socket)
                .build());
        StatefulRedisConnection<byte[], byte[]> sconn = rc.connect(ByteArrayCodec.INSTANCE);
        conn = sconn;
        this.commands = sconn.async();
        ps = rc.connectPubSub(ByteArrayCodec.INSTANCE);
      }
      StatefulRedisPubSubConnection<byte[], byte[]> subscriber = ps;
      AtomicBoolean first = new AtomicBoolean(true);
      byte[] ch = channel;
      ps.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(byte[] from, byte[] message) {
              if (Arrays.equals(from, ch)) {
                events.message(message);
              }
            }

            @Override
            public void subscribed(byte[] to, long count) {
              // Lettuce resubscribes after a reconnect: whatever was published meanwhile is lost.
              // Tracking (the FLUSHALL watch) is per connection: arm it again, then flush, so a
              // flush of Redis between the reconnect and the arming cannot be missed.
              if (Arrays.equals(to, ch) && !first.compareAndSet(true, false)) {
                armFlushWatch(subscriber)
                    .whenComplete((ok, failed) -> events.lost("notification channel resubscribed"));
              }
            }
          });
      ps.addListener(
          (PushListener)
              push -> {
                if ("invalidate".equals(push.getType())) {
                  events.lost("Redis was flushed (FLUSHALL / FLUSHDB)");
                }
              });
      ps.addListener(
          new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
              events.lost("notification connection lost");
            }
          });
      ps.sync().subscribe(channel);
      armFlushWatch(ps).get(connect.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException | ExecutionException | TimeoutException e) {
      closeWatchers();
      closeQuietly(ps, conn, c, ownsResources ? resources : null);
      throw new RedisCacheException(
          "cannot connect to Redis at redisUri "
              + uri.getHost()
              + ":"
              + uri.getPort()
              + (cluster ? " (a Cluster seed node)" : ""),
          e instanceof ExecutionException ? e.getCause() : e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeWatchers();
      closeQuietly(ps, conn, c, ownsResources ? resources : null);
      throw new RedisCacheException("interrupted while connecting to Redis", e);
    }
    this.client = c;
    this.connection = conn;
    this.pubSub = ps;
    this.fillSha = commands.digest(FILL);
    this.writeSha = commands.digest(WRITE);
    this.renewSha = commands.digest(RENEW);
  }

  /**
   * Whether a topology event describes the cluster whose nodes are {@code known}: an event of
   * another client on shared {@code ClientResources} (another cluster) names none of its nodes.
   */
  static boolean ofThisCluster(Iterable<RedisClusterNode> known, ClusterTopologyChangedEvent e) {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (RedisClusterNode node : known) {
      ids.add(node.getNodeId());
    }
    for (List<RedisClusterNode> side : List.of(e.before(), e.after())) {
      for (RedisClusterNode node : side) {
        if (ids.contains(node.getNodeId())) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Cluster, on a Lettuce thread: the topology changed (a failover, a master added or removed, slots
   * moved). Connects the command connection to new masters at once (a command sent while a node
   * connection is still being opened would be rejected) and moves the flush watch to the current
   * masters, which drops L1 when they changed.
   */
  private static void onTopologyChanged(
      StatefulRedisClusterConnection<byte[], byte[]> commands,
      MasterFlushWatch watch,
      long sequence,
      List<RedisClusterNode> nodes) {
    List<CompletableFuture<?>> connected = new ArrayList<>();
    for (RedisClusterNode node : nodes) {
      if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)
          && !node.hasNoSlots()
          && node.getUri() != null
          // A node the cluster holds for dead would hold the watch up for a connect timeout.
          && !node.is(RedisClusterNode.NodeFlag.FAIL)
          && !node.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL)) {
        connected.add(
            commands.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()));
      }
    }
    // L1 is dropped (by the watch) only once commands can reach the new masters: a read after the
    // drop then finds Redis's value instead of failing over to the loader. A node that cannot be
    // reached fails the command that needs it, which the breaker counts.
    CompletableFuture.allOf(connected.toArray(new CompletableFuture<?>[0]))
        .whenComplete((ok, failed) -> watch.follow(sequence, nodes));
  }

  /** Turns on broadcast tracking of a prefix no key has: Redis then tells us of every flush. */
  private CompletableFuture<String> armFlushWatch(StatefulRedisConnection<byte[], byte[]> ps) {
    return ps.async()
        .clientTracking(TrackingArgs.Builder.enabled().bcast().prefixes(flushWatchPrefix))
        .toCompletableFuture();
  }

  private void closeWatchers() {
    Disposable events = topologyEvents;
    if (events != null) {
      events.dispose();
    }
    MasterFlushWatch watch = flushWatch;
    if (watch != null) {
      watch.close();
    }
  }

  private static void closeQuietly(
      @Nullable StatefulConnection<?, ?> ps,
      @Nullable StatefulConnection<?, ?> conn,
      @Nullable AbstractRedisClient c,
      @Nullable ClientResources resources) {
    try {
      if (ps != null) {
        ps.close();
      }
      if (conn != null) {
        conn.close();
      }
    } catch (RuntimeException ignored) {
      // closing after a failure
    }
    if (c != null) {
      shutdown(c, resources);
    } else if (resources != null) {
      resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }

  /** The prefix of a namespace's value names. */
  static byte[] prefix(String namespace) {
    return (namespace + ":{").getBytes(StandardCharsets.UTF_8);
  }

  /** The name a cache's connections carry in {@code CLIENT LIST}. */
  static String clientName(String namespace, byte[] sender) {
    return "asynccache-" + namespace + "-" + HexFormat.of().formatHex(sender, 0, 4);
  }

  /** The name this tier's connections carry in {@code CLIENT LIST}. */
  String clientName() {
    return clientName;
  }

  /** The Redis names of {@code key} in a namespace whose value prefix is {@code prefix}. */
  static Keys keys(byte[] prefix, byte[] key) {
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


  /**
   * The stored bytes of a value (see {@link StoredValue}; null if absent): one {@code GET}, so an
   * L2 hit is one command, as a plain {@code GET} is. The remaining time to live is in the bytes.
   */
  byte @Nullable [] read(Keys k) throws RedisUnavailable, InterruptedException {
    allow();
    return await(commands.get(k.value()));
  }

  /**
   * The stored bytes of many values in one MGET (Lettuce splits it by hash slot in a Cluster and
   * sends the parts to their nodes at once): one round trip per node. Null where absent.
   */
  List<byte @Nullable []> readMany(List<Keys> keys) throws RedisUnavailable, InterruptedException {
    allow();
    byte[][] names = new byte[keys.size()][];
    for (int i = 0; i < names.length; i++) {
      names[i] = keys.get(i).value();
    }
    List<KeyValue<byte[], byte[]>> values = await(commands.mget(names));
    List<byte @Nullable []> reads = new ArrayList<>(names.length);
    for (KeyValue<byte[], byte[]> kv : values) {
      reads.add(kv.hasValue() ? kv.getValue() : null);
    }
    return reads;
  }

  /**
   * SET lease token NX PX, then GET of the value, pipelined. The read closes a race: a holder that
   * stored the value and dropped its lease between our miss and our lease; Redis runs the GET after
   * our SET, so it sees that value.
   */
  Lease lease(Keys k, byte[] token, long leaseMillis)
      throws RedisUnavailable, InterruptedException {
    return leaseMany(List.of(k), List.of(token), leaseMillis).get(0);
  }

  /** {@link #lease} for many keys, all pipelined. */
  List<Lease> leaseMany(List<Keys> keys, List<byte[]> tokens, long leaseMillis)
      throws RedisUnavailable, InterruptedException {
    allow();
    int n = keys.size();
    List<RedisFuture<String>> sets = new ArrayList<>(n);
    List<RedisFuture<byte[]>> gets = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Keys k = keys.get(i);
      sets.add(commands.set(k.lease(), tokens.get(i), SetArgs.Builder.nx().px(leaseMillis)));
      gets.add(commands.get(k.value()));
    }
    List<Lease> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      boolean acquired = "OK".equals(await(sets.get(i)));
      out.add(new Lease(acquired, await(gets.get(i))));
    }
    return out;
  }

  /**
   * Flags that a JVM waits for this key's lease holder, then reads the value's stored bytes
   * (pipelined; null if absent).
   */
  byte @Nullable [] flagAndRead(Keys k, long leaseMillis)
      throws RedisUnavailable, InterruptedException {
    allow();
    RedisFuture<String> flag = commands.set(k.waitFlag(), ONE, SetArgs.Builder.px(leaseMillis));
    RedisFuture<byte[]> get = commands.get(k.value());
    await(flag);
    return await(get);
  }

  /**
   * One lease holder's outcome for {@link #fillMany}: {@code value} is the stored form ({@link
   * StoredValue}), {@code replacing} the stored bytes read that could not be decoded.
   */
  record Fill(Keys keys, byte[] token, byte @Nullable [] value, long ttlMillis, byte[] replacing) {
    /** Drops the lease (if still held with {@code token}) and stores nothing. */
    static Fill release(Keys keys, byte[] token) {
      return new Fill(keys, token, null, 0, EMPTY);
    }
  }

  /**
   * Stores (value non-null) unless another value was written meanwhile (the undecodable bytes
   * {@code replacing}, if not empty, may be overwritten), and releases the lease if still ours;
   * tells waiters.
   */
  boolean fill(Keys k, byte[] token, byte @Nullable [] value, long ttlMillis, byte[] replacing)
      throws RedisUnavailable, InterruptedException {
    return fillMany(List.of(new Fill(k, token, value, ttlMillis, replacing))) == 1;
  }

  /** {@link #fill} of many keys, pipelined; returns how many leases were still ours. */
  int fillMany(List<Fill> fills) throws RedisUnavailable, InterruptedException {
    allow();
    List<CompletableFuture<Long>> results = new ArrayList<>(fills.size());
    for (Fill f : fills) {
      Keys k = f.keys();
      byte[][] keys = {k.value(), k.lease(), k.waitFlag()};
      byte[][] args = {
        f.token(),
        f.value() == null ? ZERO : ONE,
        f.value() == null ? EMPTY : f.value(),
        Long.toString(Math.max(f.ttlMillis(), 0)).getBytes(StandardCharsets.US_ASCII),
        channel,
        message(FILLED, k.key()),
        f.replacing()
      };
      results.add(script(fillSha, FILL, keys, args));
    }
    int owned = 0;
    for (CompletableFuture<Long> r : results) {
      if (await(r) == 1L) {
        owned++;
      }
    }
    return owned;
  }

  /**
   * Extends the lease to {@code leaseMillis} if it still holds {@code token}, asynchronously (the
   * watchdog's call: it bypasses the circuit breaker, and Lettuce's command timeout bounds it).
   * Completes with whether the lease was still ours.
   */
  CompletableFuture<Boolean> renew(Keys k, byte[] token, long leaseMillis) {
    byte[][] keys = {k.lease()};
    byte[][] args = {token, Long.toString(leaseMillis).getBytes(StandardCharsets.US_ASCII)};
    return script(renewSha, RENEW, keys, args).thenApply(r -> r == 1L);
  }

  /**
   * Sets (value non-null: its stored form, {@link StoredValue}) or deletes; revokes the lease;
   * notifies every JVM.
   */
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
    return await(script(writeSha, WRITE, keys, args));
  }

  /**
   * Removes every key of the namespace (values, leases, wait flags; on every master of a
   * Cluster), then tells every JVM to clear its L1. Returns the number of keys removed.
   */
  long clearNamespace() throws RedisUnavailable, InterruptedException {
    allow();
    ScanArgs args = ScanArgs.Builder.matches(scanPattern).limit(1000);
    long removed = 0;
    KeyScanCursor<byte[]> cursor = await(commands.scan(args));
    while (true) {
      List<byte[]> found = cursor.getKeys();
      if (!found.isEmpty()) {
        removed += await(commands.unlink(found.toArray(new byte[0][])));
      }
      if (cursor.isFinished()) {
        break;
      }
      cursor = await(commands.scan(cursor, args));
    }
    await(commands.publish(channel, message(CLEAR, EMPTY)));
    return removed;
  }

  private CompletableFuture<Long> script(
      String sha, String source, byte[][] keys, byte[][] args) {
    return commands
        .<Long>evalsha(sha, ScriptOutputType.INTEGER, keys, args)
        .toCompletableFuture()
        .handle(
            (result, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(result);
              }
              Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
              if (cause instanceof RedisNoScriptException) {
                // First use on this server (or after a restart / SCRIPT FLUSH): send the source.
                return commands
                    .<Long>eval(source, ScriptOutputType.INTEGER, keys, args)
                    .toCompletableFuture();
              }
              return CompletableFuture.<Long>failedFuture(cause);
            })
        .thenCompose(f -> f);
  }

  private void allow() throws RedisUnavailable {
    if (!breaker.allowRequest()) {
      throw new RedisUnavailable("circuit breaker open");
    }
  }

  private <T> T await(CompletionStage<T> stage) throws RedisUnavailable, InterruptedException {
    CompletableFuture<T> f = stage.toCompletableFuture();
    try {
      T result = f.get(timeoutNanos, TimeUnit.NANOSECONDS);
      breaker.onSuccess();
      return result;
    } catch (ExecutionException e) {
      throw failed(e);
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
      closeWatchers();
      pubSub.close();
      connection.close();
    } finally {
      shutdown(client, ownsResources ? resources : null);
    }
  }

  /** Escapes the glob characters of SCAN MATCH. */
  static String globEscape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /** Shuts the client down, and {@code resources} unless null (the application's own). */
  private static void shutdown(AbstractRedisClient client, @Nullable ClientResources resources) {
    try {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    } finally {
      if (resources != null) {
        resources.shutdown(0, 2, TimeUnit.SECONDS);
      }
    }
  }
}
