package dev.asynccache.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One raw TCP connection to a server on 127.0.0.1, for the tests where the JDK's HttpClient would
 * hide what happens on the wire (smuggling, HEAD, HTTP/1.0, malformed framing, closed sockets).
 * Every read is bounded by the socket timeout; nothing here sleeps.
 */
final class RawHttp implements AutoCloseable {
  /** A response as read off the wire. {@code body} is empty for a HEAD response. */
  record Response(String statusLine, int status, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;
  private final InputStream in;

  RawHttp(int port, int timeoutMillis) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(timeoutMillis);
    socket.setTcpNoDelay(true);
    in = socket.getInputStream();
  }

  RawHttp(int port) throws IOException {
    this(port, 15_000);
  }

  /**
   * A connection whose send buffer is {@code sendBufferBytes} (set before connecting), so that a
   * large write blocks until the server has read most of it instead of sitting in the kernel.
   */
  static RawHttp withSmallSendBuffer(int port, int sendBufferBytes) throws IOException {
    Socket s = new Socket();
    s.setSendBufferSize(sendBufferBytes);
    s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 15_000);
    return new RawHttp(s, 15_000);
  }

  private RawHttp(Socket socket, int timeoutMillis) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(timeoutMillis);
    socket.setTcpNoDelay(true);
    in = socket.getInputStream();
  }

  RawHttp send(String ascii) throws IOException {
    return send(ascii.getBytes(StandardCharsets.ISO_8859_1));
  }

  RawHttp send(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
    return this;
  }

  /** Half-closes: the server sees the end of the request stream but can still answer. */
  void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  void setTimeout(int millis) throws SocketException {
    socket.setSoTimeout(millis);
  }

  /** Reads one response with a Content-Length body (none for HEAD); fails on EOF or timeout. */
  Response read(boolean head) throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h = line(); h != null && !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    byte[] body = new byte[0];
    if (!head && headers.containsKey("content-length")) {
      body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
    }
    return new Response(statusLine, status, headers, body);
  }

  Response read() throws IOException {
    return read(false);
  }

  /**
   * Reads until the server closes the connection (EOF or reset) and returns what came before it;
   * throws {@link SocketTimeoutException} if the server keeps the connection open past the socket
   * timeout.
   */
  String readToClose() throws IOException {
    ByteArrayOutputStream rest = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) != -1; ) {
        rest.write(buf, 0, n);
      }
    } catch (SocketException reset) {
      // "Connection reset": closed too
    }
    return rest.toString(StandardCharsets.ISO_8859_1);
  }

  /** Asserts that nothing but the end of the connection follows. */
  void assertClosedWithNothingMore() throws IOException {
    String rest;
    try {
      rest = readToClose();
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept the connection open", e);
    }
    if (!rest.isEmpty()) {
      throw new AssertionError("more bytes before the close: " + rest);
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
