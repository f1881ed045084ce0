package io.capsule.cli;

import io.capsule.protocol.ByteSize;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.Compute;
import io.capsule.protocol.Durations;
import io.capsule.protocol.FileGrant;
import io.capsule.protocol.OperatorCeiling.OverCeiling;
import io.capsule.protocol.TaskOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The task options every running command takes; they win over task options and capsule.toml. */
final class TaskOptionFlags {
  @Option(
      names = "--task",
      paramLabel = "NAME",
      description =
          "Task to run (default: main, or a script's only task when it declares no main).")
  String name;

  @Option(
      names = "--compute",
      paramLabel = "LEVEL|N",
      converter = ComputeConverter.class,
      description = "Fuel budget: LOW, MEDIUM, HIGH or a number of units (default: MEDIUM).")
  Compute compute;

  @Option(
      names = "--ram",
      paramLabel = "SIZE",
      converter = SizeConverter.class,
      description = "Cap on linear memory, e.g. 64MB (default: the sandbox cap, 256MB).")
  ByteSize ram;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Wall-clock limit, e.g. 500ms, 30s, 5m (default: none).")
  Duration timeout;

  @Option(
      names = "--max-retries",
      paramLabel = "N",
      description = "Further attempts after a retryable failure (default: 0).")
  Integer maxRetries;

  @Option(
      names = "--allow-file",
      paramLabel = "DIR[:ro|:rw]",
      description = "Directory the task may use, read-write unless :ro (repeatable).")
  List<String> allowFiles = new ArrayList<>();

  @Option(
      names = "--mount",
      paramLabel = "HOST[::GUEST][:ro|:rw]",
      description = "Directory seen by the task at another path (repeatable).")
  List<String> mounts = new ArrayList<>();

  @Option(
      names = "--allow-host",
      paramLabel = "HOST",
      description = "Host the task may call: *, example.com, *.example.com (repeatable).")
  List<String> allowHosts = new ArrayList<>();

  @Option(
      names = "--env",
      paramLabel = "NAME",
      description = "Host environment variable the task sees (repeatable; .env is loaded).")
  List<String> env = new ArrayList<>();

  @Option(
      names = "--over-ceiling",
      paramLabel = "clamp|reject",
      converter = OverCeilingConverter.class,
      description =
          "What happens to a task or sub-task declaring more than these flags (or capsule.toml)"
              + " grant: clamp it to the grant (default) or reject it (permission_denied).")
  OverCeiling overCeiling = OverCeiling.CLAMP;

  /** The options given on the command line; unset ones stay unset. */
  TaskOptions toOptions() {
    try {
      List<FileGrant> files = new ArrayList<>();
      allowFiles.forEach(f -> files.add(FileGrant.parse(f)));
      mounts.forEach(m -> files.add(FileGrant.parseMount(m)));
      return TaskOptions.builder()
          .name(name)
          .compute(compute)
          .ram(ram)
          .timeout(timeout)
          .maxRetries(maxRetries)
          .allowedFiles(files.isEmpty() ? null : files)
          .allowedHosts(allowHosts.isEmpty() ? null : allowHosts)
          .envVariables(env.isEmpty() ? null : env)
          .build();
    } catch (CapsuleException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** A picocli converter over one of the protocol's parsers, keeping its one-line reason. */
  abstract static class ProtocolConverter<T> implements ITypeConverter<T> {
    private final Function<String, T> parse;

    ProtocolConverter(Function<String, T> parse) {
      this.parse = parse;
    }

    @Override
    public T convert(String value) {
      try {
        return parse.apply(value);
      } catch (CapsuleException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** Parses {@code --over-ceiling}, any case. */
  static final class OverCeilingConverter implements ITypeConverter<OverCeiling> {
    @Override
    public OverCeiling convert(String value) {
      try {
        return OverCeiling.valueOf(value.strip().toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException("must be clamp or reject, not '" + value + "'");
      }
    }
  }

  /** Parses {@code --compute}. */
  static final class ComputeConverter extends ProtocolConverter<Compute> {
    ComputeConverter() {
      super(Compute::parse);
    }
  }

  /** Parses {@code --ram}. */
  static final class SizeConverter extends ProtocolConverter<ByteSize> {
    SizeConverter() {
      super(ByteSize::parse);
    }
  }

  /** Parses {@code --timeout}. */
  static final class DurationConverter extends ProtocolConverter<Duration> {
    DurationConverter() {
      super(Durations::parse);
    }
  }
}
