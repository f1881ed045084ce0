package io.capsule.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class ProducerSettingsTest {
  @Test
  void operatorSettingsOverrideDefaultsButNeverTheDeliveryGuarantees() {
    Properties operator = new Properties();
    operator.put("acks", "1");
    operator.put("enable.idempotence", "false");
    operator.put("linger.ms", "7");
    operator.put("max.in.flight.requests.per.connection", "3");
    operator.put("security.protocol", "SSL");

    Map<String, Object> props = ProducerSettings.over(operator, Map.of("linger.ms", "0"));

    assertThat(props)
        .containsEntry("acks", "all")
        .containsEntry("enable.idempotence", "true")
        .containsEntry("linger.ms", "7")
        .containsEntry("max.in.flight.requests.per.connection", "3")
        .containsEntry("security.protocol", "SSL");
  }

  @Test
  void withoutOperatorSettingsTheRoleAndSharedDefaultsApply() {
    Map<String, Object> props = ProducerSettings.over(Map.of(), Map.of("linger.ms", 2));

    assertThat(props)
        .containsEntry("linger.ms", 2)
        .containsEntry("max.in.flight.requests.per.connection", "1")
        .containsEntry("acks", "all")
        .containsEntry("enable.idempotence", "true");
  }
}
