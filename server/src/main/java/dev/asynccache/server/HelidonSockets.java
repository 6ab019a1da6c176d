package dev.asynccache.server;

import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.NioSocket;
import io.helidon.common.socket.PlainSocket;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import org.jspecify.annotations.Nullable;

/**
 * What Helidon 4.5.0's {@link HelidonSocket} does not offer: the socket's {@link SocketChannel}
 * (for the event loops) and a half-close (a TCP FIN, so that a client sees the end of the
 * response while the server still reads what it sends). Helidon's plain sockets keep the
 * {@link SocketChannel} ({@link NioSocket}) or the {@link Socket} ({@link PlainSocket}, the
 * listener's accepted channel's socket) in a private field, read here by reflection. That works
 * while Helidon is on the class path (as {@code run-server} and the tests run it); elsewhere (the
 * module path, a Helidon without those fields, TLS) {@link #channelOf} returns null (the connection
 * is served on its thread) and {@link #shutdownOutput} does nothing and returns false (the bounded
 * lingering still applies, only without the early FIN). {@code EventLoopTest} fails if the channel
 * cannot be had. Thread-safe (stateless).
 */
final class HelidonSockets {
  private static final @Nullable VarHandle NIO = find(NioSocket.class, SocketChannel.class);
  private static final @Nullable VarHandle PLAIN = find(PlainSocket.class, Socket.class);

  private HelidonSockets() {}

  private static @Nullable VarHandle find(Class<?> owner, Class<?> type) {
    try {
      return MethodHandles.privateLookupIn(owner, MethodHandles.lookup()).findVarHandle(owner, "delegate", type);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The channel under {@code socket}, or null if it is not one of Helidon's plain sockets; never
   * throws.
   *
   * @param socket the connection's socket
   * @return its channel, or null
   */
  static @Nullable SocketChannel channelOf(HelidonSocket socket) {
    return switch (delegate(socket)) {
      case SocketChannel ch -> ch;
      case Socket s -> s.getChannel();
      case null, default -> null;
    };
  }

  /** The {@link SocketChannel} or {@link Socket} Helidon's plain socket wraps; null otherwise. */
  private static @Nullable Object delegate(HelidonSocket socket) {
    try {
      if (NIO != null && socket.getClass() == NioSocket.class) {
        return NIO.get(socket);
      }
      if (PLAIN != null && socket.getClass() == PlainSocket.class) {
        return PLAIN.get(socket);
      }
    } catch (RuntimeException e) {
      // not readable: treated as not one of Helidon's plain sockets
    }
    return null;
  }

  /**
   * Sends a FIN on {@code socket} if it is one of Helidon's plain (not TLS) sockets; never throws.
   *
   * @param socket the connection's socket
   * @return whether the output was shut down
   */
  static boolean shutdownOutput(HelidonSocket socket) {
    try {
      switch (delegate(socket)) {
        case SocketChannel ch -> ch.shutdownOutput();
        case Socket s -> s.shutdownOutput();
        case null, default -> {
          return false;
        }
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false; // already closed or reset: nothing left to half-close
    }
  }
}
