import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Puts key:000000000000 .. key:(N-1) (as redis-benchmark -r names them) with VALUE-byte values
 * into the server at 127.0.0.1:PORT, 100 pipelined PUTs at a time on one connection, and checks
 * that every one was answered 204. Run with the JDK's source launcher: java Preload.java PORT N VALUE
 */
public class Preload {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int keys = Integer.parseInt(args[1]);
    byte[] value = "v".repeat(Integer.parseInt(args[2])).getBytes(StandardCharsets.US_ASCII);
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[1 << 16];
      int batch = 100;
      for (int start = 0; start < keys; start += batch) {
        int n = Math.min(batch, keys - start);
        StringBuilder b = new StringBuilder();
        java.io.ByteArrayOutputStream req = new java.io.ByteArrayOutputStream();
        for (int i = start; i < start + n; i++) {
          req.write(String.format("PUT /cache/key:%012d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", i, value.length)
              .getBytes(StandardCharsets.US_ASCII));
          req.write(value);
        }
        out.write(req.toByteArray());
        out.flush();
        // each answer is one "HTTP/1.1 204 No Content\r\nDate: ...\r\n\r\n": count the blank lines
        int answered = 0;
        int state = 0;
        while (answered < n) {
          int r = in.read(buf);
          if (r < 0) throw new IllegalStateException("connection closed after " + (start + answered) + " PUTs");
          for (int i = 0; i < r; i++) {
            byte c = buf[i];
            state = switch (state) {
              case 0 -> c == '\r' ? 1 : 0;
              case 1 -> c == '\n' ? 2 : 0;
              case 2 -> c == '\r' ? 3 : 0;
              case 3 -> c == '\n' ? 4 : 0;
              default -> 0;
            };
            if (state == 4) { answered++; state = 0; }
          }
        }
      }
    }
    System.out.println("preloaded " + keys + " keys");
  }
}
