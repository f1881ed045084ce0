package io.capsule.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.time.Duration;

/** JSON form of durations: {@code "30s"} (a number is seconds). */
final class DurationJson {
  private DurationJson() {}

  /** Writes {@code "30s"}. */
  static final class Writer extends StdSerializer<Duration> {
    private static final long serialVersionUID = 1L;

    Writer() {
      super(Duration.class);
    }

    @Override
    public void serialize(Duration value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeString(Durations.format(value));
    }
  }

  /** Reads {@code "30s"}, {@code "500ms"} or a number of seconds. */
  static final class Reader extends StdDeserializer<Duration> {
    private static final long serialVersionUID = 1L;

    Reader() {
      super(Duration.class);
    }

    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonNode node = p.readValueAsTree();
      if (node.isNumber()) {
        return Durations.parse(node.asText() + "s");
      }
      if (node.isTextual()) {
        return Durations.parse(node.asText());
      }
      throw new InvalidRequestException("a duration must be a string like \"30s\"");
    }
  }
}
