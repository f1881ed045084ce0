#!/usr/bin/env bash
# Fetches the WebAssembly spec test suite (.wast files) for SpecSuiteDifferentialTest: the copy
# in Debian bookworm's source package of Binaryen 108 (test/spec/), downloaded with apt-get as a
# normal user into a private apt state directory, its SHA-256 checked against a pinned value.
# The .wast files are test data fetched at build time, never committed.
#
# Usage: fetch-spec-suite.sh DIR   (idempotent; leaves the .wast files in DIR/wast/)
# Exits non-zero with a one-line reason on stderr when it cannot (no apt-get, no network, ...).
set -euo pipefail

readonly TARBALL=binaryen_108.orig.tar.gz
readonly SHA256=7fea5013da7f98daeeb6a0a60333e8aa917bcb0b1b418ba8531fe710d09041f2
readonly SPEC_DIR=binaryen-version_108/test/spec

fail() { echo "fetch-spec-suite: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || fail "usage: $0 DIR"
mkdir -p "$1"
dir=$(cd "$1" && pwd)
[[ -f $dir/wast/.complete ]] && exit 0

command -v apt-get >/dev/null 2>&1 || fail "apt-get is not installed"
apt="$dir/apt"
if [[ ! -f $dir/$TARBALL ]] || ! echo "$SHA256  $dir/$TARBALL" | sha256sum -c --status; then
  mkdir -p "$apt/lists/partial" "$apt/cache"
  printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm' \
    'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
    > "$apt/src.sources"
  opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt"
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
  apt-get "${opts[@]}" update -qq >"$apt/log" 2>&1 || fail "apt-get update failed (see $apt/log)"
  (cd "$dir" && apt-get "${opts[@]}" source --download-only -qq binaryen=108-1 >>"$apt/log" 2>&1) ||
    fail "apt-get source binaryen failed (see $apt/log)"
fi
echo "$SHA256  $dir/$TARBALL" | sha256sum -c --status || fail "$TARBALL does not have SHA-256 $SHA256"

rm -rf "$dir/wast" "$dir/extract"
mkdir -p "$dir/extract"
tar -xzf "$dir/$TARBALL" -C "$dir/extract" "$SPEC_DIR"
mkdir -p "$dir/wast"
cp "$dir/extract/$SPEC_DIR"/*.wast "$dir/wast/"
rm -rf "$dir/extract"
touch "$dir/wast/.complete"
