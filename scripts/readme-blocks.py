#!/usr/bin/env python3
"""Extracts the fenced code blocks of a binding's README for its tests.

A README example that does not run is a failing test (issue 14): every
fenced block is either written out here, to be compiled and run by the
binding's test script, or carries a reason it is not run. A comment on the
line before the fence says which:

    <!-- not run: the test installs the wheel itself (scripts/test-mobile.sh) -->
    <!-- prelude: bindings-wasm/tests/readme/posh.mjs -->
    <!-- name: adapter -->

`prelude` prepends a file (what a reader has already: a certificate, a
fetched document) to the block; `name` gives the block a file name a test
looks for. Blocks whose language is not among LANGS and that carry no
"not run" reason are an error: nothing in a README goes untested unnoticed.

    scripts/readme-blocks.py README OUTDIR LANG[,LANG...]

writes OUTDIR/NN-<name>.<lang> (NN is the block's order in the README) and
prints one line per block written: "<file> <README line>".
"""

import pathlib
import re
import sys

FENCE = re.compile(r"^(\s*)```([A-Za-z0-9_+-]*)\s*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*(not run|prelude|name):\s*(.*?)\s*-->\s*$")


def blocks(text):
    """Yields (line number, language, directives, code) for each fenced block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, indent, lang = i + 1, m.group(1), m.group(2)
        directives = {}
        j = i - 1
        while j >= 0 and DIRECTIVE.match(lines[j]):
            d = DIRECTIVE.match(lines[j])
            directives[d.group(1)] = d.group(2)
            j -= 1
        body = []
        i += 1
        while i < len(lines) and not lines[i].lstrip().startswith("```"):
            # A block inside a list item is indented: the code is not.
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        if i == len(lines):
            raise SystemExit(f"line {start}: a code block is never closed")
        i += 1
        yield start, lang, directives, "\n".join(body) + "\n"


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    readme, out, langs = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3].split(",")
    root = pathlib.Path(__file__).resolve().parent.parent
    out.mkdir(parents=True, exist_ok=True)
    errors = []
    written = 0
    for n, (line, lang, directives, code) in enumerate(blocks(readme.read_text()), 1):
        if "not run" in directives:
            if not directives["not run"]:
                errors.append(f"{readme}:{line}: 'not run' needs a reason")
            continue
        if lang not in langs:
            errors.append(f"{readme}:{line}: a `{lang or 'plain'}` block is neither run nor marked "
                          "<!-- not run: why -->")
            continue
        if "prelude" in directives:
            code = (root / directives["prelude"]).read_text() + code
        name = directives.get("name", "block")
        path = out / f"{n:02d}-{name}.{lang}"
        path.write_text(code)
        print(f"{path} {line}")
        written += 1
    if errors:
        raise SystemExit("\n".join(errors))
    if written == 0:
        raise SystemExit(f"{readme}: no {'/'.join(langs)} block to run")


if __name__ == "__main__":
    main()
