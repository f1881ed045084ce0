package io.capsule.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
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
      // from the tokens, no tree in between; a number reads as its tree node would print it
      JsonToken token = p.currentToken();
      if (token == JsonToken.VALUE_STRING) {
        return Durations.parse(p.getText());
      }
      if (token == JsonToken.VALUE_NUMBER_INT) {
        return Durations.parse(p.getNumberValue() + "s");
      }
      if (token == JsonToken.VALUE_NUMBER_FLOAT) {
        return Durations.parse(p.getDoubleValue() + "s");
      }
      throw new InvalidRequestException("a duration must be a string like \"30s\"");
    }
  }
}
