package io.capsule.sandbox.internal.wasi;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.log.SystemLogger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code wasi_snapshot_preview1} host functions for ONE run, with the file policy enforced.
 *
 * <p>Chicory's {@link WasiPreview1} does the work; this class replaces its file-system functions
 * with guarded ones:
 *
 * <ul>
 *   <li>nothing outside the mounts is reachable: absolute paths, {@code ..} above a mount and
 *       symlinks (already in the directory) whose real target leaves the mount's real root are
 *       refused with {@code ENOTCAPABLE} (76), also for the parent of a file to be created;
 *   <li>on a read-only mount every mutating call is refused with {@code EROFS} (69): path_open with
 *       create/truncate/exclusive, write, allocate or set-size rights or the append flag;
 *       path_create_directory, path_remove_directory, path_unlink_file, path_rename (either side),
 *       path_filestat_set_times; and fd_write, fd_pwrite, fd_allocate, fd_filestat_set_size,
 *       fd_filestat_set_times on fds opened under it. The mode is that of the innermost mount
 *       holding the RESOLVED path, found by file identity when the call is made, so no spelling,
 *       symlink or renamed parent reaches a read-only mount's files writably;
 *   <li>mounts stay put: renaming or removing a mount root, or a directory containing one, of this
 *       or any other attempt running in the JVM is refused with {@code EBUSY} (10);
 *   <li>opening a FIFO, socket or device is refused with {@code EACCES} (2);
 *   <li>the guest creates no links: path_symlink and path_link are refused with {@code EPERM} (63)
 *       everywhere;
 *   <li>fd calls Chicory serves by path (fd_readdir, fd_filestat_get, fd_filestat_set_times) are
 *       refused with {@code ENOTCAPABLE} when the fd's path has since become a symlink.
 * </ul>
 *
 * A call that checks a path and then uses it does both under {@link MountRegistry}'s JVM-wide lock,
 * so concurrent attempts on the same host directories cannot slip a change in between (see {@code
 * docs/files.md} for what remains).
 *
 * <p>Each refusal is recorded as a {@link Denial} (see {@link #denials()}); the guest only sees the
 * errno. Mounts are preopened from fd 3 in configuration order; with a virtual root (see {@link
 * WasiConfig.Builder#withVirtualRoot}) the root is fd 3, the plain mounts follow, and the mounts
 * served under the root are preopened after them, out of the guest's sight. Wire it as:
 *
 * <pre>{@code
 * try (var wasi = GuardedWasi.create(config)) {
 *   var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
 *   Instance.builder(module).withImportValues(imports).build(); // runs _start
 * } catch (WasiExitException e) { ... e.exitCode() ... }
 * }</pre>
 */
public final class GuardedWasi implements AutoCloseable {
  /** The import module name of the functions. */
  public static final String MODULE = "wasi_snapshot_preview1";

  private static final int FIRST_PREOPEN_FD = 3;

  // Given explicitly: without a logger, WasiPreview1's builder probes for Android with
  // Class.forName on every build, and the failed lookup scans every jar of the class path (a
  // quarter of a trivial task's guest-thread time in the fleet bench).
  private static final Logger LOGGER = new SystemLogger();

  private final WasiPreview1 wasi;
  private final DenialLog denials = new DenialLog();
  private final HostFunction[] functions;
  private final List<MountPoint> preopens;
  private final AtomicBoolean closed = new AtomicBoolean();

  private GuardedWasi(WasiConfig config, List<MountPoint> preopens) {
    this.preopens = preopens;
    int firstHidden = FIRST_PREOPEN_FD + preopens.size() - config.rootMounts().size();
    this.wasi =
        WasiPreview1.builder()
            .withLogger(LOGGER)
            .withOptions(options(config, preopens, firstHidden - FIRST_PREOPEN_FD))
            .build();
    FdTable fds = new FdTable();
    VirtualRoot root =
        config.virtualRoot()
            ? new VirtualRoot(FIRST_PREOPEN_FD, config.rootMounts(), firstHidden)
            : null;
    var guard = new PathGuard(fds, preopens, root);
    for (int i = 0; i < preopens.size(); i++) {
      MountPoint m = preopens.get(i);
      boolean readOnly = guard.readOnlyAt(m.realRoot(), m);
      fds.put(FIRST_PREOPEN_FD + i, new FdTable.Entry(m, m.realRoot(), true, readOnly));
    }
    this.functions = guard(wasi.toHostFunctions(), new GuardedCalls(wasi, fds, guard, denials));
  }

  /** The preopens in fd order: the virtual root, the plain mounts, the mounts under the root. */
  private static List<MountPoint> resolve(WasiConfig config) {
    List<MountPoint> preopens = new ArrayList<>();
    if (config.virtualRoot()) {
      preopens.add(
          MountPoint.of(Mount.readOnly(VirtualRoot.hostDirectory(), VirtualRoot.GUEST_PATH)));
    }
    config.mounts().stream().map(MountPoint::of).forEach(preopens::add);
    config.rootMounts().stream().map(MountPoint::of).forEach(preopens::add);
    return List.copyOf(preopens);
  }

  /**
   * Creates the WASI layer for one run and registers its mounts as fixed until {@link #close()}
   * (see {@link MountRegistry}). Close it after the run to release open files and the mounts.
   *
   * @throws java.io.UncheckedIOException when a mounted directory cannot be resolved
   * @throws io.capsule.protocol.PermissionDeniedException when a mounted directory's path has come
   *     to lead elsewhere (through a symlink) since the mount was made
   */
  public static GuardedWasi create(WasiConfig config) {
    List<MountPoint> preopens = MountRegistry.register(() -> resolve(config));
    try {
      return new GuardedWasi(config, preopens);
    } catch (RuntimeException | Error e) {
      MountRegistry.unregister(preopens);
      throw e;
    }
  }

  /** The host functions to import, module {@value #MODULE}. */
  public HostFunction[] toHostFunctions() {
    return functions.clone();
  }

  /** The calls refused so far (at most {@value DenialLog#MAX_KEPT}, oldest first). */
  public List<Denial> denials() {
    return denials.kept();
  }

  /** How many calls were refused so far, including those beyond what {@link #denials()} keeps. */
  public long denialCount() {
    return denials.count();
  }

  /** Closes the files the guest left open and releases the mounts; a second call does nothing. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      try {
        wasi.close();
      } finally {
        MountRegistry.unregister(preopens);
      }
    }
  }

  /**
   * Chicory's options: preopens in fd order; those from {@code hiddenFrom} on are the mounts served
   * under the virtual root, named apart from it (the guest never asks for their names).
   */
  private static WasiOptions options(WasiConfig config, List<MountPoint> preopens, int hiddenFrom) {
    var options =
        WasiOptions.builder()
            .withArguments(config.arguments())
            .withStdin(new ByteArrayInputStream(config.stdin()), false)
            .withStdout(config.stdout(), false)
            .withStderr(config.stderr(), false);
    config.environment().forEach(options::withEnvironment);
    for (int i = 0; i < preopens.size(); i++) {
      Mount mount = preopens.get(i).mount();
      String name = i < hiddenFrom ? mount.guestPath() : VirtualRoot.hiddenName(mount);
      options.withDirectory(name, preopens.get(i).realRoot());
    }
    return options.build();
  }

  private static HostFunction[] guard(HostFunction[] originals, GuardedCalls calls) {
    Map<String, WasmFunctionHandle> byName = new HashMap<>();
    for (HostFunction function : originals) {
      byName.put(function.name(), function.handle());
    }
    Map<String, WasmFunctionHandle> guarded = calls.handles(byName);
    HostFunction[] result = new HostFunction[originals.length];
    for (int i = 0; i < originals.length; i++) {
      HostFunction original = originals[i];
      WasmFunctionHandle handle = guarded.remove(original.name());
      result[i] =
          handle == null
              ? original
              : new HostFunction(MODULE, original.name(), original.functionType(), handle);
    }
    if (!guarded.isEmpty()) {
      throw new IllegalStateException("Chicory no longer exports " + guarded.keySet());
    }
    return result;
  }
}
