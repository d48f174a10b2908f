#!/usr/bin/env bash
# Installs everything libxmpptls needs on a fresh Debian machine. Idempotent:
# each step checks before it installs, so re-running is cheap and safe.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== %s\n' "$*"; }

# Rust: the machine's rustup toolchain, or rustup itself when missing.
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    say "installing rustup (stable)"
    if command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq && apt-get install -y -qq rustup >/dev/null
    fi
    rustup default stable
  fi
fi
say "rust: $(rustc --version)"

# rustfmt and clippy keep the code clean in the test run.
for comp in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$comp"; then
    say "adding rustup component $comp"
    rustup component add "$comp"
  fi
done
# aarch64's standard library, for the ARM64 test run (scripts/test-arm64.sh).
if ! rustup target list --installed 2>/dev/null | grep -q "^aarch64-unknown-linux-gnu$"; then
  say "adding rustup target aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi

# python3 runs scripts/gen-suites.py (the cipher suite table check);
# openssl plays the weak TLS servers in the 'xmpptls check' tests, and
# Prosody the real XMPP server of the end-to-end test (started by the test
# itself, as its own user, via setpriv from util-linux).
missing=""
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v prosody >/dev/null 2>&1 || missing="$missing prosody lua-event"
command -v setpriv >/dev/null 2>&1 || missing="$missing util-linux"
# testssl.sh: what scripts/test-observatory.sh compares `xmpptls check` with.
command -v testssl >/dev/null 2>&1 || missing="$missing testssl.sh"
# knotd and kdig: the DNSSEC-signed zone of the SRV and DANE tests.
command -v knotd >/dev/null 2>&1 || missing="$missing knot"
command -v kdig >/dev/null 2>&1 || missing="$missing knot-dnsutils"
# The C library's tests: the system C compiler, pkg-config, valgrind (also
# scripts/count-c-layer.sh's callgrind, part of scripts/bench.sh).
command -v cc >/dev/null 2>&1 || missing="$missing gcc libc6-dev"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
# The uniffi bindings' tests: a JVM and JNA for Kotlin, nm for the Swift
# symbol check.
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
[ -f /usr/share/java/jna.jar ] || missing="$missing libjna-java"
command -v nm >/dev/null 2>&1 || missing="$missing binutils"
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
# Swift: a Debian trixie chroot (below) made with debootstrap.
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
# The npm package: clang with the wasm32 target for ring's C, llvm-ar, and
# Chromium for the browser test.
command -v clang-22 >/dev/null 2>&1 || missing="$missing clang-22"
command -v llvm-ar-22 >/dev/null 2>&1 || missing="$missing llvm-22"
command -v wasm-ld-22 >/dev/null 2>&1 || missing="$missing lld-22"  # the Debian rustc-web route
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
# The phone's CPU: the core's tests cross-built for aarch64 and run under
# qemu-user (ring's ARMv8 assembly is what Android and iOS devices run).
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || missing="$missing gcc-aarch64-linux-gnu"
[ -d /usr/aarch64-linux-gnu/include ] || missing="$missing libc6-dev-arm64-cross"
command -v qemu-aarch64 >/dev/null 2>&1 || missing="$missing qemu-user"
# libstrophe: the real C client of the C host test (scripts/test-hosts.sh).
[ -f /usr/include/strophe.h ] || missing="$missing libstrophe-dev"
if [ -n "$missing" ]; then
  say "installing$missing"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
# ejabberd, the second real server (scripts/test-hosts.sh,
# scripts/bench-ejabberd.sh run their own instances): installed with a
# policy-rc.d that exits 101, so the package starts no system instance.
if [ ! -x /usr/sbin/ejabberdctl ]; then
  say "installing ejabberd (no system instance)"
  had_policy=0
  [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ "$had_policy" = 1 ] || printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ejabberd >/dev/null
  [ "$had_policy" = 1 ] || rm -f /usr/sbin/policy-rc.d
fi
# The package may start a system Prosody; the tests start their own.
if pgrep -u prosody -x lua5.4 >/dev/null 2>&1 || pgrep -x prosody >/dev/null 2>&1; then
  say "stopping the system Prosody"
  (service prosody stop || pkill -u prosody) >/dev/null 2>&1 || true
fi

# cbindgen generates include/xmpptls.h; one pinned version, so the committed
# header and a fresh generation can be compared.
cbindgen_version=0.29.4
if [ "$(cbindgen --version 2>/dev/null | awk '{print $2}')" != "$cbindgen_version" ]; then
  say "installing cbindgen $cbindgen_version"
  cargo install -q cbindgen --version "=$cbindgen_version" --locked
fi

# Kotlin compiler (npm's kotlin-compiler is the full JetBrains compiler with
# the stdlib and kotlin-test), pinned, in the repository's .tools/.
kotlin_version=2.4.20
kotlin_dir=.tools/kotlin
if [ "$(node -p "require('./$kotlin_dir/node_modules/kotlin-compiler/package.json').version" 2>/dev/null)" != "$kotlin_version" ]; then
  say "installing kotlin-compiler $kotlin_version"
  mkdir -p "$kotlin_dir"
  npm install --silent --no-audit --no-fund --prefix "$kotlin_dir" "kotlin-compiler@$kotlin_version" >/dev/null
fi

