#!/usr/bin/env python3
"""Gives the generated error type each language's own shape (issue 23).

uniffi 0.32 renders an error enum with fields the same way in every
language, and three things of that rendering read wrong to a user:

* Kotlin: the sealed base class `XmppTlsException` has no `code` (only its
  subclasses do), and `message` reads `code=301, detail=...`;
* Swift: the cases are UpperCamelCase (`.Trust`), against Swift's API
  design guidelines (lowerCamelCase enum cases), and `localizedDescription`
  is the enum's reflection;
* (Python gets the same fixes in bindings-mobile/python/__init__.py, at
  run time and for type checkers.)

The core decides the error's content (bindings-mobile/src/error.rs: a
variant per group of codes, each with `code` and `detail`); this script
only changes how the generated code spells it, after each run of
uniffi-bindgen in scripts/gen-mobile.sh. Every rewrite names how many
places it must change and fails the build when the generated code no longer
matches, so a uniffi upgrade cannot silently undo it.

    scripts/lib/polish-bindings.py OUT      (OUT as in scripts/gen-mobile.sh)
"""
import re
import sys

ERROR = "XmppTlsError"
KOTLIN_ERROR = "XmppTlsException"
# Swift keywords a case name must quote in its declaration.
SWIFT_KEYWORDS = {"protocol", "class", "struct", "enum", "func", "default", "case", "in", "is", "as"}


def fail(msg):
    sys.exit(f"polish-bindings: {msg} (the generated code changed: update scripts/lib/polish-bindings.py)")


def replace(text, old, new, count, what):
    found = text.count(old)
    if found != count:
        fail(f"{what}: expected {count} of {old!r}, found {found}")
    return text.replace(old, new)


def block(text, start, end, what):
    """(before, block, after) around the first `start` up to the next `end`."""
    i = text.find(start)
    j = text.find(end, i)
    if i < 0 or j < 0:
        fail(f"{what}: {start!r} ... {end!r} not found")
    return text[:i], text[i:j], text[j:]


def kotlin(path):
    with open(path) as f:
        text = f.read()
    head, body, tail = block(text, f"sealed class {KOTLIN_ERROR}: kotlin.Exception() {{",
                             "companion object ErrorHandler", "Kotlin error class")
    variants = re.findall(r"^    class (\w+)\(", body, re.M)
    if len(variants) < 2:
        fail(f"Kotlin error class: variants not found ({variants})")
    n = len(variants)
    body = replace(body, "val `code`: kotlin.Int, ", "override val `code`: kotlin.Int, ", n, "Kotlin code field")
    body = replace(body, "val `detail`: kotlin.String\n", "override val `detail`: kotlin.String\n", n,
                   "Kotlin detail field")
    body = replace(body, 'get() = "code=${ `code` }, detail=${ `detail` }"',
                   'get() = "[${ `code` }] ${ `detail` }"', n, "Kotlin message")
    body = replace(body, f"sealed class {KOTLIN_ERROR}: kotlin.Exception() {{",
                   f"sealed class {KOTLIN_ERROR}: kotlin.Exception() {{\n"
                   "    /** The stable error code (README \"Error codes\"), the same in every binding. */\n"
                   "    abstract val `code`: kotlin.Int\n"
                   "    /** What went wrong, for logs. */\n"
                   "    abstract val `detail`: kotlin.String\n",
                   1, "Kotlin base class")
    with open(path, "w") as f:
        f.write(head + body + tail)


def lower_camel(name):
    return name[:1].lower() + name[1:]


def swift(path):
    with open(path) as f:
        text = f.read()
    head, body, tail = block(text, f"enum {ERROR}: Swift.Error", "#if compiler(>=6)", "Swift error enum")
    variants = re.findall(r"^    case (\w+)\(", body, re.M)
    if len(variants) < 2:
        fail(f"Swift error enum: cases not found ({variants})")
    for v in variants:
        low = lower_camel(v)
        decl = f"`{low}`" if low in SWIFT_KEYWORDS else low
        body = replace(body, f"    case {v}(", f"    case {decl}(", 1, f"Swift case {v}")
    body = replace(body, "        String(reflecting: self)\n", '        "[\\(code)] \\(detail)"\n', 1,
                   "Swift errorDescription")
    patterns = ", ".join(f"let .{lower_camel(v)}(code, _)" for v in variants)
    details = ", ".join(f"let .{lower_camel(v)}(_, detail)" for v in variants)
    members = (
        "    /// The stable error code (README \"Error codes\"), the same in every binding.\n"
        f"    public var code: Int32 {{\n        switch self {{\n        case {patterns}:\n"
        "            return code\n        }\n    }\n\n"
        "    /// What went wrong, for logs.\n"
        f"    public var detail: String {{\n        switch self {{\n        case {details}:\n"
        "            return detail\n        }\n    }\n\n"
        "    public var errorDescription: String? {")
    body = replace(body, "    public var errorDescription: String? {", members, 1, "Swift members")
    # The converter reads and writes the cases by name.
    _, conv, rest = block(tail, f"public struct FfiConverterType{ERROR}", "\n}\n", "Swift error converter")
    before = tail[: len(tail) - len(conv) - len(rest)]
    for v in variants:
        conv = replace(conv, f"return .{v}(", f"return .{lower_camel(v)}(", 1, f"Swift read {v}")
        conv = replace(conv, f"case let .{v}(", f"case let .{lower_camel(v)}(", 1, f"Swift write {v}")
    with open(path, "w") as f:
        f.write(head + body + before + conv + rest)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    kotlin(f"{out}/kotlin/im/xmpptls/xmpptls_mobile.kt")
    swift(f"{out}/swift/XmppTls.swift")


if __name__ == "__main__":
    main()
