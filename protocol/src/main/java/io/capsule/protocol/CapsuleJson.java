package io.capsule.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.module.blackbird.BlackbirdModule;
import java.io.IOException;

/**
 * The one JSON codec for wire types: snake_case names from the records, strict on input. Record
 * accessors and constructors are called through generated lambdas (Jackson's Blackbird module)
 * rather than reflection: the fleet writes and reads several records per task.
 */
public final class CapsuleJson {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .addModule(new BlackbirdModule())
          .build();

  private CapsuleJson() {}

  /** The shared mapper. Treat it as read-only. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Writes a value as compact JSON. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new InternalException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Writes a value as compact JSON in UTF-8, with no {@link String} in between. */
  public static byte[] writeBytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new InternalException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Writes {@code value}, which must write as a JSON object, with one more member {@code name}
   * whose value is {@code json}, already written (by {@link #writeBytes}): a document that embeds
   * one already sent elsewhere (a terminal event's envelope) without writing it twice. {@code
   * value} must not have a member of that name itself.
   */
  public static byte[] writeWithMember(Object value, String name, byte[] json) {
    byte[] object = writeBytes(value);
    int last = object.length - 1;
    if (object.length < 2 || object[0] != '{' || object[last] != '}') {
      throw new InternalException("cannot add a member to JSON that is not an object");
    }
    byte[] key = writeBytes(name);
    boolean empty = last == 1;
    // one array of the exact size: {object's members}[,]"name":json}
    byte[] out = new byte[last + (empty ? 0 : 1) + key.length + 1 + json.length + 1];
    System.arraycopy(object, 0, out, 0, last);
    int at = last;
    if (!empty) {
      out[at++] = ',';
    }
    System.arraycopy(key, 0, out, at, key.length);
    at += key.length;
    out[at++] = ':';
    System.arraycopy(json, 0, out, at, json.length);
    out[at + json.length] = '}';
    return out;
  }

  /** Writes a value as indented JSON. */
  public static String writePretty(Object value) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new InternalException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Reads JSON text into a wire type.
   *
   * @throws InvalidRequestException with the parser's reason when the text does not fit
   */
  public static <T> T read(String json, Class<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw invalid(e);
    }
  }

  /**
   * Reads UTF-8 JSON into a wire type, with no {@link String} in between (a record's value as it
   * arrives).
   *
   * @throws InvalidRequestException with the parser's reason when the bytes do not fit, including
   *     bytes that are not UTF-8
   */
  public static <T> T read(byte[] json, Class<T> type) {
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw invalid(e);
    } catch (IOException e) {
      throw new InvalidRequestException("invalid JSON: " + e.getMessage(), e);
    }
  }

  /** Reads JSON text into a tree. */
  public static JsonNode readTree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw invalid(e);
    }
  }

  /** Converts a tree into a wire type. */
  public static <T> T convert(JsonNode node, Class<T> type) {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      throw invalid(e);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(e.getMessage(), e);
    }
  }

  private static CapsuleException invalid(JsonProcessingException e) {
    Throwable cause = e.getCause();
    String path = e instanceof JsonMappingException m ? path(m) : "";
    if (cause instanceof InvalidRequestException invalid) {
      return invalid.within(path);
    }
    if (cause instanceof CapsuleException) {
      return (CapsuleException) cause;
    }
    InvalidRequestException invalid =
        new InvalidRequestException("invalid JSON: " + e.getOriginalMessage(), e);
    return invalid.within(path);
  }

  /** Where in the document a mapping failed: {@code limits.ram}, {@code allowed_files[0]}. */
  private static String path(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference step : e.getPath()) {
      if (step.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(step.getFieldName());
      } else if (step.getIndex() >= 0) {
        path.append('[').append(step.getIndex()).append(']');
      }
    }
    return path.toString();
  }
}
