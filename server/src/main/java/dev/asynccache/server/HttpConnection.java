package dev.asynccache.server;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.http.DateTime;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One client connection, HTTP/1.1 and HTTP/1.0, parsed here rather than by Helidon's HTTP/1
 * connection so that every byte's meaning is decided in one place. Helidon's listener still
 * accepts the socket, calls {@link #handle} on a virtual thread and closes the socket when it
 * returns.
 *
 * <p>Two ways to serve, one parser. With {@link EventLoops} (the default), the virtual thread puts
 * the socket in non-blocking mode, gives it to a loop and parks; the loop reads and serves every
 * request under {@code /cache/} that is whole in what it read (head and body, no chunked body, no
 * {@code Expect}), and keeps a response the client does not take at once until it does. The first
 * other request (not whole, or another route) and a response that closes with request bytes unread
 * hand the connection back: the loop forgets the socket, the thread puts it in blocking mode and
 * goes on with the blocking parser where the loop stopped, nothing done twice ({@link
 * #serveInLoop}). Without loops, or after a hand-back, the first {@link #PLATFORM_CONNECTIONS}
 * connections at a time are served on a platform thread of their own, which the virtual thread
 * waits for.
 *
 * <p>The rules that close holes:
 *
 * <ul>
 *   <li><b>Framing is strict.</b> Lines end in CRLF; header names are tokens with no space before
 *       the colon; no obs-fold; no control characters; {@code Content-Length} is digits only and
 *       never disagrees with itself; {@code Transfer-Encoding} is exactly {@code chunked} (another
 *       coding: 501) and never comes with {@code Content-Length} or in HTTP/1.0; chunk sizes are hex
 *       digits, chunk extensions visible characters, each chunk followed by CRLF. Anything else is a
 *       400 (431/414/505 where they fit) that closes the connection, without a log line.
 *   <li><b>A response that leaves a request body unread closes the connection</b> (413, a refused
 *       key or ttl, a route that takes no body...), so unread bytes are never parsed as further
 *       requests. It closes lingering: half-close, then read and discard the client's bytes for a
 *       bounded time and size ({@link #LINGER_MILLIS}, {@link #LINGER_BYTES}), so that the kernel
 *       does not reset the connection under the response. So does {@code Connection: close} from the client, and HTTP/1.0 without
 *       {@code Connection: keep-alive}.
 *   <li><b>Time is bounded per phase</b> by {@link Connections}: waiting for a request (idle
 *       timeout), receiving its head (header timeout), receiving its body and sending the response
 *       (body timeout), each measured from the start of the phase, however the client paces its
 *       bytes.
 *   <li><b>HEAD</b> is GET without the body (same status and headers, {@code Content-Length} of the
 *       body GET would send).
 * </ul>
 *
 * <p>Responses to pipelined requests are gathered and written together when the connection is
 * about to wait for more input.
 */
final class HttpConnection implements ServerConnection {
  private static final System.Logger LOG = System.getLogger(HttpConnection.class.getName());
  private static final int MAX_REQUEST_LINE = 8192;
  private static final int MAX_HEAD = 16384;
  private static final int MAX_HEADER_LINES = 100;
  private static final int MAX_CHUNK_LINE = 1024;
  private static final int SMALL_BODY = 8192;
  /** The size of a connection's read buffer (a larger body is read straight into its value). */
  private static final int READ_BUFFER = 4096;
  /**
   * Lingering close (as nginx's {@code lingering_close} and Tomcat's swallowing of an unread body):
   * after a response that leaves request bytes unread, the server half-closes and reads and
   * discards input for at most {@value #LINGER_MILLIS} ms (enforced by {@link Connections}, so up to
   * one tick later) and {@value #LINGER_BYTES} bytes before it closes. Closing at once with bytes
   * unread makes the kernel answer with a reset, which can destroy the response before the client
   * reads it, and fails a client still writing its body. The discarded bytes are never parsed.
   */
  static final long LINGER_MILLIS = 2_000;
  /** See {@link #LINGER_MILLIS}. */
  static final long LINGER_BYTES = 1 << 20;
  private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY = new byte[0];
  private static final byte[][] STATUS_LINES = new byte[600][];
  private static final byte[] DATE = "Date: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONTENT_LENGTH = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONTENT_TYPE = "Content-Type: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONTENT_TYPE_OCTETS =
      ("Content-Type: " + Reply.OCTETS + "\r\n").getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ALLOW = "Allow: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] KEEP_ALIVE = "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CRLF = {'\r', '\n'};
  private static final boolean[] TCHAR = new boolean[128];
  private static final VarHandle DEADLINE;
  private static final AtomicLong NEXT_ERROR_LOG = new AtomicLong();

  static {
    for (int s : new int[] {200, 204, 400, 404, 405, 408, 413, 414, 431, 500, 501, 503, 505}) {
      STATUS_LINES[s] = ("HTTP/1.1 " + s + " " + Reply.reason(s) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }
    for (char c = '0'; c <= '9'; c++) TCHAR[c] = true;
    for (char c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
    for (char c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
    for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
    try {
      DEADLINE = MethodHandles.lookup().findVarHandle(HttpConnection.class, "deadline", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** What the connections of one server share. */
  record Settings(
      CacheRoutes routes,
      RequestGate gate,
      Connections connections,
      long idleNanos,
      long headerNanos,
      long bodyNanos,
      @Nullable EventLoops loops) {}

  /** A request that cannot be served: answered with {@code status} and closed. */
  private static final class HttpError extends Exception {
    final int status;

    HttpError(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** The client closed (or reset) the connection. */
  private static class ClientGone extends Exception {
    ClientGone() {
      super(null, null, false, false);
    }
  }

  private static final ClientGone CLIENT_GONE = new ClientGone();

  /**
   * In an event loop: the request is for the connection's own thread (not whole in the buffer, or
   * not a cache route); nothing of it has been done yet.
   */
  private static final class NotForLoop extends ClientGone {}

  private static final NotForLoop NOT_FOR_LOOP = new NotForLoop();

  // how a connection leaves its event loop (handBack)
  private static final int LOOP_SERVE = 1; // its thread goes on serving (output first)
  private static final int LOOP_FINISH = 2; // its thread sends what is left, lingers if asked, closes
  private static final int LOOP_ABORT = 3; // closed now (client gone, a deadline, the server stopping)

  private final Settings settings;
  private final HelidonSocket socket;
  private final DataReader helidonReader;

  // input: buf[pos, lim) is read and not yet parsed
  private byte[] buf = EMPTY;
  private int pos;
  private int lim;
  // the connection's own read buffer (made on the first read), reused by every read that keeps
  // nothing of the previous input: the common request costs no input allocation
  private byte @Nullable [] readBuf;
  private @Nullable BufferData readData;
  // output gathered for one write, and the BufferData over it that the socket writes from
  private byte[] out = new byte[512];
  private BufferData outData = BufferData.create(out, 0, out.length);
  private int outLen;
  // the key of a GET or HEAD, looked up where it lies in buf
  private final KeyProbe keyProbe = new KeyProbe();

  // in an event loop (see enterLoop): the non-blocking channel and what it could not take yet
  private boolean inLoop;
  private @Nullable EventLoop loop;
  private @Nullable SocketChannel channel;
  private @Nullable SelectionKey key;
  private @Nullable ByteBuffer loopIn;
  private @Nullable ByteBuffer loopOut;
  private final ArrayDeque<ByteBuffer> pendingOut = new ArrayDeque<>();
  private long writeSince;
  private boolean released; // on the loop's thread: release() was called
  private int leaving; // the outcome release() chose, delivered to handBack once the loop forgot the channel
  private volatile int handBack;
  private volatile boolean releaseAsked;

  private volatile Thread thread;
  @SuppressWarnings("unused") // through DEADLINE: 0 = none, -1 = expired (the thread is interrupted)
  private volatile long deadline;
  private volatile boolean canRun = true;
  private volatile boolean idle;
  private volatile long lastActivity = System.nanoTime();

  // the request being read
  private String method;
  // the request target is buf[targetStart, targetEnd) until the body is read
  private int targetStart;
  private int targetEnd;
  // fill() keeps buf[keepFrom, lim) (the target, while the rest of the head is read), or -1: [pos, lim)
  private int keepFrom = -1;
  private boolean http10;
  private boolean keepAlive;
  private long contentLength;
  private boolean chunked;
  private boolean expectContinue;
  // the connection closes after the response with request bytes possibly unread: linger
  private boolean lingerOnClose;

  HttpConnection(Settings settings, ConnectionContext ctx) {
    this.settings = settings;
    this.socket = ctx.serverSocket();
    this.helidonReader = ctx.dataReader();
  }

  @Override
  public void handle(Limit limit) {
    // Counted at once, before a thread is started for it: /health and the cap see it accepted.
    settings.connections().add(this);
    try {
      thread = Thread.currentThread();
      adoptBufferedInput();
      EventLoops loops = settings.loops();
      EventLoop l = loops == null ? null : loops.next();
      if (l == null || !serveInLoop(l)) {
        serveOnSomeThread();
      }
    } finally {
      settings.connections().remove(this);
    }
  }

  private void serveOnSomeThread() {
    // Helidon runs this on a virtual thread; the first PLATFORM_CONNECTIONS connections move to a
    // platform thread of their own (see there), the others stay.
    if (PLATFORM_SLOTS != null && PLATFORM_SLOTS.tryAcquire()) {
      try {
        Thread t;
        try {
          t = Thread.ofPlatform().name("async-cache-connection").daemon().stackSize(PLATFORM_STACK).start(this::serve);
        } catch (OutOfMemoryError e) { // "unable to create native thread": serve it here
          t = null;
        }
        if (t != null) {
          boolean interrupted = false;
          while (true) {
            try {
              t.join();
              break;
            } catch (InterruptedException e) {
              interrupted = true; // Helidon stopping: the serving thread gets it
              t.interrupt();
            }
          }
          if (interrupted) {
            Thread.currentThread().interrupt();
          }
          return;
        }
      } finally {
        PLATFORM_SLOTS.release();
      }
    }
    serve();
  }

  /**
   * How many connections at once are served on a platform thread each (system property
   * {@code asynccache.platformConnections}, default {@value #DEFAULT_PLATFORM_CONNECTIONS}; 0: all on
   * virtual threads). A read that waits on a virtual thread costs a failed {@code read} (EAGAIN), a
   * registration with the JDK's poller, a park, and a wake-up by the poller and then a carrier
   * thread; on a platform thread it is one blocking {@code read} that the kernel wakes. Side by side
   * with Redis this moved requests per second by about half (perf/RESULTS.md). Beyond the limit,
   * connections stay on Helidon's virtual threads, so thousands of idle or slow clients cost no
   * platform threads.
   */
  static final int PLATFORM_CONNECTIONS =
      Math.max(0, Integer.getInteger("asynccache.platformConnections", HttpConnection.DEFAULT_PLATFORM_CONNECTIONS));

  static final int DEFAULT_PLATFORM_CONNECTIONS = 256;
  private static final long PLATFORM_STACK = 256 << 10;
  private static final java.util.concurrent.Semaphore PLATFORM_SLOTS =
      PLATFORM_CONNECTIONS > 0 ? new java.util.concurrent.Semaphore(PLATFORM_CONNECTIONS) : null;

  private void serve() {
    thread = Thread.currentThread();
    Connections connections = settings.connections();
    try {
      while (canRun) {
        idle = true;
        arm(settings.idleNanos());
        if (pos == lim && !fill()) {
          return; // the client closed between requests
        }
        idle = false;
        lastActivity = connections.now();
        arm(settings.headerNanos());
        if (!serveOne()) {
          if (lingerOnClose) {
            linger();
          }
          return;
        }
      }
    } catch (ClientGone | UncheckedIOException | IllegalStateException e) {
      // the client went away, a deadline closed the channel, or the listener is stopping: nothing to say
    } catch (RuntimeException e) {
      logUnexpected(e);
    } finally {
      try {
        flushQuietly();
      } finally {
        DEADLINE.setVolatile(this, 0L);
        Thread.interrupted(); // a late deadline interrupt must not outlive this connection
      }
    }
  }

  /** Reads one request and answers it; returns whether the connection stays open. */
  private boolean serveOne() throws ClientGone {
    try {
      readHead();
      if (inLoop
          && (chunked || expectContinue || contentLength > lim - pos
              || !CacheRoutes.isCacheTarget(buf, targetStart, targetEnd))) {
        // Nothing done yet: the thread reads the rest and serves it. /health, /stats and /metrics
        // go to the thread too: they read the process's open files and build reports, which must
        // not hold up the loop's other connections.
        throw NOT_FOR_LOOP;
      }
    } catch (HttpError e) {
      keepFrom = -1;
      settings.gate().count(e.status);
      write(Reply.error(e.status, e.getMessage()).closing(), false);
      lingerOnClose = true; // the rest of the request (a body, more lines) may be on its way
      return false;
    }
    RequestGate gate = settings.gate();
    int status = 0;
    if (!gate.enter()) {
      keepFrom = -1;
      try {
        status = 503;
        lingerOnClose = chunked || contentLength > 0 || pos < lim;
        write(Reply.shuttingDown(), method.equals("HEAD"));
        return false;
      } finally {
        gate.exit(status);
      }
    }
    try {
      boolean head = method.equals("HEAD");
      boolean bodyUnread = chunked || contentLength > 0;
      Reply reply;
      byte[] hit = null;
      try {
        Object route = settings.routes().route(method, buf, targetStart, targetEnd, keyProbe);
        keepFrom = -1;
        if (route instanceof CacheRoutes.Put put) {
          byte[] value = null;
          int max = settings.routes().valueLimit(put);
          if (contentLength > max || max < 0) {
            reply = settings.routes().tooLarge(put, contentLength + " bytes");
          } else {
            arm(settings.bodyNanos());
            if (expectContinue) {
              append(CONTINUE);
            }
            try {
              value = chunked ? readChunked(Math.max(max, 0)) : readExactly((int) Math.max(contentLength, 0));
              bodyUnread = value == null;
              reply = value == null ? settings.routes().tooLarge(put, "more than " + max + " bytes") : settings.routes().store(put, value);
            } catch (HttpError e) {
              reply = Reply.error(e.status, e.getMessage()).closing();
            }
          }
        } else if (route instanceof byte[] value) {
          hit = value;
          reply = null;
        } else {
          reply = (Reply) route;
        }
      } catch (RuntimeException e) {
        keepFrom = -1;
        logUnexpected(e);
        reply = Reply.error(500, "internal error: " + e.getClass().getSimpleName()).closing();
      }
      if (hit != null) {
        if (!bodyUnread && keepAlive && canRun) {
          // the common GET: written from the value, with no reply object
          status = 200;
          lingerOnClose = false;
          arm(settings.bodyNanos());
          write(200, Reply.OCTETS, hit, null, false, head);
          return true;
        }
        reply = Reply.ok(Reply.OCTETS, hit);
      }
      if (bodyUnread || !keepAlive || !canRun) {
        reply = reply.closing();
      }
      status = reply.status();
      lingerOnClose = reply.close() && (bodyUnread || pos < lim);
      arm(settings.bodyNanos());
      write(reply, head);
      return !reply.close();
    } finally {
      gate.exit(status);
    }
  }

  /**
   * The lingering close (see {@link #LINGER_MILLIS}): the response is sent, the output shut down,
   * and input read and dropped until the client closes, or the bytes or the time run out.
   */
  private void linger() throws ClientGone {
    flush();
    HelidonSockets.shutdownOutput(socket);
    arm(TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS));
    long discarded = lim - pos;
    pos = lim;
    while (discarded < LINGER_BYTES) {
      byte[] got;
      try {
        got = socket.get();
      } catch (UncheckedIOException e) {
        return; // reset by the client, or closed by the deadline
      }
      if (got == null) {
        return; // the client closed: a clean close on both sides
      }
      discarded += got.length;
    }
  }

  // ---------------------------------------------------------------- head

  private void readHead() throws HttpError, ClientGone {
    // RFC 9112 2.2: ignore at least one empty line before the request line.
    for (int i = 0; i < 4 && startsWithCrlf(); i++) {
      pos += 2;
    }
    int eol = lineEnd(MAX_REQUEST_LINE, 414, "request line");
    parseRequestLine(pos, eol);
    int headBytes = eol + 2 - pos;
    pos = eol + 2;
    contentLength = -1;
    chunked = false;
    expectContinue = false;
    boolean close = false;
    boolean keepAliveAsked = false;
    int hosts = 0;
    String transferEncoding = null;
    for (int lines = 0; ; lines++) {
      if (lines > MAX_HEADER_LINES) {
        throw new HttpError(431, "more than " + MAX_HEADER_LINES + " header lines");
      }
      int max = MAX_HEAD - headBytes;
      if (max <= 0) {
        throw new HttpError(431, "request head over " + MAX_HEAD + " bytes");
      }
      int end = lineEnd(max, 431, "request head");
      int start = pos;
      headBytes += end + 2 - start;
      pos = end + 2;
      if (end == start) {
        break;
      }
      byte first = buf[start];
      if (first == ' ' || first == '\t') {
        throw new HttpError(400, "obsolete line folding in the headers is not accepted");
      }
      int colon = start;
      while (colon < end && buf[colon] != ':') {
        byte c = buf[colon];
        if (c < 0 || !TCHAR[c]) {
          throw new HttpError(400, "malformed header line (a header name is a token followed by ':')");
        }
        colon++;
      }
      if (colon == end || colon == start) {
        throw new HttpError(400, "malformed header line (a header name is a token followed by ':')");
      }
      int vs = colon + 1;
      int ve = end;
      while (vs < ve && (buf[vs] == ' ' || buf[vs] == '\t')) vs++;
      while (ve > vs && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t')) ve--;
      for (int i = vs; i < ve; i++) {
        byte c = buf[i];
        if ((c >= 0 && c < 0x20 && c != '\t') || c == 0x7F) {
          throw new HttpError(400, "control character in a header value");
        }
      }
      int nameLength = colon - start;
      switch (nameLength) {
        case 4 -> {
          if (nameIs(start, "host")) {
            hosts++;
          }
        }
        case 6 -> {
          if (nameIs(start, "expect") && equalsIgnoreCase(vs, ve, "100-continue")) {
            expectContinue = true;
          }
        }
        case 10 -> {
          if (nameIs(start, "connection")) {
            String v = ascii(vs, ve).toLowerCase(Locale.ROOT);
            for (String token : v.split(",")) {
              String t = token.strip();
              close |= t.equals("close");
              keepAliveAsked |= t.equals("keep-alive");
            }
          }
        }
        case 14 -> {
          if (nameIs(start, "content-length")) {
            long n = parseLength(vs, ve);
            if (contentLength >= 0 && contentLength != n) {
              throw new HttpError(400, "conflicting Content-Length headers");
            }
            contentLength = n;
          }
        }
        case 17 -> {
          if (nameIs(start, "transfer-encoding")) {
            String v = ascii(vs, ve);
            transferEncoding = transferEncoding == null ? v : transferEncoding + "," + v;
          }
        }
        default -> {
          // not interpreted
        }
      }
    }
    if (transferEncoding != null) {
      if (http10) {
        throw new HttpError(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
      }
      if (contentLength >= 0) {
        throw new HttpError(400, "Transfer-Encoding and Content-Length must not both be sent");
      }
      String[] codings = transferEncoding.toLowerCase(Locale.ROOT).split(",", -1);
      if (!codings[codings.length - 1].strip().equals("chunked")) {
        throw new HttpError(400, "the last transfer coding of a request must be chunked");
      }
      if (codings.length > 1) {
        throw new HttpError(501, "only the chunked transfer coding is supported");
      }
      chunked = true;
    }
    if (!http10 && hosts != 1) {
      throw new HttpError(400, hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header");
    }
    keepAlive = http10 ? keepAliveAsked && !close : !close;
  }

  private void parseRequestLine(int start, int end) throws HttpError {
    int sp1 = indexOf(start, end, (byte) ' ');
    int sp2 = sp1 < 0 ? -1 : indexOf(sp1 + 1, end, (byte) ' ');
    if (sp1 <= start || sp2 <= sp1 + 1) {
      throw new HttpError(400, "malformed request line (expected: METHOD /path HTTP/1.1)");
    }
    for (int i = start; i < sp1; i++) {
      byte c = buf[i];
      if (c < 0 || !TCHAR[c]) {
        throw new HttpError(400, "malformed request line (the method is not a token)");
      }
    }
    if (buf[sp1 + 1] != '/') {
      throw new HttpError(400, "the request target must be a path starting with '/'");
    }
    for (int i = sp1 + 1; i < sp2; i++) {
      byte c = buf[i];
      if (c <= 0x20 || c >= 0x7F) {
        throw new HttpError(400, "the request target holds a byte that is not visible ASCII (percent-encode it)");
      }
    }
    int vl = end - sp2 - 1;
    if (vl == 8 && regionIs(sp2 + 1, "HTTP/1.1")) {
      http10 = false;
    } else if (vl == 8 && regionIs(sp2 + 1, "HTTP/1.0")) {
      http10 = true;
    } else if (vl == 8 && regionIs(sp2 + 1, "HTTP/") && isDigit(buf[sp2 + 6]) && buf[sp2 + 7] == '.' && isDigit(buf[sp2 + 8])) {
      throw new HttpError(505, "HTTP version " + ascii(sp2 + 6, end) + " is not supported (1.1 and 1.0 are)");
    } else {
      throw new HttpError(400, "malformed request line (expected: METHOD /path HTTP/1.1)");
    }
    method = method(start, sp1);
    targetStart = sp1 + 1;
    targetEnd = sp2;
    keepFrom = targetStart; // until it is routed: reading the headers may need more input
  }

  private String method(int start, int end) {
    int n = end - start;
    if (n == 3 && regionIs(start, "GET")) return "GET";
    if (n == 3 && regionIs(start, "PUT")) return "PUT";
    if (n == 4 && regionIs(start, "HEAD")) return "HEAD";
    if (n == 6 && regionIs(start, "DELETE")) return "DELETE";
    return ascii(start, end);
  }

  private static long parseLength(byte[] b, int start, int end) throws HttpError {
    if (start == end || end - start > 18) {
      throw new HttpError(400, "Content-Length must be a decimal number of at most 18 digits");
    }
    long n = 0;
    for (int i = start; i < end; i++) {
      byte c = b[i];
      if (c < '0' || c > '9') {
        throw new HttpError(400, "Content-Length must be a decimal number of at most 18 digits");
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  private long parseLength(int start, int end) throws HttpError {
    return parseLength(buf, start, end);
  }

  // ---------------------------------------------------------------- body

  private byte[] readExactly(int n) throws ClientGone, HttpError {
    byte[] value = new byte[n];
    int got = Math.min(n, lim - pos);
    System.arraycopy(buf, pos, value, 0, got);
    pos += got;
    if (got < n) {
      // The rest goes from the socket straight into the value (no intermediate arrays); bytes the
      // client sent after the body stay in the socket for the next read.
      flush(); // a 100 Continue, or gathered responses, before waiting for the client
      BufferData into = BufferData.create(value, 0, n).reset();
      into.write(value, 0, got); // the write position after the bytes already there
      while (got < n) {
        int r = readInto(into);
        if (r <= 0) {
          throw new HttpError(400, "request body ended after " + got + " of " + n + " bytes");
        }
        got += r;
      }
    }
    return value;
  }

  /** Reads a chunked body; null if it is over {@code max} (the rest is left unread). */
  private byte[] readChunked(int max) throws ClientGone, HttpError {
    byte[] value = new byte[Math.min(max, 1024)];
    int size = 0;
    while (true) {
      int end = chunkLineEnd();
      int i = pos;
      long chunk = 0;
      int digits = 0;
      while (i < end && Character.digit(buf[i], 16) >= 0) {
        chunk = chunk * 16 + Character.digit(buf[i], 16);
        i++;
        if (++digits > 8) {
          throw new HttpError(400, "malformed chunk size (more than 8 hex digits)");
        }
      }
      if (digits == 0) {
        throw new HttpError(400, "malformed chunk size (expected hex digits)");
      }
      while (i < end && (buf[i] == ' ' || buf[i] == '\t')) i++;
      if (i < end) {
        if (buf[i] != ';') {
          throw new HttpError(400, "malformed chunk size line");
        }
        for (; i < end; i++) {
          byte c = buf[i];
          if ((c >= 0 && c < 0x20 && c != '\t') || c == 0x7F) {
            throw new HttpError(400, "control character in a chunk extension");
          }
        }
      }
      pos = end + 2;
      if (chunk == 0) {
        skipTrailers();
        return Arrays.copyOf(value, size);
      }
      if (size + chunk > max) {
        return null;
      }
      int n = (int) chunk;
      if (size + n > value.length) {
        value = Arrays.copyOf(value, (int) Math.min(max, Math.max((long) value.length * 2, size + n)));
      }
      int copied = 0;
      while (copied < n) {
        if (pos == lim && !fill()) {
          throw new HttpError(400, "request body ended inside a chunk");
        }
        int take = Math.min(n - copied, lim - pos);
        System.arraycopy(buf, pos, value, size + copied, take);
        pos += take;
        copied += take;
      }
      size += n;
      while (lim - pos < 2) {
        if (!fill()) {
          throw new HttpError(400, "request body ended inside a chunk");
        }
      }
      if (buf[pos] != '\r' || buf[pos + 1] != '\n') {
        throw new HttpError(400, "chunk data not followed by CRLF (chunk size and data disagree)");
      }
      pos += 2;
    }
  }

  private int chunkLineEnd() throws ClientGone, HttpError {
    return lineEnd(MAX_CHUNK_LINE, 400, "chunk size line");
  }

  private void skipTrailers() throws ClientGone, HttpError {
    int total = 0;
    for (int lines = 0; lines <= MAX_HEADER_LINES; lines++) {
      int end = lineEnd(MAX_HEAD - total, 431, "trailer section");
      int start = pos;
      total += end + 2 - start;
      pos = end + 2;
      if (end == start) {
        return;
      }
    }
    throw new HttpError(431, "more than " + MAX_HEADER_LINES + " trailer lines");
  }

  // ---------------------------------------------------------------- input

  /** Takes over bytes Helidon may have read while choosing this connection type. */
  private void adoptBufferedInput() {
    int n = helidonReader.available();
    if (n > 0) {
      buf = helidonReader.readBytes(n);
      pos = 0;
      lim = n;
    }
  }

  /**
   * Returns the index of the CR of the next CRLF at or after {@code pos}, reading more as needed;
   * a line longer than {@code max} bytes is an error with {@code status}.
   */
  private int lineEnd(int max, int status, String what) throws HttpError, ClientGone {
    int scanned = 0; // bytes after pos already scanned (fill() may move pos and replace buf)
    while (true) {
      for (int i = pos + scanned; i < lim; i++) {
        byte c = buf[i];
        if (c == '\n') {
          if (i == pos || buf[i - 1] != '\r') {
            throw new HttpError(400, "a line of the " + what + " ends in a bare LF (CRLF expected)");
          }
          return i - 1;
        }
        if (c == '\r' && i + 1 < lim && buf[i + 1] != '\n') {
          throw new HttpError(400, "bare CR in the " + what);
        }
        if (i - pos >= max) {
          throw new HttpError(status, what + " longer than " + max + " bytes");
        }
      }
      scanned = lim - pos;
      if (lim - pos >= max) {
        throw new HttpError(status, what + " longer than " + max + " bytes");
      }
      if (!fill()) {
        throw CLIENT_GONE_ERROR;
      }
    }
  }

  private static final HttpError CLIENT_GONE_ERROR = new HttpError(400, "connection closed mid-request");

  /** The connection's own read buffer (and readData over it), made on the first read. */
  private byte[] ownReadBuffer() {
    byte[] rb = readBuf;
    if (rb == null) {
      readBuf = rb = new byte[READ_BUFFER];
      readData = BufferData.create(rb, 0, rb.length);
    }
    return rb;
  }

  /** Reads more input, keeping the unparsed bytes; false at the end of the stream. */
  private boolean fill() throws ClientGone {
    if (inLoop) {
      throw NOT_FOR_LOOP;
    }
    flush();
    int from = keepFrom >= 0 ? keepFrom : pos;
    if (from == lim) {
      // Nothing to keep: read into the connection's own buffer (whatever buf was).
      byte[] rb = ownReadBuffer();
      int n = readInto(readData.reset());
      if (n <= 0) {
        return false;
      }
      buf = rb;
      pos = 0;
      lim = n;
      return true;
    }
    // A request spans reads: the kept bytes and the new ones in a new array (buf may be readBuf).
    int left = lim - from;
    byte[] joined = new byte[left + READ_BUFFER];
    BufferData into = BufferData.create(joined, 0, joined.length).reset();
    into.write(buf, from, left);
    int n = readInto(into);
    if (n <= 0) {
      return false;
    }
    buf = joined;
    pos -= from;
    lim = left + n;
    if (keepFrom >= 0) {
      targetStart -= from;
      targetEnd -= from;
      keepFrom = 0;
    }
    return true;
  }

  /**
   * One blocking read from the socket into {@code into} (which has room); the number of bytes
   * read, 0 or less at the end of the stream (Helidon's NIO socket answers 0, its plain one -1).
   */
  private int readInto(BufferData into) throws ClientGone {
    try {
      return socket.read(into);
    } catch (UncheckedIOException e) {
      throw CLIENT_GONE;
    }
  }

  private boolean startsWithCrlf() throws ClientGone {
    while (lim - pos < 2) {
      if (lim - pos == 1 && buf[pos] != '\r') {
        return false;
      }
      if (!fill()) {
        return false;
      }
    }
    return buf[pos] == '\r' && buf[pos + 1] == '\n';
  }

  // ---------------------------------------------------------------- output

  private void write(Reply r, boolean head) throws ClientGone {
    write(r.status(), r.contentType(), r.body(), r.allow(), r.close(), head);
  }

  private void write(int status, @Nullable String contentType, byte[] body, @Nullable String allow, boolean close, boolean head)
      throws ClientGone {
    byte[] statusLine = STATUS_LINES[status];
    append(statusLine != null ? statusLine : ("HTTP/1.1 " + status + " " + Reply.reason(status) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    append(DATE);
    append(DateTime.http1Bytes());
    if (allow != null) {
      append(ALLOW);
      appendAscii(allow);
      append(CRLF);
    }
    if (close) {
      append(CLOSE);
    } else if (http10) {
      append(KEEP_ALIVE);
    }
    if (status != 204) {
      append(CONTENT_LENGTH);
      appendDecimal(body.length);
      append(CRLF);
    }
    if (contentType == Reply.OCTETS) { // the constant, as the routes use it: the common case
      append(CONTENT_TYPE_OCTETS);
    } else if (contentType != null) {
      append(CONTENT_TYPE);
      appendAscii(contentType);
      append(CRLF);
    }
    append(CRLF);
    if (!head && status != 204 && body.length > 0) {
      if (body.length <= SMALL_BODY) {
        append(body);
      } else {
        flush();
        if (inLoop) {
          loopWrite(body, 0, body.length, false);
        } else {
          writeSocket(BufferData.create(body));
        }
      }
    }
    // Keep gathering while pipelined requests wait in the buffer; write before blocking or closing.
    if (close || pos == lim || outLen > 65536) {
      flush();
    }
  }

  private void flush() throws ClientGone {
    if (inLoop) {
      if (outLen > 0) {
        int n = outLen;
        outLen = 0;
        loopWrite(out, 0, n, true);
      }
      return;
    }
    while (!pendingOut.isEmpty()) { // left by the event loop: sent first
      ByteBuffer b = pendingOut.poll();
      int from = b.arrayOffset() + b.position();
      writeSocket(BufferData.create(Arrays.copyOfRange(b.array(), from, from + b.remaining())));
    }
    if (outLen > 0) {
      int n = outLen;
      outLen = 0;
      // outData is a view of out: rewound to [0, n) without copying (write of out onto itself)
      BufferData data = outData.reset();
      data.write(out, 0, n);
      writeSocket(data);
    }
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (ClientGone | RuntimeException e) {
      // closing anyway
    }
  }

  private void writeSocket(BufferData data) throws ClientGone {
    try {
      socket.write(data);
    } catch (UncheckedIOException | io.helidon.common.socket.SocketWriterException e) {
      throw CLIENT_GONE;
    }
  }

  private void append(byte[] b) {
    ensureOut(b.length);
    System.arraycopy(b, 0, out, outLen, b.length);
    outLen += b.length;
  }

  private void appendDecimal(int n) {
    ensureOut(10);
    if (n == 0) {
      out[outLen++] = '0';
      return;
    }
    int digits = 0;
    for (int v = n; v > 0; v /= 10) digits++;
    int end = outLen + digits;
    for (int i = end - 1, v = n; i >= outLen; i--, v /= 10) {
      out[i] = (byte) ('0' + v % 10);
    }
    outLen = end;
  }

  private void appendAscii(String s) {
    int n = s.length();
    ensureOut(n);
    for (int i = 0; i < n; i++) {
      out[outLen++] = (byte) s.charAt(i);
    }
  }

  private void ensureOut(int more) {
    if (outLen + more > out.length) {
      out = Arrays.copyOf(out, Math.max(out.length * 2, outLen + more));
      outData = BufferData.create(out, 0, out.length);
      loopOut = null;
    }
  }

  // ---------------------------------------------------------------- deadlines

  /** Starts a phase that must end within {@code nanos}; throws if the previous one expired. */
  private void arm(long nanos) throws ClientGone {
    if (inLoop) {
      return; // the loop's sweep keeps the time (see sweep)
    }
    long d = (long) DEADLINE.getVolatile(this);
    long next = settings.connections().now() + nanos;
    if (next == 0 || next == -1) {
      next = 1;
    }
    if (d == -1 || !DEADLINE.compareAndSet(this, d, next)) {
      throw CLIENT_GONE; // expired: the watchdog has interrupted this thread
    }
  }

  /** Called by {@link Connections}' thread: interrupts this connection if its phase is late. */
  void expireIfLate(long now) {
    long d = (long) DEADLINE.getVolatile(this);
    if (d != 0 && d != -1 && now - d > 0 && DEADLINE.compareAndSet(this, d, -1L)) {
      Thread t = thread;
      if (t != null) {
        t.interrupt();
      }
    }
  }

  @Override
  public Duration idleTime() {
    return Duration.ofNanos(System.nanoTime() - lastActivity);
  }

  @Override
  public void close(boolean interrupt) {
    canRun = false;
    Thread t = thread;
    if (t != null && (interrupt || idle || waitingOnLoop())) {
      t.interrupt();
    }
  }

  // ---------------------------------------------------------------- event loop

  /** Whether the connection's thread is parked while a loop serves the connection. */
  private boolean waitingOnLoop() {
    return handBack == 0 && loop != null;
  }

  /**
   * Serves this connection in {@code l} while its requests arrive whole, on its own thread
   * otherwise. Returns true when the connection is done (to be closed), false when its thread is to
   * go on serving it (a request that was not whole, in blocking mode again).
   */
  private boolean serveInLoop(EventLoop l) {
    SocketChannel ch = HelidonSockets.channelOf(socket);
    if (ch == null) {
      return false;
    }
    try {
      ch.configureBlocking(false);
    } catch (java.io.IOException | RuntimeException e) {
      return true; // closed meanwhile
    }
    channel = ch;
    loop = l;
    inLoop = true;
    l.execute(this::enterLoop);
    int outcome;
    while ((outcome = handBack) == 0) {
      java.util.concurrent.locks.LockSupport.park(this);
      if ((Thread.interrupted() || !canRun) && !releaseAsked) {
        releaseAsked = true;
        l.execute(this::abortInLoop);
      }
    }
    inLoop = false;
    if (outcome == LOOP_ABORT) {
      return true;
    }
    try {
      ch.configureBlocking(true);
    } catch (java.io.IOException | RuntimeException e) {
      return true;
    }
    if (outcome == LOOP_SERVE) {
      return false;
    }
    try {
      flush();
      if (lingerOnClose) {
        linger();
      }
    } catch (ClientGone e) {
      // closing anyway
    }
    return true;
  }

  /** The channel a loop registers (set before the connection is given to the loop). */
  SocketChannel channel() {
    return channel;
  }

  /** On the loop's thread: registers the channel and serves what was read before. */
  private void enterLoop() {
    EventLoop l = loop;
    try {
      key = l.register(this);
    } catch (java.io.IOException | RuntimeException e) {
      key = null;
    }
    if (key == null) {
      released = true;
      leaving = LOOP_ABORT;
      leftLoop();
      return;
    }
    lastActivity = settings.connections().now();
    if (pos < lim) {
      try {
        serveBuffered();
      } catch (ClientGone e) {
        release(LOOP_ABORT);
      } catch (RuntimeException e) {
        logUnexpected(e);
        release(LOOP_ABORT);
      }
    }
  }

  /** On the loop's thread: the channel is ready to read or write. */
  void onReady(SelectionKey k) {
    if (released) {
      return;
    }
    try {
      if (k.isWritable()) {
        if (!drainPending()) {
          return;
        }
        k.interestOps(SelectionKey.OP_READ);
        if (pos < lim) {
          serveBuffered();
          return;
        }
      }
      if (k.isReadable() && pos == lim) {
        ByteBuffer in = loopIn;
        if (in == null) {
          loopIn = in = ByteBuffer.wrap(ownReadBuffer());
        }
        in.clear();
        int n = channel.read(in);
        if (n < 0) {
          release(LOOP_ABORT);
          return;
        }
        if (n == 0) {
          return;
        }
        buf = readBuf;
        pos = 0;
        lim = n;
        lastActivity = settings.connections().now();
        serveBuffered();
      }
    } catch (ClientGone | java.io.IOException | java.nio.channels.CancelledKeyException e) {
      release(LOOP_ABORT);
    } catch (RuntimeException e) {
      logUnexpected(e);
      release(LOOP_ABORT);
    }
  }

  /** Serves the whole requests in buf[pos, lim); the first one that is not whole leaves the loop. */
  private void serveBuffered() throws ClientGone {
    while (pos < lim) {
      if (!pendingOut.isEmpty()) {
        key.interestOps(SelectionKey.OP_WRITE); // the rest once the client has taken the output
        return;
      }
      int mark = pos;
      boolean open;
      try {
        open = serveOne();
      } catch (NotForLoop e) {
        pos = mark;
        keepFrom = -1;
        loop.countHandOff();
        release(LOOP_SERVE);
        return;
      }
      loop.countRequest();
      if (!open) {
        release(LOOP_FINISH);
        return;
      }
    }
    flush();
    if (!pendingOut.isEmpty()) {
      key.interestOps(SelectionKey.OP_WRITE);
    }
  }

  /** Writes without blocking; what the channel does not take waits in pendingOut. */
  private void loopWrite(byte[] a, int off, int len, boolean copy) throws ClientGone {
    try {
      if (pendingOut.isEmpty()) {
        ByteBuffer b;
        if (a == out) {
          b = loopOut;
          if (b == null) {
            loopOut = b = ByteBuffer.wrap(out);
          }
          b.limit(off + len).position(off);
        } else {
          b = ByteBuffer.wrap(a, off, len);
        }
        channel.write(b);
        if (!b.hasRemaining()) {
          return;
        }
        off = b.position();
        len = b.remaining();
        writeSince = settings.connections().now();
        loop.countOutputWait();
      }
      pendingOut.add(copy ? ByteBuffer.wrap(Arrays.copyOfRange(a, off, off + len)) : ByteBuffer.wrap(a, off, len));
    } catch (java.io.IOException e) {
      throw CLIENT_GONE;
    }
  }

  private boolean drainPending() throws java.io.IOException {
    ByteBuffer b;
    while ((b = pendingOut.peek()) != null) {
      channel.write(b);
      if (b.hasRemaining()) {
        return false;
      }
      pendingOut.poll();
    }
    return true;
  }

  /** On the loop's thread: closes the connection if it stayed idle, or kept output unsent, too long. */
  void sweep(long now) {
    if (released) {
      return;
    }
    boolean late =
        pendingOut.isEmpty() ? now - lastActivity > settings.idleNanos() : now - writeSince > settings.bodyNanos();
    if (!canRun || late) {
      release(LOOP_ABORT);
    }
  }

  /**
   * On the loop's thread (or the caller's, once the loop has stopped: then it has released every
   * connection already): closes the connection; the server is stopping, Helidon closed the
   * connection, or the loop closes.
   */
  void abortInLoop() {
    if (!released) {
      release(LOOP_ABORT);
    }
  }

  private void release(int outcome) {
    if (released) {
      return;
    }
    released = true;
    leaving = outcome;
    loop.release(this, key);
  }

  /** On the loop's thread, once the selector has forgotten the channel: back to its thread. */
  void leftLoop() {
    Thread t = thread;
    handBack = leaving;
    java.util.concurrent.locks.LockSupport.unpark(t);
  }

  // ---------------------------------------------------------------- helpers

  private boolean nameIs(int start, String lowerName) {
    return equalsIgnoreCase(start, start + lowerName.length(), lowerName);
  }

  private boolean equalsIgnoreCase(int start, int end, String lower) {
    if (end - start != lower.length()) {
      return false;
    }
    for (int i = 0; i < lower.length(); i++) {
      int c = buf[start + i];
      if (c >= 'A' && c <= 'Z') {
        c += 32;
      }
      if (c != lower.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private boolean regionIs(int start, String s) {
    if (start + s.length() > lim) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (buf[start + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private int indexOf(int start, int end, byte b) {
    for (int i = start; i < end; i++) {
      if (buf[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isDigit(byte b) {
    return b >= '0' && b <= '9';
  }

  private String ascii(int start, int end) {
    return new String(buf, start, end - start, StandardCharsets.ISO_8859_1);
  }

  /** Logs an unexpected failure, at most once every 10 s, so that no client can flood the log. */
  private static void logUnexpected(RuntimeException e) {
    long now = System.nanoTime();
    long next = NEXT_ERROR_LOG.get();
    if (now - next >= 0 && NEXT_ERROR_LOG.compareAndSet(next, now + 10_000_000_000L)) {
      LOG.log(System.Logger.Level.WARNING, "request failed (further failures within 10 s are not logged)", e);
    }
  }
}
