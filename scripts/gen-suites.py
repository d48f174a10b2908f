#!/usr/bin/env python3
"""Generates core/src/policy/suites/table.rs: the TLS cipher suite registry.

Source: the CipherSuite enum of the rustls version in Cargo.lock, which
carries the IANA "TLS Cipher Suites" registry (code points and names) plus
some pre-IANA and draft entries, and SUPPLEMENT below: the assignments made
by later RFCs that the enum lacks (each cited). Each name is parsed into key exchange,
authentication, cipher, key and security strength, MAC/AEAD and forward
secrecy. Usage:
    scripts/gen-suites.py            write the table
    scripts/gen-suites.py --check    exit 1 if the committed table is stale
"""
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "core/src/policy/suites/table.rs"


def rustls_enums():
    meta = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--locked"], cwd=ROOT))
    for p in meta["packages"]:
        if p["name"] == "rustls" and p["version"].startswith("0.23"):
            src = pathlib.Path(p["manifest_path"]).parent / "src/enums.rs"
            return p["version"], src.read_text()
    sys.exit("rustls 0.23 not found in cargo metadata")


def entries(text):
    body = text[text.index("pub enum CipherSuite"):]
    body = body[:body.index("\n    }\n")]
    for name, code in re.findall(r"^\s+(\w+) => (0x[0-9a-fA-F]{4}),", body, re.M):
        yield name, int(code, 16)


