package io.capsule.sandbox.internal.wasi;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasi.WasiPreview1;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The guarded replacements for Chicory's file-system host functions. Path calls are resolved and
 * checked by {@link PathGuard}, then passed to {@link WasiPreview1}'s Java methods with the
 * resolved path; fd calls are checked against {@link FdTable}, then passed to Chicory's own handle.
 * Every call that checks a path and then uses it runs under {@link MountRegistry#locked}; the fd
 * calls that only move bytes (fd_write, fd_pwrite, fd_allocate, fd_filestat_set_size) do not. A
 * refusal returns an errno and is recorded; nothing is thrown to the guest.
 */
final class GuardedCalls {
  private final WasiPreview1 wasi;
  private final FdTable fds;
  private final PathGuard guard;
  private final DenialLog log;

  GuardedCalls(WasiPreview1 wasi, FdTable fds, PathGuard guard, DenialLog log) {
    this.wasi = wasi;
    this.fds = fds;
    this.guard = guard;
    this.log = log;
  }

  /**
   * The replacement handle for each guarded function, by WASI name.
   *
   * @param originals Chicory's handles by name, wrapped for the fd calls
   */
  Map<String, WasmFunctionHandle> handles(Map<String, WasmFunctionHandle> originals) {
    Map<String, WasmFunctionHandle> handles = new LinkedHashMap<>();
    handles.put("path_open", this::pathOpen);
    handles.put("path_create_directory", this::pathCreateDirectory);
    handles.put("path_remove_directory", this::pathRemoveDirectory);
    handles.put("path_unlink_file", this::pathUnlinkFile);
    handles.put("path_rename", this::pathRename);
    handles.put("path_filestat_get", this::pathFilestatGet);
    handles.put("path_filestat_set_times", this::pathFilestatSetTimes);
    handles.put("path_readlink", this::pathReadlink);
    handles.put(
        "path_symlink", (instance, a) -> refuseLink("path_symlink", instance, a[2], a[3], a[4]));
    handles.put(
        "path_link",
        (instance, a) -> {
          // wasi-libc finds both paths' preopens before it calls the host: an unmatched old path
          // fails first
          long[] old = guarded("path_link", () -> routeOnly(instance, a[0], a[2], a[3]));
          return old[0] != WasiAbi.ESUCCESS
              ? old
              : refuseLink("path_link", instance, a[4], a[5], a[6]);
        });
    for (String name :
        new String[] {"fd_write", "fd_pwrite", "fd_allocate", "fd_filestat_set_size"}) {
      handles.put(name, writeThroughFd(name, originals.get(name), false));
    }
    handles.put(
        "fd_filestat_set_times",
        writeThroughFd("fd_filestat_set_times", originals.get("fd_filestat_set_times"), true));
    handles.put("fd_filestat_get", byPathThroughFd("fd_filestat_get", originals));
    handles.put("fd_readdir", byPathThroughFd("fd_readdir", originals));
    handles.put("fd_close", (instance, a) -> fdClose(originals.get("fd_close"), instance, a));
    handles.put(
        "fd_renumber", (instance, a) -> fdRenumber(originals.get("fd_renumber"), instance, a));
    return handles;
  }

  private long[] pathOpen(Instance instance, long... a) {
    return guarded(
        "path_open",
        () -> {
          Memory memory = instance.memory();
          int lookup = (int) a[1];
          int openFlags = (int) a[4];
          int fdFlags = (int) a[7];
          int fdPtr = (int) a[8];
          var target = guard.resolve((int) a[0], path(instance, a[2], a[3]), follows(lookup));
          guard.requireOrdinaryFile(target);
          boolean readOnly = guard.readOnlyAt(target.realPath(), target.mountPoint());
          if (readOnly && WasiAbi.openMutates(openFlags, a[5], fdFlags)) {
            throw Refusal.denied(Denial.Reason.READ_ONLY, target.guestPath());
          }
          int errno =
              wasi.pathOpen(
                  memory,
                  target.baseFd(),
                  lookup,
                  target.chicoryPath(),
                  openFlags,
                  a[5],
                  a[6],
                  fdFlags,
                  fdPtr);
          if (errno == WasiAbi.ESUCCESS) {
            boolean directory = Files.isDirectory(target.realPath());
            fds.put(
                memory.readInt(fdPtr),
                new FdTable.Entry(target.mountPoint(), target.realPath(), directory, readOnly));
          }
          return errno;
        });
  }

  private long[] pathCreateDirectory(Instance instance, long... a) {
    return guarded(
        "path_create_directory",
        () -> {
          var target = writableTarget(instance, a[0], a[1], a[2], false);
          return wasi.pathCreateDirectory(target.baseFd(), target.chicoryPath());
        });
  }

  private long[] pathRemoveDirectory(Instance instance, long... a) {
    return guarded(
        "path_remove_directory",
        () -> {
          var target = movableTarget(guard.route((int) a[0], path(instance, a[1], a[2])));
          return wasi.pathRemoveDirectory(target.baseFd(), target.chicoryPath());
        });
  }

  private long[] pathUnlinkFile(Instance instance, long... a) {
    return guarded(
        "path_unlink_file",
        () -> {
          var target = movableTarget(guard.route((int) a[0], path(instance, a[1], a[2])));
          return wasi.pathUnlinkFile(target.baseFd(), target.chicoryPath());
        });
  }

  /** Chicory 1.7.5's own path_rename always fails on JDK 17 (ENOTSUP), so it is done here. */
  private long[] pathRename(Instance instance, long... a) {
    return guarded(
        "path_rename",
        () -> {
          var fromRoute = guard.route((int) a[0], path(instance, a[1], a[2]));
          var toRoute = guard.route((int) a[3], path(instance, a[4], a[5]));
          var from = movableTarget(fromRoute);
          var to = movableTarget(toRoute);
          return Renamer.rename(from.realPath(), to.realPath());
        });
  }

  private long[] pathFilestatGet(Instance instance, long... a) {
    return guarded(
        "path_filestat_get",
        () -> {
          int lookup = (int) a[1];
          var target = guard.resolve((int) a[0], path(instance, a[2], a[3]), follows(lookup));
          return wasi.pathFilestatGet(
              instance.memory(), target.baseFd(), lookup, target.chicoryPath(), (int) a[4]);
        });
  }

  /** Chicory sets times through symlinks whatever the flags say, so the target is followed. */
  private long[] pathFilestatSetTimes(Instance instance, long... a) {
    return guarded(
        "path_filestat_set_times",
        () -> {
          var target = writableTarget(instance, a[0], a[2], a[3], true);
          return wasi.pathFilestatSetTimes(
              target.baseFd(), (int) a[1], target.chicoryPath(), a[4], a[5], (int) a[6]);
        });
  }

  private long[] pathReadlink(Instance instance, long... a) {
    return guarded(
        "path_readlink",
        () -> {
          var target = guard.resolve((int) a[0], path(instance, a[1], a[2]), false);
          return wasi.pathReadlink(
              instance.memory(),
              target.baseFd(),
              target.chicoryPath(),
              (int) a[3],
              (int) a[4],
              (int) a[5]);
        });
  }

  /** Links could point anywhere (or pin a file outside by inode), so the guest creates none. */
  private long[] refuseLink(
      String operation, Instance instance, long fd, long pathPtr, long pathLen) {
    return guarded(
        operation,
        () -> {
          String newPath = guard.route((int) fd, path(instance, pathPtr, pathLen)).path();
          throw Refusal.denied(Denial.Reason.LINK_CREATION, newPath);
        });
  }

  /** Routes a path (see {@link PathGuard#route}) and nothing else: ESUCCESS when it routes. */
  private int routeOnly(Instance instance, long fd, long pathPtr, long pathLen) {
    guard.route((int) fd, path(instance, pathPtr, pathLen));
    return WasiAbi.ESUCCESS;
  }

  /**
   * fd_write and friends: refused on fds opened read-only. Only the one Chicory serves by path
   * ({@code byPath}) takes the lock: the others use the open channel.
   */
  private WasmFunctionHandle writeThroughFd(
      String name, WasmFunctionHandle original, boolean byPath) {
    if (!byPath) {
      return (instance, a) ->
          refusable(
              name,
              () -> {
                guard.requireWritableFd((int) a[0]);
                return (int) original.apply(instance, a)[0];
              });
    }
    return (instance, a) ->
        guarded(
            name,
            () -> {
              guard.requireWritableFd((int) a[0]);
              guard.requireUnmoved((int) a[0]);
              return (int) original.apply(instance, a)[0];
            });
  }

  /** Calls Chicory serves by re-resolving the fd's path: refused when that path moved. */
  private WasmFunctionHandle byPathThroughFd(
      String name, Map<String, WasmFunctionHandle> originals) {
    WasmFunctionHandle original = originals.get(name);
    return (instance, a) ->
        guarded(
            name,
            () -> {
              guard.requireUnmoved((int) a[0]);
              return (int) original.apply(instance, a)[0];
            });
  }

  private long[] fdClose(WasmFunctionHandle original, Instance instance, long... a) {
    long[] result = original.apply(instance, a);
    if (result[0] == WasiAbi.ESUCCESS) {
      fds.remove((int) a[0]);
    }
    return result;
  }

  private long[] fdRenumber(WasmFunctionHandle original, Instance instance, long... a) {
    long[] result = original.apply(instance, a);
    if (result[0] == WasiAbi.ESUCCESS && a[0] != a[1]) {
      fds.renumber((int) a[0], (int) a[1]);
    }
    return result;
  }

  private PathGuard.Target writableTarget(
      Instance instance, long fd, long pathPtr, long pathLen, boolean followFinal) {
    return writableTarget(guard.route((int) fd, path(instance, pathPtr, pathLen)), followFinal);
  }

  private PathGuard.Target writableTarget(VirtualRoot.Route routed, boolean followFinal) {
    var target = guard.resolveRouted(routed, followFinal);
    guard.requireWritable(target);
    return target;
  }

  /** A target to rename or remove (its last symlink not followed): never a mount root. */
  private PathGuard.Target movableTarget(VirtualRoot.Route routed) {
    var target = guard.resolveRouted(routed, false);
    guard.requireNoMountRoot(target);
    guard.requireWritable(target);
    return target;
  }

  /** Runs a call that checks a path and uses it, under {@link MountRegistry}'s lock. */
  private long[] guarded(String operation, IntSupplier call) {
    return refusable(operation, () -> MountRegistry.locked(call));
  }

  private long[] refusable(String operation, IntSupplier call) {
    int errno;
    try {
      errno = call.getAsInt();
    } catch (Refusal refusal) {
      if (refusal.reason() != null) {
        log.add(new Denial(operation, refusal.guestPath(), refusal.reason()));
      }
      errno = refusal.errno();
    }
    return new long[] {errno};
  }

  private static String path(Instance instance, long pointer, long length) {
    return instance.memory().readString((int) pointer, (int) length);
  }

  private static boolean follows(int lookupFlags) {
    return (lookupFlags & WasiAbi.LOOKUP_SYMLINK_FOLLOW) != 0;
  }
}
