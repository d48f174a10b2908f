#!/usr/bin/env bash
# Builds libxmpptls and installs header, shared library (soname
# libxmpptls.so.0), static library, pkg-config file and valgrind
# suppressions (pkg-config --variable=suppressions xmpptls) under PREFIX: what
# cargo-c would do, without compiling cargo-c (cargo as a library) on every
# fresh machine. The crate's own library name is xmpptls_c because the core
# crate already produces libxmpptls.rlib.
#   scripts/install-c.sh PREFIX [--debug] [--features F]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:?usage: scripts/install-c.sh PREFIX [--debug] [--features F]}
shift
profile=release
features=()
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug ;;
    --features) features=(--features "$2"); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
flags=(-p xmpptls-c --locked "${features[@]}")
[ "$profile" = release ] && flags+=(--release)
cargo build -q "${flags[@]}"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
major=${version%%.*}
target=${CARGO_TARGET_DIR:-target}/$profile
# The system libraries the static library needs, as rustc reports them.
static_libs=$(cargo rustc -q "${flags[@]}" --lib --crate-type staticlib -- --print native-static-libs 2>&1 \
  | sed -n 's/.*native-static-libs: //p' | tail -1)

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/share/xmpptls"
install -m 644 include/xmpptls.h "$prefix/include/xmpptls.h"
install -m 755 "$target/libxmpptls_c.so" "$prefix/lib/libxmpptls.so.$version"
ln -sf "libxmpptls.so.$version" "$prefix/lib/libxmpptls.so.$major"
ln -sf "libxmpptls.so.$major" "$prefix/lib/libxmpptls.so"
install -m 644 "$target/libxmpptls_c.a" "$prefix/lib/libxmpptls.a"
# A release build has no debug information of its own, but the standard
# library's objects inside the static library do (37.6 -> 25.2 MB without).
[ "$profile" = release ] && strip --strip-debug "$prefix/lib/libxmpptls.a"
# valgrind suppressions for the reports ring's assembly causes (see the file).
install -m 644 bindings-c/valgrind/xmpptls.supp "$prefix/share/xmpptls/xmpptls.supp"
cat > "$prefix/lib/pkgconfig/xmpptls.pc" <<PC
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include
suppressions=\${prefix}/share/xmpptls/xmpptls.supp

Name: xmpptls
Description: TLS in XMPP, safe and visible: XTLS tunnels and RFC 7590 checks
Version: $version
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lxmpptls
Libs.private: $static_libs
Cflags: -I\${includedir}
PC
echo "installed libxmpptls $version ($profile) under $prefix"
