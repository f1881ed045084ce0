package io.capsule.protocol;

/**
 * The request is malformed: an option, size, duration or argument that cannot be used. When the
 * fault lies in one field of a request, {@link #field()} names it as a path such as {@code
 * limits.ram} or {@code permissions.allowed_files[0]}, and the message starts with that path.
 */
public final class InvalidRequestException extends CapsuleException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final String reason;

  /** Creates the exception with a one-line reason. */
  public InvalidRequestException(String message) {
    this(null, message, null);
  }

  /** Creates the exception with a one-line reason and its cause. */
  public InvalidRequestException(String message, Throwable cause) {
    this(null, message, cause);
  }

  private InvalidRequestException(String field, String reason, Throwable cause) {
    super(ErrorType.INVALID_REQUEST, field == null ? reason : field + ": " + reason, cause);
    this.field = field;
    this.reason = reason;
  }

  /**
   * The exception for a value of one field.
   *
   * @param field the field's wire name (or a path of them, dot-separated)
   * @param reason what is wrong with its value
   */
  public static InvalidRequestException forField(String field, String reason) {
    return new InvalidRequestException(field, reason, null);
  }

  /**
   * This failure as it is seen from an enclosing document: {@code path} (the field that holds the
   * value, e.g. {@code limits}) is put in front of the field it names.
   */
  public InvalidRequestException within(String path) {
    if (path == null || path.isEmpty()) {
      return this;
    }
    String inner = field == null ? path : path + (field.startsWith("[") ? "" : ".") + field;
    return new InvalidRequestException(inner, reason, this);
  }

  /** The path of the field at fault ({@code limits.ram}), or {@code null} when none is known. */
  public String field() {
    return field;
  }

  /** What is wrong, without the field's path. */
  public String reason() {
    return reason;
  }

  /**
   * The field as an RFC 6901 JSON pointer ({@code /limits/ram}, {@code
   * /permissions/allowed_files/0}), or {@code null} when no field is known.
   */
  public String pointer() {
    if (field == null) {
      return null;
    }
    StringBuilder pointer = new StringBuilder();
    for (String part : field.replace("[", ".").replace("]", "").split("\\.")) {
      if (!part.isEmpty()) {
        pointer.append('/').append(part.replace("~", "~0").replace("/", "~1"));
      }
    }
    return pointer.toString();
  }
}