# IANA assignments that rustls 0.23's enum lacks: (code, IANA name, TLS 1.3, source).
SUPPLEMENT = [
    (0x00C6, "TLS_SM4_GCM_SM3", True, "RFC 8998"),
    (0x00C7, "TLS_SM4_CCM_SM3", True, "RFC 8998"),
    (0x5600, "TLS_FALLBACK_SCSV", False, "RFC 7507"),
    (0xC0B0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256", False, "RFC 8492"),
    (0xC0B1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384", False, "RFC 8492"),
    (0xC0B2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256", False, "RFC 8492"),
    (0xC0B3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384", False, "RFC 8492"),
    (0xC0B4, "TLS_SHA256_SHA256", True, "RFC 9150"),
    (0xC0B5, "TLS_SHA384_SHA384", True, "RFC 9150"),
    (0xC100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC", False, "RFC 9189"),
    (0xC101, "TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC", False, "RFC 9189"),
    (0xC102, "TLS_GOSTR341112_256_WITH_28147_CNT_IMIT", False, "RFC 9189"),
    (0xC103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L", True, "RFC 9367"),
    (0xC104, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_L", True, "RFC 9367"),
    (0xC105, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S", True, "RFC 9367"),
    (0xC106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S", True, "RFC 9367"),
    (0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", False, "RFC 8442"),
    (0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384", False, "RFC 8442"),
    (0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", False, "RFC 8442"),
    (0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", False, "RFC 8442"),
]

# cipher token -> (key bits, security bits, block bits, AEAD)
CIPHERS = {
    "NULL": (0, 0, 0, False),
    "RC4_40": (40, 40, 0, False), "RC4_56": (56, 56, 0, False), "RC4_128": (128, 128, 0, False),
    "RC2_CBC_40": (40, 40, 64, False), "RC2_CBC_56": (56, 56, 64, False),
    "DES40_CBC": (40, 40, 64, False), "DES_CBC_40": (40, 40, 64, False), "DES_CBC": (56, 56, 64, False),
    "3DES_EDE_CBC": (168, 112, 64, False), "IDEA_CBC": (128, 128, 64, False),
    "FORTEZZA_CBC": (80, 80, 64, False), "SEED_CBC": (128, 128, 128, False),
    "28147_CNT": (256, 256, 64, False),
    "CHACHA20_POLY1305": (256, 256, 0, True),
    "SM4_GCM": (128, 128, 128, True), "SM4_CCM": (128, 128, 128, True),
    "KUZNYECHIK_CTR": (256, 256, 128, False), "MAGMA_CTR": (256, 256, 64, False),
    "KUZNYECHIK_MGM_L": (256, 256, 128, True), "KUZNYECHIK_MGM_S": (256, 256, 128, True),
    "MAGMA_MGM_L": (256, 256, 64, True), "MAGMA_MGM_S": (256, 256, 64, True),
}
for fam in ("AES", "CAMELLIA", "ARIA"):
    for bits in (128, 256):
        CIPHERS[f"{fam}_{bits}_CBC"] = (bits, bits, 128, False)
        CIPHERS[f"{fam}_{bits}_GCM"] = (bits, bits, 128, True)
        CIPHERS[f"{fam}_{bits}_CCM"] = (bits, bits, 128, True)
        CIPHERS[f"{fam}_{bits}_CCM_8"] = (bits, bits, 128, True)

MACS = ("SHA384", "SHA256", "SHA", "MD5", "RMD", "GOSTR3411", "IMIT", "NULL")

# key-exchange part -> (kx, auth, forward secrecy)
KX = {
    "RSA": ("RSA", "RSA", False), "RSA_FIPS": ("RSA", "RSA", False),
    "DH_DSS": ("DH", "DSS", False), "DH_RSA": ("DH", "RSA", False),
    "DHE_DSS": ("DHE", "DSS", True), "DHE_RSA": ("DHE", "RSA", True),
    "DH_anon": ("DHE", "anon", True),
    "ECDH_ECDSA": ("ECDH", "ECDSA", False), "ECDH_RSA": ("ECDH", "RSA", False),
    "ECDH_ECNRA": ("ECDH", "ECNRA", False),
    "ECDHE_ECDSA": ("ECDHE", "ECDSA", True), "ECDHE_RSA": ("ECDHE", "RSA", True),
    "ECDHE_PSK": ("ECDHE", "PSK", True), "ECDH_anon": ("ECDHE", "anon", True),
    "ECDH_anon_NULL": ("ECDHE", "anon", True),
    "PSK": ("PSK", "PSK", False), "DHE_PSK": ("DHE", "PSK", True), "PSK_DHE": ("DHE", "PSK", True),
    "RSA_PSK": ("RSA", "PSK", False),
    "KRB5": ("KRB5", "KRB5", False),
    "SRP_SHA": ("SRP", "SRP", True), "SRP_SHA_RSA": ("SRP", "RSA", True), "SRP_SHA_DSS": ("SRP", "DSS", True),
    "ECMQV_ECDSA": ("ECMQV", "ECDSA", True), "ECMQV_ECNRA": ("ECMQV", "ECNRA", True),
    "GOSTR341094": ("GOSTR341094", "GOSTR341094", True), "GOSTR341001": ("GOSTR341001", "GOSTR341001", True),
    "FORTEZZA_KEA": ("KEA", "KEA", False),
    "ECCPWD": ("ECCPWD", "password", True),
    "GOSTR341112_256": ("GOSTR341112_256", "GOSTR341112_256", True),
    "NULL": ("NULL", "anon", False),
}


def parse(rustls_name, code, tls13=False):
    name = rustls_name.split("_or_")[0]  # 0x001E: rustls merges two legacy names
    draft = name.endswith("_draft")
    base = name[: -len("_draft")] if draft else name
    iana = not (draft or base.startswith("SSL_") or "ECMQV" in base or "GOSTR3410" in base
                or "_RMD" in base or code >= 0xFE00)
    s = dict(code=code, iana=iana, tls13=False, export=False, signalling=False)
    if base.endswith("_SCSV"):
        s.update(name=base, kx="none", auth="none", cipher="none", key_bits=0, security_bits=0,
                 block_bits=0, mac="none", aead=False, fs=False, signalling=True)
        return s
    if base.startswith("TLS13_") or (tls13 and "_WITH_" not in base):
        rest = base.split("_", 1)[1]
        cipher, prf = rest.rsplit("_", 1)
        mac = "AEAD"
        if cipher == prf:  # RFC 9150 integrity-only suites: TLS_SHA256_SHA256
            cipher, mac = "NULL", prf
        key, sec, block, aead = CIPHERS[cipher]
        s.update(name="TLS_" + rest, tls13=True, kx="any", auth="any", cipher=cipher, key_bits=key,
                 security_bits=sec, block_bits=block, mac=mac, aead=aead, fs=True)
        return s
    rest = base.split("_", 1)[1]  # after TLS_ / SSL_
    if "_WITH_" in rest:
        left, right = rest.split("_WITH_", 1)
    else:  # drafts such as TLS_ECMQV_ECDSA_NULL_SHA: the longest known prefix
        left = max((k for k in KX if rest.startswith(k + "_")), key=len)
        right = rest[len(left) + 1:]
    export = "_EXPORT" in left
    left = re.sub(r"_EXPORT(1024)?", "", left)
    kx, auth, fs = KX[left]
    if right in CIPHERS:  # AEAD without MAC token (CCM)
        cipher, mac = right, "AEAD"
    elif right in MACS:  # TLS_ECDH_anon_NULL_WITH_SHA: no cipher at all
        cipher, mac = "NULL", right
    else:
        cipher, mac = right.rsplit("_", 1)
        if cipher == "28147_CNT" and mac == "IMIT":
            mac = "GOST28147"
    key, sec, block, aead = CIPHERS[cipher]
    if aead:
        mac = "AEAD"
    if export:
        sec = min(sec, 40 if "RC4_40" in cipher or "40" in cipher else 56)
    if tls13:  # RFC 9367: TLS 1.3 suites named with _WITH_
        kx, auth, fs = "any", "any", True
    s.update(name=name, tls13=tls13, kx=kx, auth=auth,
             cipher=cipher, key_bits=key, security_bits=sec, block_bits=block, mac=mac, aead=aead,
             fs=fs, export=export)
    return s


def render(version, suites):
    """The table in its compact form: the names in one string, each row's
    facts as indexes into small tables (core/src/policy/suites/row.rs: a
    table of `Suite` records with six string slices each cost the npm
    package 957 B more gzip)."""
    rows = sorted(suites, key=lambda s: s["code"])
    kinds = {k: sorted({s[k] for s in rows}) for k in ("kx", "auth", "mac")}
    ciphers = sorted({(s["cipher"], s["key_bits"], s["block_bits"]) for s in rows})
    assert len({c[0] for c in ciphers}) == len(ciphers), "a cipher with two sizes"
    cipher_index = {c[0]: i for i, c in enumerate(ciphers)}
    flag_bits = [("iana", "IANA"), ("tls13", "TLS13"), ("aead", "AEAD"), ("fs", "FORWARD_SECRECY"),
                 ("export", "EXPORT"), ("signalling", "SIGNALLING")]
    out = [
        "// @generated by scripts/gen-suites.py from the CipherSuite enum of rustls",
        f"// {version} (the IANA TLS Cipher Suites registry plus pre-IANA entries,",
        "// marked `iana: false`). Do not edit: run the script.",
        "",
        "use super::row::{Row, AEAD, EXPORT, FORWARD_SECRECY, IANA, SIGNALLING, TLS13};",
        "",
    ]
    upper = {"kx": "KX", "auth": "AUTH", "mac": "MAC"}
    what = {"kx": "Key exchanges", "auth": "Authentications", "mac": "MACs (`AEAD` for AEAD ciphers)"}
    for k in ("kx", "auth", "mac"):
        vals = ", ".join(f'"{v}"' for v in kinds[k])
        out += [f"/// {what[k]}, by a row's index.", "#[rustfmt::skip]", f"pub(super) static {upper[k]}: &[&str] = &[{vals}];", ""]
    out += ["/// Ciphers with their key and block sizes in bits, by a row's index.",
            "#[rustfmt::skip]",
            "pub(super) static CIPHER: &[(&str, u16, u8)] = &["]
    out += [f'    ("{n}", {k}, {bl}),' for n, k, bl in ciphers]
    out += ["];", ""]
    names, ends = "", []
    for s in rows:
        names += s["name"]
        ends.append(len(names))
    assert ends[-1] < 1 << 16
    out += ["/// Every suite's name, one after another in code order; a row holds where",
            "/// its name ends.",
            "#[rustfmt::skip]",
            "pub(super) static NAMES: &str = concat!("]
    out += [f'    "{s["name"]}",' for s in rows]
    out += [");", "",
            "/// Every known cipher suite, sorted by code point: code, end of the name,",
            "/// key exchange, authentication, cipher, MAC, security bits, flags.",
            "#[rustfmt::skip]",
            "pub(super) static ROWS: &[Row] = &["]
    for s, end in zip(rows, ends):
        flags = " | ".join(c for f, c in flag_bits if s[f]) or "0"
        out.append(
            f"    Row::new(0x{s['code']:04x}, {end}, {kinds['kx'].index(s['kx'])}, "
            f"{kinds['auth'].index(s['auth'])}, {cipher_index[s['cipher']]}, "
            f"{kinds['mac'].index(s['mac'])}, {s['security_bits']}, {flags}), // {s['name']}")
    out.append("];")
    return "\n".join(out) + "\n"


def main():
    version, text = rustls_enums()
    suites = [parse(n, c) for n, c in entries(text)]
    known = {s["code"] for s in suites}
    suites += [parse(n, c, t) for c, n, t, _ in SUPPLEMENT if c not in known]
    codes = [s["code"] for s in suites]
    assert len(codes) == len(set(codes)), "duplicate code points"
    table = render(version, suites)
    if "--check" in sys.argv:
        if OUT.read_text() != table:
            sys.exit(f"{OUT} is stale: run scripts/gen-suites.py")
        print(f"{OUT.relative_to(ROOT)} is up to date ({len(suites)} suites)")
        return
    OUT.write_text(table)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(suites)} suites from rustls {version}")


main()
