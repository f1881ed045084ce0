package io.capsule.protocol;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * One outbound request a task made, as recorded in {@code execution.host_requests}. Header values
 * and bodies are never recorded: they carry secrets. Nor is the part of a URL that carries them:
 * the URL is kept as {@code scheme://host[:port]/path}, its {@code user:password@}, {@code ?query}
 * and {@code #fragment} are removed when the record is built (whatever built it: the sandbox, or a
 * reader of an older envelope), so an {@code ?api_key=…} never reaches an envelope, event, dead
 * letter or dashboard.
 *
 * @param method HTTP method
 * @param url the URL requested, without userinfo, query or fragment (see {@link #redact(String)})
 * @param status the response status, or 0 when no response arrived (denied, unreachable)
 */
public record HostRequest(
    @JsonProperty("method") String method,
    @JsonProperty("url") String url,
    @JsonProperty("status") int status) {

  /** Validates the fields and removes userinfo, query and fragment from {@code url}. */
  public HostRequest {
    Objects.requireNonNull(method, "method");
    url = redact(Objects.requireNonNull(url, "url"));
  }

  /**
   * {@code url} without its {@code user:password@}, {@code ?query} and {@code #fragment}: {@code
   * https://u:p@api.example.com:8443/v1/items?api_key=K#x} becomes {@code
   * https://api.example.com:8443/v1/items}. Works on text that is not a valid URL too (it cuts at
   * the first {@code ?} or {@code #} and drops everything up to the last {@code @} of the
   * authority), so a malformed URL is no way around it.
   */
  public static String redact(String url) {
    String u = url;
    int cut = firstOf(u, '?', '#');
    if (cut >= 0) {
      u = u.substring(0, cut);
    }
    int scheme = u.indexOf("://");
    int authority = scheme < 0 ? 0 : scheme + 3;
    int end = firstOf(u.substring(authority), '/', '\\');
    end = end < 0 ? u.length() : authority + end;
    int at = u.lastIndexOf('@', end - 1);
    return at >= authority ? u.substring(0, authority) + u.substring(at + 1) : u;
  }

  private static int firstOf(String text, char a, char b) {
    int i = text.indexOf(a);
    int j = text.indexOf(b);
    return i < 0 ? j : j < 0 ? i : Math.min(i, j);
  }
}
