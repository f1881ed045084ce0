package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostRequestTest {
  @ParameterizedTest
  @CsvSource({
    "https://api.example.com/v1?api_key=SECRET, https://api.example.com/v1",
    "https://user:SECRET@api.example.com:8443/x#SECRET, https://api.example.com:8443/x",
    "http://a@b@example.com/p, http://example.com/p",
    "http://user:SECRET@example.com, http://example.com",
    "http://example.com/path@kept, http://example.com/path@kept",
    "http://user:SECRET@host\\x, http://host\\x",
    "not a url?SECRET, not a url",
    "user:SECRET@example.com/x, example.com/x",
    "http://[::1]:8080/a?b, http://[::1]:8080/a"
  })
  void queryFragmentAndUserinfoNeverSurvive(String url, String kept) {
    assertThat(new HostRequest("GET", url, 200).url()).isEqualTo(kept);
  }

  @Test
  void anOlderEnvelopeReadFromTheWireIsRedactedToo() {
    HostRequest read =
        CapsuleJson.mapper()
            .convertValue(
                CapsuleJson.readTree(
                    "{\"method\":\"GET\",\"url\":\"https://x.test/a?token=SECRET\",\"status\":200}"),
                HostRequest.class);

    assertThat(read.url()).isEqualTo("https://x.test/a");
    assertThat(CapsuleJson.write(read)).doesNotContain("SECRET");
  }
}
