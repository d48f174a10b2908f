#!/usr/bin/env bash
# The Python package, as a wheel or an sdist, built with the standard
# library only (no network, no build tools from PyPI).
#
#   scripts/package-python.sh [OUT]           a wheel (default OUT target/mobile)
#   scripts/package-python.sh --sdist [OUT]   an sdist that pip builds from source with cargo
#
# The wheel: the generated package (both uniffi modules, __init__.py with
# close()/with, py.typed) and the library stripped of its debug
# information, tagged for this platform, with bindings-mobile/python/README.md
# as its description: OUT/wheel/xmpptls-VERSION-py3-none-linux_x86_64.whl.
#
# The sdist: the repository's files (those git tracks or would) and a
# pyproject.toml whose backend, bindings-mobile/python/build_backend.py,
# builds the library with cargo and writes the same wheel:
# OUT/wheel/xmpptls-VERSION.tar.gz. `pip install` it with Rust installed.
set -euo pipefail
cd "$(dirname "$0")/.."
sdist=0
if [ "${1:-}" = --sdist ]; then sdist=1; shift; fi
out="${1:-target/mobile}"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
mkdir -p "$out/wheel"

if [ "$sdist" = 1 ]; then
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  name="xmpptls-$version"
  mkdir -p "$stage/$name"
  # The checkout's files as they are (tracked, and new ones git does not ignore).
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -c | tar -x -C "$stage/$name"
  cat > "$stage/$name/pyproject.toml" <<TOML
[build-system]
requires = []
build-backend = "build_backend"
backend-path = ["bindings-mobile/python"]

[project]
name = "xmpptls"
version = "$version"
description = "TLS in XMPP, safe and visible: XTLS tunnels and TLS policy checks (libxmpptls)"
readme = "bindings-mobile/python/README.md"
license = { text = "MIT OR Apache-2.0" }
requires-python = ">=3.9"
TOML
  printf 'Metadata-Version: 2.1\nName: xmpptls\nVersion: %s\nSummary: TLS in XMPP, safe and visible: XTLS tunnels and TLS policy checks (libxmpptls)\nLicense: MIT OR Apache-2.0\nRequires-Python: >=3.9\n' \
    "$version" > "$stage/$name/PKG-INFO"
  tar -C "$stage" -czf "$out/wheel/$name.tar.gz" "$name"
  echo "$out/wheel/$name.tar.gz"
  exit 0
fi

# The release library and the bindings (PROFILE=debug for a debug library).
scripts/gen-mobile.sh "$out" >/dev/null
stage="$out/wheel-stage"
rm -rf "$stage" "$out"/wheel/*.whl && mkdir -p "$stage"
cp -r "$out/python/xmpptls" "$stage/"
rm -rf "$stage/xmpptls/__pycache__"
touch "$stage/xmpptls/py.typed"
strip --strip-debug "$stage/xmpptls/libxmpptls_mobile.so"
python3 bindings-mobile/python/make_wheel.py "$stage" "$out/wheel" "$version" bindings-mobile/python/README.md
