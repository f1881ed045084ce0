package io.capsule.protocol;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which {@code allowed_files} an operator's file ceiling covers. Both sides are resolved against
 * the files root and normalised ({@code ..} folded), so {@code data/../secrets} is {@code secrets};
 * where both directories exist their real paths must nest too, so a symlink inside a granted
 * directory does not lead out of it. Read-write is covered only by a read-write ceiling directory.
 */
final class FileCeiling {
  private final List<FileGrant> ceiling;
  private final Path root;

  FileCeiling(List<FileGrant> ceiling, Path root) {
    this.ceiling = ceiling;
    this.root = root.toAbsolutePath().normalize();
  }

  /**
   * The declared grants narrowed to this ceiling: a covered grant stays; a read-write grant inside
   * only read-only ceiling directories becomes read-only ({@code clamp}); a grant inside no ceiling
   * directory is replaced by the ceiling directories inside it, seen at the matching guest path
   * ({@code clamp}). Without {@code clamp} either is refused.
   *
   * @throws PermissionDeniedException when {@code clamp} is false and a grant is not covered
   */
  List<FileGrant> narrow(List<FileGrant> declared, boolean clamp) {
    Set<FileGrant> kept = new LinkedHashSet<>();
    for (FileGrant grant : declared) {
      kept.addAll(narrow(grant, clamp));
    }
    return new ArrayList<>(kept);
  }

  private List<FileGrant> narrow(FileGrant grant, boolean clamp) {
    Path dir = resolve(grant.path());
    List<FileGrant> around = ceiling.stream().filter(c -> inside(dir, resolve(c.path()))).toList();
    if (around.stream().anyMatch(c -> !c.readOnly() || grant.readOnly())) {
      return List.of(grant);
    }
    if (!clamp) {
      throw new PermissionDeniedException(refusal(grant, around));
    }
    if (!around.isEmpty()) {
      return List.of(new FileGrant(grant.path(), grant.guestPath(), true));
    }
    return ceiling.stream()
        .filter(c -> inside(resolve(c.path()), dir))
        .map(c -> within(grant, c, dir))
        .toList();
  }

  /**
   * Ceiling directory {@code c}, inside the declared {@code grant}, where the grant would see it.
   */
  private FileGrant within(FileGrant grant, FileGrant c, Path dir) {
    String relative = dir.relativize(resolve(c.path())).toString();
    String guest = grant.guestPath().endsWith("/") ? grant.guestPath() : grant.guestPath() + "/";
    return new FileGrant(c.path(), guest + relative, grant.readOnly() || c.readOnly());
  }

  private String refusal(FileGrant grant, List<FileGrant> around) {
    String why =
        around.isEmpty()
            ? "' is not inside the operator's allowed_files "
            : "' asks read-write; the operator grants it read-only in ";
    return "allowed_files '"
        + grant.path()
        + ":"
        + grant.mode()
        + why
        + ceiling.stream().map(c -> c.path() + ":" + c.mode()).toList()
        + " (over_ceiling: reject)";
  }

  private Path resolve(String path) {
    try {
      return root.resolve(path).normalize();
    } catch (InvalidPathException e) {
      throw new InvalidRequestException("allowed_files '" + path + "' is not a path", e);
    }
  }

  /** Whether {@code dir} lies in {@code outer}, by name and, where both exist, by real path. */
  private static boolean inside(Path dir, Path outer) {
    if (!dir.startsWith(outer)) {
      return false;
    }
    if (!Files.exists(dir) || !Files.exists(outer)) {
      return true;
    }
    try {
      return dir.toRealPath().startsWith(outer.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }
}
