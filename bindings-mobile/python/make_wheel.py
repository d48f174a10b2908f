"""Writes the xmpptls wheel from a staged package folder, with the standard
library only: scripts/package-python.sh and the sdist's build backend
(build_backend.py) both call it, so a wheel built from a checkout and one
built by pip from the sdist are the same.

    python3 make_wheel.py STAGE DEST VERSION README

STAGE holds the package folder xmpptls/ (modules, library, py.typed);
README becomes the long description. Prints the wheel's path.
"""

import base64
import hashlib
import os
import sys
import zipfile

TAG = "py3-none-linux_x86_64"


def metadata(version, readme):
    """The METADATA file (core metadata 2.1) with README as the description."""
    return f"""Metadata-Version: 2.1
Name: xmpptls
Version: {version}
Summary: TLS in XMPP, safe and visible: XTLS tunnels and TLS policy checks (libxmpptls)
License: MIT OR Apache-2.0
Requires-Python: >=3.9
Description-Content-Type: text/markdown

{readme}"""


def write(stage, dest, version, readme_text):
    """Writes DEST/xmpptls-VERSION-TAG.whl from STAGE/xmpptls; returns its path."""
    dist = f"xmpptls-{version}.dist-info"
    meta = {
        f"{dist}/METADATA": metadata(version, readme_text),
        f"{dist}/WHEEL": f"Wheel-Version: 1.0\nGenerator: libxmpptls make_wheel.py\n"
                         f"Root-Is-Purelib: false\nTag: {TAG}\n",
        f"{dist}/top_level.txt": "xmpptls\n",
    }
    records = []
    os.makedirs(dest, exist_ok=True)
    path = os.path.join(dest, f"xmpptls-{version}-{TAG}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        def add(name, data):
            whl.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            records.append(f"{name},sha256={digest},{len(data)}")

        for root, dirs, files in os.walk(os.path.join(stage, "xmpptls")):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for f in sorted(files):
                full = os.path.join(root, f)
                with open(full, "rb") as fh:
                    add(os.path.relpath(full, stage), fh.read())
        for name, text in meta.items():
            add(name, text.encode())
        records.append(f"{dist}/RECORD,,")
        whl.writestr(f"{dist}/RECORD", "\n".join(records) + "\n")
    return path


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    stage, dest, version, readme = sys.argv[1:]
    with open(readme, encoding="utf-8") as fh:
        print(write(stage, dest, version, fh.read()))
