#!/bin/sh
# Rebuilds the CPU benchmark corpus. Needs clang 14 and Debian's wasi-libc (sysroot /usr).
# The built .wasm files are committed so that tests never need clang.
set -eu
cd "$(dirname "$0")"
for src in fib loop qsort matmul lz; do
  clang --target=wasm32-wasi --sysroot=/usr -O2 -Wl,--strip-all -o "$src.wasm" "$src.c"
done