# wasm32: scripts/build-wasm.sh builds std itself (-Zbuild-std, size-first
# settings), so it needs std's sources: rustup's rust-src component, or,
# where rustup cannot download it, Debian's rustc-web (same compiler family)
# with rust-web-src, extracted into .tools/rust-web.
if ! rustup component list --installed 2>/dev/null | grep -q "^rust-src"; then
  say "adding rustup component rust-src"
  if ! rustup component add rust-src; then
    if [ ! -x .tools/rust-web/usr/bin/rustc ]; then
      say "rustup cannot download: using Debian's rustc-web"
      debs=$(mktemp -d)
      (cd "$debs" && apt-get download rustc-web cargo-web libstd-rust-web-dev rust-web-src \
         "$(apt-cache depends libstd-rust-web-dev | awk '/Depends: libstd-rust-web-[0-9]/ {print $2; exit}')")
      mkdir -p .tools/rust-web
      for deb in "$debs"/*.deb; do dpkg -x "$deb" .tools/rust-web; done
      rm -rf "$debs"
    fi
  fi
fi

# wasm-bindgen's CLI must be exactly the crate's version (Cargo.lock).
# Without --locked: the registry's copy of the CLI's own lock file can lag.
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
  say "installing wasm-bindgen-cli $wasm_bindgen_version"
  cargo install -q wasm-bindgen-cli --version "=$wasm_bindgen_version"
fi

# npm tools in .tools/: binaryen's wasm-opt (Debian's 108 breaks
# wasm-bindgen's reference types), pinned.
binaryen_version=132.0.0
if [ "$(node -p "require('./.tools/binaryen/node_modules/binaryen/package.json').version" 2>/dev/null)" != "$binaryen_version" ]; then
  say "installing binaryen $binaryen_version (npm)"
  mkdir -p .tools/binaryen
  npm install --silent --no-audit --no-fund --prefix .tools/binaryen "binaryen@$binaryen_version" >/dev/null
fi
# esbuild minifies the JS a browser loads from the npm package, pinned.
esbuild_version=0.25.12
if [ "$(node -p "require('./.tools/esbuild/node_modules/esbuild/package.json').version" 2>/dev/null)" != "$esbuild_version" ]; then
  say "installing esbuild $esbuild_version (npm)"
  mkdir -p .tools/esbuild
  npm install --silent --no-audit --no-fund --prefix .tools/esbuild "esbuild@$esbuild_version" >/dev/null
fi
# The npm package's test dependencies (@xmpp/client, playwright-core).
if [ ! -d bindings-wasm/tests/node_modules/@xmpp/client ] || [ bindings-wasm/tests/package-lock.json -nt bindings-wasm/tests/node_modules ]; then
  say "installing the npm package's test dependencies"
  (cd bindings-wasm/tests && npm ci --silent --no-audit --no-fund >/dev/null)
fi

# Python test tools: pytest for the Python bindings, slixmpp for the
# clients of scripts/bench-prosody.sh, mypy for the Python README's
# examples (checked with --strict against the installed wheel).
if ! python3 -c 'import pytest, slixmpp, mypy' 2>/dev/null || [ "$(python3 -m mypy --version | awk '{print $2}')" != 2.4.1 ]; then
  say "installing pytest, slixmpp and mypy"
  python3 -m pip install -q --root-user-action=ignore "pytest==9.2.0" "slixmpp==1.17.0" "mypy==2.4.1"
fi

# Swift for the Swift bindings' tests: this Debian has none, trixie's
# swiftlang (6.0.3) works in a chroot kept in .tools/swift-root (about
# 75 s and 527 MB the first time, then nothing). libc6-dev is needed for
# Foundation; scripts/swift.sh runs commands there with /proc mounted.
swift_root=.tools/swift-root
if [ ! -x "$swift_root/usr/libexec/swift/bin/swift" ]; then
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  if [ ! -x "$swift_root/usr/bin/apt-get" ]; then
    say "making a Debian trixie chroot for Swift ($mirror)"
    rm -rf "$swift_root"
    debootstrap --variant=minbase trixie "$swift_root" "$mirror" >/dev/null
  fi
  say "installing swiftlang in the chroot"
  mount -t proc proc "$swift_root/proc"
  chroot "$swift_root" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends swiftlang libc6-dev >/dev/null' \
    || { umount "$swift_root/proc"; exit 1; }
  umount "$swift_root/proc"
fi
# OpenSSL 3.5's command line in the same chroot, an independent TLS peer
# that offers and accepts X25519MLKEM768 by default (tests/openssl_pq.rs,
# scripts/test-observatory.sh), and trixie's Prosody, whose LuaSec runs on
# it (the observatory's post-quantum tests).
if [ ! -x "$swift_root/usr/bin/openssl" ] || [ ! -x "$swift_root/usr/bin/prosody" ]; then
  say "installing openssl and prosody in the chroot"
  # No daemon starts there: the tests run Prosody themselves.
  printf '#!/bin/sh\nexit 101\n' > "$swift_root/usr/sbin/policy-rc.d"
  chmod 755 "$swift_root/usr/sbin/policy-rc.d"
  mount -t proc proc "$swift_root/proc"
  chroot "$swift_root" /bin/sh -c 'pkgs="openssl prosody lua-sec"; DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends $pkgs >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
         apt-get install -y -qq --no-install-recommends $pkgs >/dev/null; }' \
    || { umount "$swift_root/proc"; exit 1; }
  umount "$swift_root/proc"
fi

# Fetch crates once, so the build and test steps need no network.
say "fetching crates"
cargo fetch --locked -q 2>/dev/null || cargo fetch -q

say "setup done"
