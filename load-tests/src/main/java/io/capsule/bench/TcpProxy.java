package io.capsule.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on a loopback port that forwards every connection to a target port and can, on
 * command, <em>stall</em> (keep the connections open but stop moving bytes, as a frozen network
 * path does) or <em>cut</em> (reset every open connection, as a dropped path does), then heal. Two
 * threads per connection; meant for a few connections of one Kafka client.
 */
final class TcpProxy implements AutoCloseable {
  private static final int BUFFER = 64 * 1024;

  private final ServerSocket server;
  private final int target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Object gate = new Object();
  private volatile boolean stalled;
  private volatile boolean closed;

  private TcpProxy(ServerSocket server, int target) {
    this.server = server;
    this.target = target;
  }

  /** Listens on {@code listenPort} and forwards to {@code targetPort}, both on loopback. */
  static TcpProxy start(int listenPort, int targetPort) {
    try {
      ServerSocket server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort));
      TcpProxy proxy = new TcpProxy(server, targetPort);
      daemon(proxy::acceptLoop, "proxy-accept-" + listenPort);
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + listenPort, e);
    }
  }

  /** Stops moving bytes in either direction; connections stay open. */
  void stall() {
    stalled = true;
  }

  /** Resets every open connection (new ones are accepted again at once). */
  void cut() {
    for (Socket socket : open) {
      closeQuietly(socket);
    }
    open.clear();
  }

  /** Moves bytes again. */
  void heal() {
    synchronized (gate) {
      stalled = false;
      gate.notifyAll();
    }
  }

  @Override
  public void close() {
    closed = true;
    heal();
    closeQuietly(server);
    cut();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
        open.add(client);
        open.add(upstream);
        daemon(() -> pump(client, upstream), "proxy-up");
        daemon(() -> pump(upstream, client), "proxy-down");
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        awaitFlowing();
        out.write(buffer, 0, n);
      }
    } catch (IOException e) {
      // One side closed or was cut; close the other.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      open.remove(from);
      open.remove(to);
    }
  }

  private void awaitFlowing() throws IOException {
    synchronized (gate) {
      while (stalled && !closed) {
        try {
          gate.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  private static void daemon(Runnable body, String name) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException e) {
      // Already closed.
    }
  }
}
