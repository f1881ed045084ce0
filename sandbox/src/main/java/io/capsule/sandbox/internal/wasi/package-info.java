/**
 * The sandbox's WASI preview1 layer: Chicory's {@code WasiPreview1} behind a file and environment
 * policy.
 *
 * <p>{@link io.capsule.sandbox.internal.wasi.GuardedWasi} builds the {@code wasi_snapshot_preview1}
 * host functions for one run from a {@link io.capsule.sandbox.internal.wasi.WasiConfig}; {@link
 * io.capsule.sandbox.internal.wasi.Mount} grants one host directory read-only or read-write; {@link
 * io.capsule.sandbox.internal.wasi.BoundedOutput} caps captured stdout/stderr; {@link
 * io.capsule.sandbox.internal.wasi.GuestEnvironment} and {@link
 * io.capsule.sandbox.internal.wasi.DotEnv} choose the variables the guest sees.
 */
package io.capsule.sandbox.internal.wasi;
