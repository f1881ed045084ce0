package io.capsule.broker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds loopback ports that nothing listens on right now. */
final class FreePorts {
  private FreePorts() {}

  /**
   * Returns a port that was free on the loopback address a moment ago. Another process may take it
   * before the broker binds it; the broker then fails to start with a bind error.
   */
  static int pick() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
