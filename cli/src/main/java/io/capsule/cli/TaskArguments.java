package io.capsule.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.capsule.protocol.CapsuleException;
import io.capsule.protocol.CapsuleJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A task's arguments as {@code run} and {@code submit} take them: the JSON array of {@code
 * --args-file} (for large or structured inputs) first, then the command line's words as strings.
 */
final class TaskArguments {
  private TaskArguments() {}

  /**
   * The arguments.
   *
   * @param argsFile the {@code --args-file} as given, or {@code null}
   * @param cwd the directory a relative {@code argsFile} is read from
   * @param words the words after the file
   * @throws UsageException when the file cannot be read or holds no JSON array
   */
  static List<JsonNode> of(Path argsFile, Path cwd, List<String> words) {
    List<JsonNode> result = new ArrayList<>();
    if (argsFile != null) {
      result.addAll(read(argsFile, cwd.resolve(argsFile)));
    }
    words.forEach(w -> result.add(TextNode.valueOf(w)));
    return result;
  }

  private static List<JsonNode> read(Path given, Path path) {
    try {
      JsonNode array = CapsuleJson.readTree(Files.readString(path));
      if (!array.isArray()) {
        throw new UsageException(given + " must hold a JSON array of arguments");
      }
      List<JsonNode> list = new ArrayList<>();
      array.forEach(list::add);
      return list;
    } catch (NoSuchFileException e) {
      throw new UsageException("cannot read " + given + ": no such file");
    } catch (IOException e) {
      throw new UsageException("cannot read " + given + ": " + e.getMessage());
    } catch (CapsuleException e) {
      throw new UsageException(given + ": " + e.getMessage());
    }
  }
}
