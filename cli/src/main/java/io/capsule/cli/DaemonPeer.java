package io.capsule.cli;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Who is on the other end of a daemon connection. The socket's directory is owner-only, which
 * already keeps other users out; where the platform tells the peer's credentials ({@code
 * SO_PEERCRED}: Linux, macOS), a peer of another user is refused as well.
 */
final class DaemonPeer {
  private DaemonPeer() {}

  /** Whether the peer runs as the owner of {@code dir}; {@code true} where that cannot be told. */
  static boolean isSameUser(SocketChannel channel, Path dir) throws IOException {
    if (!channel.supportedOptions().contains(ExtendedSocketOptions.SO_PEERCRED)) {
      return true;
    }
    UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
    return peer.user().getName().equals(Files.getOwner(dir).getName());
  }
}
