#!/usr/bin/env python3
"""Checks the Swift package that scripts/gen-mobile.sh assembles, as far as a
machine without a Swift compiler can:

1. every Swift file (generated bindings, tests, Package.swift) parses with
   tree-sitter-swift without an error or missing node;
2. the generated C header compiles (gcc, C11, -Wall -Werror);
3. every function the header declares is exported by the library: a C
   program that takes the address of each one links against it, and `nm`
   lists each as a defined dynamic symbol.

Usage: check_swift.py PACKAGE_DIR LIB_DIR
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import tree_sitter
import tree_sitter_swift

failures = []


def check(ok, what):
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures.append(what)


def syntax_errors(node, out):
    if node.is_error or node.is_missing:
        out.append(f"line {node.start_point[0] + 1}: {node.type} near {node.text[:60]!r}")
    for child in node.children:
        syntax_errors(child, out)
    return out


# Valid Swift that tree-sitter-swift 0.7's grammar does not know: the
# underscored `@_documentation(visibility: private)` attribute uniffi marks
# its internals with, and a closure whose body is the empty tuple `()`. Each
# is blanked out (offsets kept) so the rest of the file is still checked.
GRAMMAR_GAPS = [b"@_documentation(visibility: private)", b"{ () }"]


def swift_source(path: Path) -> bytes:
    data = path.read_bytes()
    for gap in GRAMMAR_GAPS:
        data = data.replace(gap, b"{" + b" " * (len(gap) - 2) + b"}" if gap.startswith(b"{")
                            else b" " * len(gap))
    return data


def main(pkg: Path, libdir: Path):
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
    swift_files = sorted(pkg.rglob("*.swift"))
    check(len(swift_files) >= 3, f"swift: {len(swift_files)} files to parse")
    for f in swift_files:
        tree = parser.parse(swift_source(f))
        errs = syntax_errors(tree.root_node, [])
        check(not errs, f"swift parses: {f.relative_to(pkg)}" + ("; " + "; ".join(errs[:5]) if errs else ""))

    generated = (pkg / "Sources/XmppTls/XmppTls.swift").read_text()
    for api in ["class Endpoint", "class PinStore", "class Policy", "protocol PinStorage",
                "struct Report", "enum XmppTlsError", "func checkIdentity("]:
        check(api in generated, f"swift bindings declare {api}")

    header = pkg / "Sources/xmpptlsFFI/xmpptlsFFI.h"
    text = header.read_text()
    decl = re.compile(r"^(?!typedef)[A-Za-z_][\w \*]*?\b((?:uniffi|ffi)_\w+)\(", re.M)
    functions = sorted(set(decl.findall(text)))
    check(len(functions) > 50, f"header declares {len(functions)} functions")

    # Clang's nullability qualifiers are not C: a gcc build defines them away.
    cflags = ["-std=c11", "-Wall", "-Werror", "-D_Nullable=", "-D_Nonnull="]
    with tempfile.TemporaryDirectory() as tmp:
        prog = Path(tmp) / "symbols.c"
        refs = ",\n".join(f"  (const void *)&{fn}" for fn in functions)
        prog.write_text(
            f'#include "{header}"\n#include <stdio.h>\n'
            f"static const void *const every_function[] = {{\n{refs}\n}};\n"
            "int main(void) {\n"
            "  size_t n = sizeof every_function / sizeof every_function[0];\n"
            "  for (size_t i = 0; i < n; i++) if (!every_function[i]) return 1;\n"
            '  printf("%zu\\n", n);\n  return 0;\n}\n')
        exe = Path(tmp) / "symbols"
        r = subprocess.run(["cc", *cflags, str(prog), "-o", str(exe), f"-L{libdir}",
                            "-lxmpptls_mobile", f"-Wl,-rpath,{libdir}"],
                           capture_output=True, text=True)
        check(r.returncode == 0, "header compiles and every declared function links" +
              ("\n" + r.stderr[-2000:] if r.returncode else ""))
        if r.returncode == 0:
            out = subprocess.run([str(exe)], capture_output=True, text=True)
            check(out.returncode == 0 and out.stdout.strip() == str(len(functions)),
                  "every function resolves at run time")

    nm = subprocess.run(["nm", "-D", "--defined-only", str(libdir / "libxmpptls_mobile.so")],
                        capture_output=True, text=True, check=True).stdout
    exported = {line.split()[-1] for line in nm.splitlines() if line.strip()}
    missing = [fn for fn in functions if fn not in exported]
    check(not missing, "nm: every declared function is exported" +
          (f"; missing {missing[:10]}" if missing else ""))

    modulemap = (pkg / "Sources/xmpptlsFFI/module.modulemap").read_text()
    check('header "xmpptlsFFI.h"' in modulemap and 'link "xmpptls_mobile"' in modulemap,
          "module map names the header and links the library")

    print(f"swift: {'0 failed' if not failures else str(len(failures)) + ' failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
