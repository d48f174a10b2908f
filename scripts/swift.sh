#!/usr/bin/env bash
# Runs a command with Swift (Debian trixie's swiftlang 6.0.3) in the chroot
# scripts/setup.sh keeps in .tools/swift-root, with DIR bind-mounted at /pkg
# and /proc mounted for the command's lifetime. The chroot has its own,
# newer glibc: programs built there run there; libraries built on this
# machine load there.
#
#   scripts/swift.sh DIR COMMAND...      e.g. scripts/swift.sh target/mobile swift test
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/.tools/swift-root"
[ $# -ge 2 ] || { echo "usage: $0 DIR COMMAND..." >&2; exit 2; }
dir=$(cd "$1" && pwd)
shift
[ -x "$root/usr/libexec/swift/bin/swift" ] || { echo "no Swift in $root: run scripts/setup.sh" >&2; exit 1; }
mkdir -p "$root/pkg"
cleanup() {
  umount "$root/pkg" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
mount --bind "$dir" "$root/pkg"
mount -t proc proc "$root/proc"
chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 \
  LD_LIBRARY_PATH="${SWIFT_LD_LIBRARY_PATH:-}" /bin/sh -c 'cd /pkg && exec "$@"' sh "$@"
