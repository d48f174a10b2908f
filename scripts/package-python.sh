#!/usr/bin/env bash
# A wheel of the Python bindings: the generated package (both uniffi
# modules, __init__.py with close()/with) and the library, stripped of its
# debug information. Built with the standard library only (no network, no
# build backend), tagged for this platform.
#
#   scripts/package-python.sh [OUT]    (default target/mobile; after gen-mobile.sh)
#
# OUT/wheel/xmpptls-VERSION-py3-none-linux_x86_64.whl; then
#   pip install OUT/wheel/xmpptls-*.whl
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/mobile}"
stage="$out/wheel-stage"
rm -rf "$stage" "$out/wheel" && mkdir -p "$stage" "$out/wheel"
cp -r "$out/python/xmpptls" "$stage/"
rm -rf "$stage/xmpptls/__pycache__"
strip --strip-debug "$stage/xmpptls/libxmpptls_mobile.so"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
python3 - "$stage" "$out/wheel" "$version" <<'PY'
import base64, hashlib, os, sys, zipfile
stage, dest, version = sys.argv[1:]
dist = f"xmpptls-{version}.dist-info"
meta = {
    f"{dist}/METADATA": f"""Metadata-Version: 2.1
Name: xmpptls
Version: {version}
Summary: TLS in XMPP, safe and visible: XTLS tunnels and TLS policy checks (libxmpptls)
License: MIT OR Apache-2.0
Requires-Python: >=3.9
""",
    f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: libxmpptls scripts/package-python.sh\n"
                     "Root-Is-Purelib: false\nTag: py3-none-linux_x86_64\n",
    f"{dist}/top_level.txt": "xmpptls\n",
}
records = []
path = os.path.join(dest, f"xmpptls-{version}-py3-none-linux_x86_64.whl")
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
    def add(name, data):
        whl.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        records.append(f"{name},sha256={digest},{len(data)}")
    for root, _, files in os.walk(os.path.join(stage, "xmpptls")):
        for f in sorted(files):
            full = os.path.join(root, f)
            add(os.path.relpath(full, stage), open(full, "rb").read())
    for name, text in meta.items():
        add(name, text.encode())
    records.append(f"{dist}/RECORD,,")
    whl.writestr(f"{dist}/RECORD", "\n".join(records) + "\n")
print(path)
PY
