package io.capsule.sandbox.internal.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one HTTP/1.1 response from a connection that is closed afterwards, every part bounded: a
 * line at most 8 KiB, at most 256 header fields and 8 interim (1xx) responses, a body at most the
 * cap (a declared {@code Content-Length} over it fails before the body is read). Bodies are
 * delimited by {@code Transfer-Encoding: chunked}, {@code Content-Length} or the end of the
 * connection. Every body byte is charged to the exchange's {@link HeldBytes} before it is read into
 * a host array, and so is the array a chunked or unsized body is joined into.
 */
final class ResponseReader {
  private static final int MAX_LINE = 8192;
  private static final int MAX_FIELDS = 256;
  private static final int MAX_INTERIM = 8;

  private static final int PIECE = 64 << 10;

  private final InputStream in;
  private final int cap;
  private final HeldBytes held;

  ResponseReader(InputStream in, int cap) {
    this(in, cap, HeldBytes.unaccounted());
  }

  ResponseReader(InputStream in, int cap, HeldBytes held) {
    this.in = in;
    this.cap = cap;
    this.held = held;
  }

  /** Reads the response to a request with {@code method} sent to {@code uri}. */
  HttpResult read(String method, URI uri) throws IOException {
    for (int interim = 0; interim <= MAX_INTERIM; interim++) {
      int status = statusLine();
      Map<String, List<String>> headers = fields();
      if (status == 101) {
        throw new ProtocolException("unexpected protocol switch");
      }
      if (status >= 200) {
        return new HttpResult(status, uri, headers, body(method, status, headers));
      }
    }
    throw new ProtocolException("too many interim responses");
  }

  /** Reads the answer to a {@code CONNECT}: status line and headers (a 2xx has no body). */
  int tunnelStatus() throws IOException {
    int status = statusLine();
    fields();
    return status;
  }

  private int statusLine() throws IOException {
    String line = line();
    String[] parts = line.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[1-9]\\d\\d")) {
      throw new ProtocolException("not an HTTP/1.x response");
    }
    return Integer.parseInt(parts[1]);
  }

  private Map<String, List<String>> fields() throws IOException {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int count = 0; ; count++) {
      String line = line();
      if (line.isEmpty()) {
        return headers;
      }
      int colon = line.indexOf(':');
      if (count >= MAX_FIELDS || colon <= 0) {
        throw new ProtocolException(colon <= 0 ? "malformed header line" : "too many headers");
      }
      String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      headers.computeIfAbsent(name, n -> new ArrayList<>()).add(line.substring(colon + 1).strip());
    }
  }

  private byte[] body(String method, int status, Map<String, List<String>> headers)
      throws IOException {
    if (method.equals("HEAD") || status == 204 || status == 304) {
      return new byte[0];
    }
    List<String> encoding = headers.getOrDefault("transfer-encoding", List.of());
    if (String.join(",", encoding).toLowerCase(Locale.ROOT).contains("chunked")) {
      return chunked();
    }
    List<String> length = headers.get("content-length");
    return length == null ? untilClosed() : fixed(contentLength(length));
  }

  private long contentLength(List<String> values) throws IOException {
    String first = values.get(0);
    if (!values.stream().allMatch(first::equals) || !first.matches("\\d{1,18}")) {
      throw new ProtocolException("malformed Content-Length");
    }
    long length = Long.parseLong(first);
    if (length > cap) {
      throw tooLarge();
    }
    return length;
  }

  private byte[] fixed(long length) throws IOException {
    held.charge(length, "an HTTP response body of " + length + " bytes");
    byte[] body = in.readNBytes((int) length);
    if (body.length < length) {
      throw new ProtocolException("connection closed before the end of the body");
    }
    return body;
  }

  /** A body delimited by the end of the connection, read in pieces as they are charged. */
  private byte[] untilClosed() throws IOException {
    List<byte[]> pieces = new ArrayList<>();
    long size = 0;
    while (true) {
      held.charge(PIECE, "an HTTP response body past " + size + " bytes");
      byte[] piece = in.readNBytes(PIECE);
      held.release(PIECE - piece.length);
      size += piece.length;
      if (size > cap) {
        throw tooLarge();
      }
      if (piece.length == 0) {
        return joined(pieces, size);
      }
      pieces.add(piece);
    }
  }

  private byte[] chunked() throws IOException {
    List<byte[]> pieces = new ArrayList<>();
    long size = 0;
    while (true) {
      String line = line();
      int semicolon = line.indexOf(';');
      String hex = (semicolon < 0 ? line : line.substring(0, semicolon)).strip();
      if (!hex.matches("[0-9a-fA-F]{1,8}")) {
        throw new ProtocolException("malformed chunk size");
      }
      long length = Long.parseLong(hex, 16);
      if (length == 0) {
        fields(); // trailers, discarded
        return joined(pieces, size);
      }
      if (size + length > cap) {
        throw tooLarge();
      }
      pieces.add(fixed(length));
      size += length;
      if (!line().isEmpty()) {
        throw new ProtocolException("malformed chunk");
      }
    }
  }

  /** The pieces as one array (charged before it is made); the pieces' charge is given back. */
  private byte[] joined(List<byte[]> pieces, long size) {
    if (pieces.size() == 1) {
      return pieces.get(0);
    }
    held.charge(size, "an HTTP response body of " + size + " bytes");
    byte[] body = new byte[(int) size];
    int at = 0;
    for (byte[] piece : pieces) {
      System.arraycopy(piece, 0, body, at, piece.length);
      at += piece.length;
    }
    held.release(size);
    return body;
  }

  /** One line without its CRLF (a bare LF is accepted), ISO-8859-1. */
  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new ProtocolException("connection closed mid-response");
      }
      if (line.size() >= MAX_LINE) {
        throw new ProtocolException("response line over " + MAX_LINE + " bytes");
      }
      line.write(b);
    }
    String text = line.toString(StandardCharsets.ISO_8859_1);
    return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
  }

  private HttpFailure tooLarge() {
    return new HttpFailure(
        NetworkError.RESPONSE_TOO_LARGE, "response body exceeds the cap of " + cap + " bytes");
  }
}
