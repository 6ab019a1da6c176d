import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A closed-loop load client for one workload against either server, so that both sides of
 * side-by-side.sh are measured by the same code: every request's latency (request written to
 * response fully read, System.nanoTime) is recorded, none sampled, and the percentiles are taken
 * from the sorted list. Each connection is one platform thread that sends a request, reads the
 * whole response, and sends the next (no pipelining), on keys key:000000000000.. as
 * redis-benchmark -r names them.
 *
 * <pre>
 *   java LatencyClient.java http|resp PORT CONNECTIONS SECONDS PUT_PERCENT [KEYS] [VALUE_BYTES] [WARMUP_SECONDS]
 * </pre>
 *
 * http: GET/PUT /cache/{key} (HTTP/1.1, keep-alive) against the async-cache server; resp: GET/SET
 * over the Redis protocol. Prints one line: requests/s, p50, p99, p99.9 and max in ms, requests,
 * errors. The client allocates nothing per request (its own collections cannot skew the tail) and
 * runs on the same cores as the server: compare the two sides of one run, not runs.
 */
public final class LatencyClient {
  private static final int KEY_DIGITS = 12;

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println("usage: LatencyClient http|resp PORT CONNECTIONS SECONDS PUT_PERCENT [KEYS] [VALUE_BYTES] [WARMUP_SECONDS]");
      System.exit(2);
    }
    boolean http = switch (args[0]) {
      case "http" -> true;
      case "resp" -> false;
      default -> throw new IllegalArgumentException("protocol must be http or resp: " + args[0]);
    };
    int port = Integer.parseInt(args[1]);
    int connections = Integer.parseInt(args[2]);
    double seconds = Double.parseDouble(args[3]);
    int putPercent = Integer.parseInt(args[4]);
    int keys = args.length > 5 ? Integer.parseInt(args[5]) : 100_000;
    int valueBytes = args.length > 6 ? Integer.parseInt(args[6]) : 100;
    double warmup = args.length > 7 ? Double.parseDouble(args[7]) : 1;

    List<Worker> workers = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      workers.add(new Worker(http, port, putPercent, keys, valueBytes));
    }
    long start = System.nanoTime();
    long measureFrom = start + (long) (warmup * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    List<Thread> threads = new ArrayList<>();
    for (Worker w : workers) {
      w.measureFrom = measureFrom;
      w.end = end;
      threads.add(Thread.ofPlatform().name("load").start(w));
    }
    for (Thread t : threads) {
      t.join();
    }
    int total = 0;
    long errors = 0;
    for (Worker w : workers) {
      total += w.count;
      errors += w.errors;
    }
    long[] all = new long[total];
    int at = 0;
    for (Worker w : workers) {
      System.arraycopy(w.latencies, 0, all, at, w.count);
      at += w.count;
    }
    Arrays.sort(all);
    double rate = total / seconds;
    System.out.printf(Locale.ROOT, "%.0f %.3f %.3f %.3f %.3f %d %d%n", rate, ms(pct(all, 50)), ms(pct(all, 99)),
        ms(pct(all, 99.9)), ms(total == 0 ? 0 : all[total - 1]), total, errors);
  }

  private static long pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /** One connection's closed loop. */
  private static final class Worker implements Runnable {
    final boolean http;
    final int port;
    final int putPercent;
    final int keys;
    final byte[] get;
    final byte[] put;
    final int getKeyAt;
    final int putKeyAt;
    final byte[] in = new byte[64 * 1024];
    int inPos;
    int inLim;
    InputStream input;
    long measureFrom;
    long end;
    long[] latencies = new long[1 << 16];
    int count;
    long errors;

    Worker(boolean http, int port, int putPercent, int keys, int valueBytes) {
      this.http = http;
      this.port = port;
      this.putPercent = putPercent;
      this.keys = keys;
      String key = "key:" + "0".repeat(KEY_DIGITS);
      String value = "v".repeat(valueBytes);
      String g;
      String p;
      if (http) {
        g = "GET /cache/" + key + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        p = "PUT /cache/" + key + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + valueBytes + "\r\n\r\n" + value;
      } else {
        g = "*2\r\n$3\r\nGET\r\n$" + key.length() + "\r\n" + key + "\r\n";
        p = "*3\r\n$3\r\nSET\r\n$" + key.length() + "\r\n" + key + "\r\n$" + valueBytes + "\r\n" + value + "\r\n";
      }
      get = g.getBytes(StandardCharsets.US_ASCII);
      put = p.getBytes(StandardCharsets.US_ASCII);
      getKeyAt = g.indexOf(key) + 4;
      putKeyAt = p.indexOf(key) + 4;
    }

    @Override
    public void run() {
      try (Socket s = new Socket()) {
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(30_000);
        input = s.getInputStream();
        OutputStream out = s.getOutputStream();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (true) {
          boolean isPut = random.nextInt(100) < putPercent;
          byte[] request = isPut ? put : get;
          setKey(request, isPut ? putKeyAt : getKeyAt, random.nextInt(keys));
          long t0 = System.nanoTime();
          if (t0 - end >= 0) {
            return;
          }
          out.write(request);
          boolean ok = http ? readHttp() : readResp();
          long t1 = System.nanoTime();
          if (!ok) {
            errors++;
          }
          if (t0 - measureFrom >= 0) {
            if (count == latencies.length) {
              latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = t1 - t0;
          }
        }
      } catch (IOException e) {
        errors++;
        System.err.println("LatencyClient: " + e);
      }
    }

    private static void setKey(byte[] request, int at, int n) {
      for (int i = at + KEY_DIGITS - 1; i >= at; i--, n /= 10) {
        request[i] = (byte) ('0' + n % 10);
      }
    }

    private int next() throws IOException {
      if (inPos == inLim) {
        inLim = input.read(in);
        inPos = 0;
        if (inLim <= 0) {
          throw new IOException("connection closed by the server");
        }
      }
      return in[inPos++];
    }

    private void skip(long n) throws IOException {
      while (n > 0) {
        if (inPos == inLim) {
          next();
          inPos--;
        }
        int take = (int) Math.min(n, inLim - inPos);
        inPos += take;
        n -= take;
      }
    }

    /** Reads one line (through LF) and returns its length without CRLF; the line is in line[]. */
    private final byte[] line = new byte[8192];

    private int readLine() throws IOException {
      int n = 0;
      while (true) {
        int c = next();
        if (c == '\n') {
          return n > 0 && line[n - 1] == '\r' ? n - 1 : n;
        }
        if (n < line.length) {
          line[n++] = (byte) c;
        }
      }
    }

    /** Reads one HTTP response; true if its status is 2xx. */
    private boolean readHttp() throws IOException {
      int n = readLine();
      boolean ok = n >= 12 && line[9] == '2';
      long length = 0;
      while ((n = readLine()) > 0) {
        if (n > 15 && regionIgnoreCase("content-length:", n)) {
          length = 0;
          for (int i = 15; i < n; i++) {
            byte c = line[i];
            if (c >= '0' && c <= '9') {
              length = length * 10 + (c - '0');
            }
          }
        }
      }
      skip(length);
      return ok;
    }

    private boolean regionIgnoreCase(String lower, int n) {
      for (int i = 0; i < lower.length(); i++) {
        int c = line[i];
        if (c >= 'A' && c <= 'Z') {
          c += 32;
        }
        if (c != lower.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    /** Reads one RESP reply to GET or SET; true unless it is an error or a nil. */
    private boolean readResp() throws IOException {
      int n = readLine();
      if (n == 0) {
        return false;
      }
      switch (line[0]) {
        case '+':
          return true;
        case '$': {
          long length = 0;
          if (line[1] == '-') {
            return false;
          }
          for (int i = 1; i < n; i++) {
            length = length * 10 + (line[i] - '0');
          }
          skip(length + 2);
          return true;
        }
        default:
          return false;
      }
    }
  }
}
