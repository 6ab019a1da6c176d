package dev.asynccache.server;

import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import java.util.Set;

/**
 * Hands every connection of the listener to {@link HttpConnection} (HTTP/1.1 and HTTP/1.0); it is
 * the listener's only selector, so Helidon's own HTTP/1 connection is never used.
 */
final class HttpConnectionSelector implements ServerConnectionSelector {
  private final HttpConnection.Settings settings;

  HttpConnectionSelector(HttpConnection.Settings settings) {
    this.settings = settings;
  }

  @Override
  public int bytesToIdentifyConnection() {
    return 0;
  }

  @Override
  public Support supports(BufferData data) {
    return Support.SUPPORTED;
  }

  @Override
  public Set<String> supportedApplicationProtocols() {
    return Set.of("http/1.1");
  }

  @Override
  public ServerConnection connection(ConnectionContext ctx) {
    return new HttpConnection(settings, ctx);
  }
}
