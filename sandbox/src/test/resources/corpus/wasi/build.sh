#!/bin/sh
# Rebuilds the WASI policy test modules. Needs clang 14+ and wasi-libc (Debian: clang, lld,
# wasi-libc). The built .wasm files are committed, so the tests never need clang.
set -eu
cd "$(dirname "$0")"
for src in *.c; do
  clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror -Wl,--strip-all \
    "$src" -o "${src%.c}.wasm"
done
