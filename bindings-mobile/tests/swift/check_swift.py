#!/usr/bin/env python3
"""Checks the Swift package that scripts/gen-mobile.sh assembles, as far as a
machine without a Swift compiler can:

1. every Swift file (generated bindings, tests, Package.swift) parses with
   tree-sitter-swift without an error or missing node, and every call in
   the Swift tests to a function or initialiser of the bindings passes
   argument labels one of its declarations accepts (defaults may be left
   out), so the tests are written against the API that was generated;
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


def children(node, kind):
    return [c for c in node.children if c.type == kind]


def declarations(root):
    """name -> [[(label, has_default), ...], ...] for funcs and inits."""
    decls = {}

    def params(node):
        out = []
        kids = node.children
        for i, c in enumerate(kids):
            if c.type != "parameter":
                continue
            names = children(c, "simple_identifier")
            label = names[0].text.decode() if names else None
            has_default = i + 1 < len(kids) and kids[i + 1].type == "="
            out.append((None if label == "_" else label, has_default))
        return out

    def walk(node, owner):
        if node.type == "class_declaration":
            ids = children(node, "type_identifier")
            owner = ids[0].text.decode() if ids else owner
        if node.type == "function_declaration":
            ids = children(node, "simple_identifier")
            if ids:
                decls.setdefault(ids[0].text.decode(), []).append(params(node))
        if node.type == "init_declaration" and owner:
            decls.setdefault(owner, []).append(params(node))
        for c in node.children:
            walk(c, owner)

    walk(root, None)
    return decls


def calls(root):
    """(name, [label or None, ...], line) of every call expression."""
    out = []

    def walk(node):
        if node.type == "call_expression" and node.children:
            callee = node.children[0]
            if callee.type == "navigation_expression":
                suffix = children(callee, "navigation_suffix")
                ids = children(suffix[-1], "simple_identifier") if suffix else []
                name = ids[-1].text.decode() if ids else None
            elif callee.type == "simple_identifier":
                name = callee.text.decode()
            else:
                name = None
            labels = []
            for suffix in children(node, "call_suffix"):
                for args in children(suffix, "value_arguments"):
                    for arg in children(args, "value_argument"):
                        lab = children(arg, "value_argument_label")
                        labels.append(lab[0].text.decode() if lab else None)
            if name:
                out.append((name, labels, node.start_point[0] + 1))
        for c in node.children:
            walk(c)

    walk(root)
    return out


def accepts(decl, labels):
    """Whether a declaration's parameters take these argument labels."""
    i = 0
    for label, has_default in decl:
        if i < len(labels) and labels[i] == label:
            i += 1
        elif not has_default:
            return False
    return i == len(labels)


def main(pkg: Path, libdir: Path):
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
    swift_files = sorted(pkg.rglob("*.swift"))
    check(len(swift_files) >= 3, f"swift: {len(swift_files)} files to parse")
    for f in swift_files:
        tree = parser.parse(swift_source(f))
        errs = syntax_errors(tree.root_node, [])
        check(not errs, f"swift parses: {f.relative_to(pkg)}" + ("; " + "; ".join(errs[:5]) if errs else ""))

    generated = (pkg / "Sources/XmppTls/XmppTls.swift").read_text()
    api = declarations(parser.parse(swift_source(pkg / "Sources/XmppTls/XmppTls.swift")).root_node)
    for test_file in sorted((pkg / "Tests").rglob("*.swift")):
        tree = parser.parse(swift_source(test_file))
        checked, wrong = 0, []
        local = declarations(tree.root_node)
        for name, labels, line in calls(tree.root_node):
            if name not in api or name in local:
                continue
            checked += 1
            if not any(accepts(d, labels) for d in api[name]):
                wrong.append(f"line {line}: {name}({', '.join(l or '_' for l in labels)})")
        check(checked > 10 and not wrong,
              f"swift tests call the bindings with valid labels: {test_file.name} ({checked} calls)"
              + ("; " + "; ".join(wrong[:5]) if wrong else ""))
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
