#!/usr/bin/env python3
"""The README's parity tables against the bindings as built: every name of
"One API in every runtime" must be declared in the C header, the npm
package's TypeScript declarations, and the Kotlin, Swift and Python code
uniffi generated; Kotlin and Swift spell a call alike and Python spells it
in snake case; and every enum name of the names table exists in each
language's casing. Run after scripts/gen-mobile.sh and scripts/build-wasm.sh
(scripts/test.sh does). Prints a "not ok" line per mismatch and a summary;
exits 1 on a mismatch.
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import tally  # noqa: E402 (scripts/lib, found through the path just set)
from tally import check  # noqa: E402

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
README = open(f"{ROOT}/README.md", encoding="utf-8").read()


def read(pattern):
    files = sorted(glob.glob(f"{ROOT}/{pattern}", recursive=True))
    if not files:
        sys.exit(f"not ok - parity: nothing at {pattern} (build the bindings first)")
    return "\n".join(open(f, encoding="utf-8").read() for f in files)


SOURCES = {
    "C": read("include/xmpptls.h"),
    "JS": read("target/npm/xmpptls/*.d.ts"),
    "Kotlin": read("target/mobile/kotlin/**/*.kt"),
    "Swift": read("target/mobile/swift/*.swift"),
    "Python": read("target/mobile/python/xmpptls/*.py"),
}

# How each language declares a name.
DECLARED = {
    "C": r"\b{n}\s*\(|\bstruct {n}\b|\b{n};",
    "JS": r"\b{n}\s*[(<:?]|\bclass {n}\b|\binterface {n}\b|\btype {n}\b|\bget {n}\(",
    "Kotlin": r"\bfun `?{n}`?\s*\(|\bclass {n}\b|\binterface {n}\b|\bobject {n}\b",
    "Swift": r"\bfunc {n}\s*\(|\b(class|struct|enum|protocol) {n}\b",
    "Python": r"\bdef {n}\s*\(|\bclass {n}\b",
}


def section(title):
    start = README.index(title)
    ends = [i for i in (README.find("\n## ", start + 1), README.find("\n### ", start + 1)) if i > 0]
    return README[start:min(ends)]


def rows(text):
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ---") and "|---" not in line:
            yield [c.strip() for c in line.strip("|").split("|")]


def names(cell):
    return re.findall(r"`([^`]+)`", cell)


def snake(name):
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()




api = section("### The same calls everywhere")
header, *body = list(rows(api))
langs = header[1:6]
assert langs == ["C", "JS", "Kotlin", "Swift", "Python"], langs
for row in body:
    capability, cells = row[0], row[1:6]
    found = {}
    for lang, cell in zip(langs, cells):
        for n in names(cell):
            pattern = DECLARED[lang].format(n=re.escape(n))
            check(re.search(pattern, SOURCES[lang]) is not None, f"{capability}: {lang} declares {n}")
        found[lang] = names(cell)
    # uniffi names an error type ...Exception in Kotlin (Kotlin's custom).
    k = [n.replace("Exception", "Error") for n in found["Kotlin"]]
    s, p, js = found["Swift"], found["Python"], found["JS"]
    if k and s:
        check(k == s, f"{capability}: Kotlin and Swift say {k} / {s}")
    if k and p:
        check([snake(n) if n[0].islower() else n for n in k] == p, f"{capability}: Python says {p} for {k}")
    if k and js:
        check(js == k, f"{capability}: JS says {js} for {k}")

table = section("### Names and codes")
for row in rows(table):
    if row[0] == "what":
        continue
    what, uniffi_type, values = row[0], names(row[1])[0], names(row[2])
    for v in values:
        camel = "".join(w.capitalize() for w in v.split("-"))
        # uniffi's SHOUTY_SNAKE of the Rust variant: words break before a
        # capital, digits stay with the word before (Tls12And13 -> TLS12_AND13).
        screaming = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", camel).upper()
        lower_camel = camel[0].lower() + camel[1:]
        check(f'"{v}"' in SOURCES["JS"], f"{what}: JS has \"{v}\"")
        check(re.search(rf"\b({screaming}\b|(class|object) {camel}\b)", SOURCES["Kotlin"]) is not None,
              f"{what}: Kotlin {uniffi_type} has {screaming}")
        check(re.search(rf"\bcase {lower_camel}\b", SOURCES["Swift"]) is not None,
              f"{what}: Swift {uniffi_type} has .{lower_camel}")
        check(re.search(rf"\b({screaming}\b|class {camel}\b)", SOURCES["Python"]) is not None,
              f"{what}: Python {uniffi_type} has {screaming}")

tally.finish("parity of C, JS, Kotlin, Swift and Python with the README")
