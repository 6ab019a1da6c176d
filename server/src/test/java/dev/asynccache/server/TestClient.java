package dev.asynccache.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Speaks HTTP to a running server: the JDK's HttpClient, or a raw socket when bytes matter. */
final class TestClient {
  private final URI base;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

  TestClient(CacheServer server) {
    this.base = server.uri();
  }

  HttpResponse<byte[]> send(String method, String path, BodyPublisher body) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).method(method, body).build();
    return http.send(request, BodyHandlers.ofByteArray());
  }

  HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
    return send("GET", path, BodyPublishers.noBody());
  }

  HttpResponse<byte[]> put(String path, byte[] value) throws IOException, InterruptedException {
    return send("PUT", path, BodyPublishers.ofByteArray(value));
  }

  HttpResponse<byte[]> put(String path, String value) throws IOException, InterruptedException {
    return put(path, value.getBytes(StandardCharsets.UTF_8));
  }

  HttpResponse<byte[]> delete(String path) throws IOException, InterruptedException {
    return send("DELETE", path, BodyPublishers.noBody());
  }

  static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  /** Reads a number field of the {@code /stats} JSON. */
  long stat(String field) throws IOException, InterruptedException {
    String json = text(get("/stats"));
    Matcher m = Pattern.compile("\"" + field + "\":([0-9.]+)").matcher(json);
    if (!m.find()) {
      throw new AssertionError("no " + field + " in " + json);
    }
    return (long) Double.parseDouble(m.group(1));
  }

  /** Opens a raw connection to the server (for keep-alive and body-size tests). */
  Socket socket() throws IOException {
    Socket s = new Socket(base.getHost(), base.getPort());
    s.setSoTimeout(20_000);
    return s;
  }

  /** A response read off a raw socket. */
  record RawResponse(int status, Map<String, String> headers, String body) {}

  static void write(Socket s, String requestHead) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(requestHead.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** Reads one HTTP/1.1 response with a Content-Length body. */
  static RawResponse read(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    String statusLine = line(in);
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
    return new RawResponse(status, headers, body);
  }

  private static String line(InputStream in) throws IOException {
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
}
