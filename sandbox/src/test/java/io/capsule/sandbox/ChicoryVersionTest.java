package io.capsule.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ChicoryVersionTest {

  @Test
  void compileCachesAreKeyedByTheChicoryOnTheClassPath() throws IOException {
    Properties chicory = new Properties();
    try (InputStream in =
        Instance.class.getResourceAsStream(
            "/META-INF/maven/com.dylibso.chicory/runtime/pom.properties")) {
      assertThat(in).as("Chicory runtime's pom.properties").isNotNull();
      chicory.load(in);
    }

    assertThat(ModulePreparer.CHICORY_VERSION)
        .isNotBlank()
        .doesNotContain("${")
        .isEqualTo(chicory.getProperty("version"));
  }
}
