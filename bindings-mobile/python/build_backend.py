"""The PEP 517 build backend of the xmpptls sdist: builds the Rust library
with cargo, generates the Python bindings with the in-tree uniffi-bindgen
(the library's exact uniffi version) and writes the same wheel as
scripts/package-python.sh (make_wheel.py). Standard library only, so pip
needs no index to build it.

The sdist's pyproject.toml names this module (backend-path
bindings-mobile/python). Environment: CARGO (default cargo),
CARGO_TARGET_DIR (reuse a build), XMPPTLS_CARGO_PROFILE (default release).
"""

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_wheel  # noqa: E402

ROOT = os.getcwd()


def _version():
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("version = "):
                return line.split('"')[1]
    raise RuntimeError("no version in Cargo.toml")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    cargo = os.environ.get("CARGO", "cargo")
    profile = os.environ.get("XMPPTLS_CARGO_PROFILE", "release")
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    subprocess.run([cargo, "build", "--locked", "--profile", profile,
                    "-p", "xmpptls-mobile", "-p", "uniffi-bindgen"], cwd=ROOT, check=True)
    outdir = os.path.join(target, "debug" if profile == "dev" else profile)
    lib = os.path.join(outdir, "libxmpptls_mobile.so")
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "gen")
        subprocess.run([os.path.join(outdir, "uniffi-bindgen"), "generate", "--library", lib,
                        "--language", "python", "--out-dir", gen, "--no-format"], cwd=ROOT, check=True)
        pkg = os.path.join(tmp, "stage", "xmpptls")
        os.makedirs(pkg)
        for name in ("xmpptls_mobile.py", "xmpptls_core.py"):
            shutil.copy(os.path.join(gen, name), pkg)
        here = os.path.join(ROOT, "bindings-mobile", "python")
        shutil.copy(os.path.join(here, "__init__.py"), pkg)
        open(os.path.join(pkg, "py.typed"), "w").close()
        shutil.copy(lib, pkg)
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-debug", os.path.join(pkg, "libxmpptls_mobile.so")], check=True)
        with open(os.path.join(here, "README.md"), encoding="utf-8") as fh:
            path = make_wheel.write(os.path.join(tmp, "stage"), wheel_directory, _version(), fh.read())
    return os.path.basename(path)


def build_sdist(sdist_directory, config_settings=None):
    name = f"xmpptls-{_version()}"
    path = os.path.join(sdist_directory, f"{name}.tar.gz")
    skip = {"target", ".git", ".tools", "node_modules"}
    with tarfile.open(path, "w:gz") as tar:
        tar.add(ROOT, arcname=name, filter=lambda t: None if os.path.basename(t.name) in skip else t)
    return os.path.basename(path)
