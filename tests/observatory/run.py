#!/usr/bin/env python3
"""The tests of `xmpptls check` against real servers on 127.0.0.1
(scripts/test-observatory.sh makes the certificates and calls this):

* every weak server of weak_servers.py: what the check must name (versions,
  suites, findings), the grade it may give at best, and that it never runs
  past its --timeout;
* Prosody (Debian package) for c2s and s2s with a certificate of the test CA;
* knotd (Debian) with a DNSSEC-signed zone: SRV targets, the RFC 6120
  fallback, DANE authenticated, failed and unproved;
* an HTTPS server with POSH documents (a redirect, then fingerprints);
* testssl.sh (Debian package) on the same servers: the versions and suites
  it finds must be the ones the check finds.

    run.py XMPPTLS CERTDIR

Prints "ok - ..." / "not ok - ..." per test and "N passed, N failed".
"""

import json
import re
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN = "example.net"
results = []
lock = threading.Lock()


def report(ok, name, detail=""):
    with lock:
        ok = bool(ok)
        results.append(ok)
        print(f"{'ok' if ok else 'not ok'} - {name}" + ("" if ok or not detail else f"\n# {detail}"), flush=True)


def check(xmpptls, certs, port, *extra, timeout=30):
    args = [xmpptls, "check", f"127.0.0.1:{port}", "--domain", DOMAIN, "--ca", f"{certs}/ca.pem",
            "--no-system-roots", "--json", "--timeout", str(timeout), *extra]
    started = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout + 30)
    wall = time.monotonic() - started
    try:
        return json.loads(p.stdout), wall, p.returncode
    except json.JSONDecodeError:
        return {"error": p.stdout + p.stderr}, wall, p.returncode


def accepted(j):
    """{(version, suite name)} the check found."""
    scan = j.get("scan") or {}
    return {(v["version"], s["name"]) for v in scan.get("versions", []) for s in v["suites"]}


def codes(j):
    return [f["code"] for f in j.get("findings", [])]


GRADES = "ABCDEF"

# name: (versions accepted, findings that must be there, best grade allowed,
#        worst grade allowed, a finding message that must name this)
EXPECT = {
    "modern": ({"TLSv1.3", "TLSv1.2"}, [], "A", "A", None),
    "optional": ({"TLSv1.3", "TLSv1.2"}, ["starttls-not-required", "sasl-plain-before-tls"], "C", "C", "PLAIN"),
    "tls10": ({"TLSv1.0"}, ["version-deprecated"], "C", "C", "TLSv1.0"),
    "tls11": ({"TLSv1.1"}, ["version-deprecated"], "C", "C", "TLSv1.1"),
    "staticrsa": ({"TLSv1.2"}, ["suite-not-recommended"], "B", "B", "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    "cbc": ({"TLSv1.2"}, ["suite-not-recommended"], "B", "B", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    # Issue 22 #4: the weak key caps at C; the handshake that ring stops at
    # the key's signature is not a certificate rejection (no cap F).
    "rsa1024": ({"TLSv1.3", "TLSv1.2"}, ["weak-peer-key"], "C", "C", "1024 bits"),
    "dh1024": ({"TLSv1.2"}, ["weak-dh"], "B", "B", "1024 bits"),
    "expired": ({"TLSv1.3", "TLSv1.2"}, ["certificate-untrusted"], "F", "F", "expired"),
    "wrongname": ({"TLSv1.3", "TLSv1.2"}, ["identity-mismatch"], "F", "F", None),
    "cnonly": ({"TLSv1.3", "TLSv1.2"}, ["identity-mismatch"], "F", "F", None),
    "selfsigned": ({"TLSv1.3", "TLSv1.2"}, ["certificate-untrusted"], "F", "F", None),
    "stripped": (set(), ["starttls-not-offered"], "F", "F", None),
    "failure": (set(), ["starttls-failed"], "F", "F", "<failure/>"),
}


def test_weak(xmpptls, certs, ports):
    def one(name):
        versions, must, best, worst, named = EXPECT[name]
        j, wall, _ = check(xmpptls, certs, ports[name])
        got = {v["version"] for v in (j.get("scan") or {}).get("versions", [])}
        grade = (j.get("grade") or {}).get("grade", "?")
        problems = []
        if got != versions:
            problems.append(f"versions {sorted(got)}, expected {sorted(versions)}")
        for c in must:
            if c not in codes(j):
                problems.append(f"no {c} finding in {codes(j)}")
        if grade not in GRADES or not GRADES.index(best) <= GRADES.index(grade) <= GRADES.index(worst):
            problems.append(f"grade {grade}, expected {best}..{worst}")
        if name in ("tls10", "tls11"):
            # Issue 22 #6: the session shown is what a client preferring
            # forward secrecy gets, with a group only for an ECDHE suite.
            suite, kx = j.get("cipher_suite") or "", j.get("key_exchange")
            if "ECDHE" not in suite or not kx:
                problems.append(f"shown as {suite} with key exchange {kx}: the server accepts ECDHE suites")
        if name == "staticrsa" and j.get("key_exchange"):
            problems.append(f"a static-RSA session shown with key exchange {j.get('key_exchange')}")
        if name in ("tls10", "tls11") and "server-silent" in codes(j):
            problems.append(f"server-silent for a server the scan shows answering: {codes(j)}")
        if name == "rsa1024" and "certificate-rejected" in codes(j):
            problems.append(f"certificate-rejected for a key that is only weak: {codes(j)}")
        if named and not any(named in f["message"] for f in j.get("findings", [])):
            problems.append(f"no finding names {named!r}")
        if name in ("stripped", "failure") and wall > 5:
            problems.append(f"took {wall:.1f} s (a stripped or refused STARTTLS is known at once)")
        report(not problems, f"check {name}: {', '.join(must) or 'no error'}; grade {grade}",
               "; ".join(problems) + f"; {j.get('error', '')}")

    threads = [threading.Thread(target=one, args=(n,)) for n in EXPECT]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # SASL after TLS and the channel-binding types (XEP-0440).
    j, _, _ = check(xmpptls, certs, ports["modern"])
    st = j.get("stream") or {}
    report(st.get("sasl_after_tls") == ["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN"]
           and st.get("channel_bindings") == ["tls-exporter", "tls-server-end-point"]
           and st.get("starttls_required") is True and st.get("sasl_before_tls") == [],
           "check reads SASL mechanisms before and after TLS and the channel-binding types", str(st))

    # The HTML report: self-contained, the grade, the chart, the suites.
    with tempfile.TemporaryDirectory() as d:
        page = f"{d}/r.html"
        j, _, _ = check(xmpptls, certs, ports["tls10"], "--html", page)
        html = open(page).read() if os.path.exists(page) else ""
        report("<svg" in html and "class='grade'>C<" in html and "TLS_RSA_WITH_AES_128_CBC_SHA" in html
               and "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", ""),
               "check --html writes a self-contained report: grade, chart, suites", html[:300])
        report(f"127.0.0.1:{ports['tls10']}</h2>" in html and "checked in" in html and "<h3>Certificate</h3>" in html
               and "bits</td>" in html and html.count("<!doctype") == 1,
               "check --html names the server (host:port), the check's time and the certificate (key, names)",
               html[:600])

    # The one with TLS from the first octet.
    j, _, _ = check(xmpptls, certs, ports["direct"], "--direct-tls")
    report((j.get("grade") or {}).get("grade") == "A" and "TLSv1.3" in {v["version"] for v in j["scan"]["versions"]},
           "check direct TLS (XEP-0368): grade A, TLS 1.3", str(j)[:300])


def test_batch(xmpptls, certs, ports):
    """--batch: every line checked, --jobs at a time, one JSON line each;
    a bad line is an error entry, not the end of the batch."""
    with tempfile.TemporaryDirectory() as d:
        f = f"{d}/targets.txt"
        with open(f, "w") as fh:
            fh.write(f"# three servers and a bad line\n127.0.0.1:{ports['modern']} example.net\n"
                     f"127.0.0.1:{ports['tls10']} example.net\nhttps://example.net\n"
                     f"127.0.0.1:{ports['stripped']} example.net\n")
        p = subprocess.run([xmpptls, "check", "--batch", f, "--jobs", "3", "--json", "--ca", f"{certs}/ca.pem",
                            "--no-system-roots", "--timeout", "30", "--html", f"{d}/all.html"],
                           capture_output=True, text=True, timeout=120)
        rows = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
        grades = {r["target"].split(":")[-1] if r["target"].startswith("127.") else r["target"]: r.get("grade", r.get("error"))
                  for r in rows}
        want = {str(ports["modern"]): "A", str(ports["tls10"]): "C", str(ports["stripped"]): "F"}
        page = open(f"{d}/all.html").read() if os.path.exists(f"{d}/all.html") else ""
        ok = (len(rows) == 4 and all(grades.get(k) == v for k, v in want.items())
              and "only xmpp://" in str(grades.get("https://example.net")) and p.returncode == 1
              and page.count("class='grade'") == 3)
        report(ok, "check --batch: four lines, three grades (A, C, F) and one error, an HTML page of all",
               f"{grades} rc={p.returncode} {p.stderr[-300:]}")
        # Issue 22 #11/#12: one document, a heading per server naming its
        # port, each badge in its own grade's colour, a reason for F and
        # error rows.
        heads = re.findall(r"<h2>([^<]*)</h2>", page)
        ports_named = all(any(f":{ports[k]}" in h for h in heads) for k in ("modern", "tls10", "stripped"))
        badges = re.findall(r"<span style='background:(#[0-9a-f]+)' class='grade'>([A-F])<", page)
        rows_html = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
        why = {t: w for t, g, w in rows_html if g in ("F", "error")}
        ok = (page.count("<!doctype") == 1 and page.count("</html>") == 1 and len(heads) == 3 and ports_named
              and {g: c for c, g in badges} == {"A": "#2e7d32", "C": "#f9a825", "F": "#c62828"}
              and len(why) == 2 and all(why.values()))
        report(ok, "check --batch --html: one document, a heading per server with its port, badges in their grade's colour, a reason for F and errors",
               f"doctypes={page.count('<!doctype')} heads={heads} badges={badges} why={why}")


def test_policy(xmpptls, certs, ports):
    """--policy (issue 22 #13): the verdict and the exit code follow a core
    preset. The modern server checked with no trusted roots is not
    authenticated: strict fails it (exit 1), opportunistic-s2s, which
    accepts unauthenticated s2s (dialback), warns (exit 0); the grade is the
    same. An unknown preset is a usage error (exit 2)."""
    def run(*extra):
        p = subprocess.run([xmpptls, "check", f"127.0.0.1:{ports['modern']}", "--domain", DOMAIN,
                            "--no-system-roots", "--no-scan", "--json", "--timeout", "20", *extra],
                           capture_output=True, text=True, timeout=60)
        try:
            return json.loads(p.stdout), p.returncode
        except json.JSONDecodeError:
            return {"error": p.stdout + p.stderr}, p.returncode
    strict, rc_strict = run()
    s2s, rc_s2s = run("--policy", "opportunistic-s2s")
    bad = subprocess.run([xmpptls, "check", "127.0.0.1:1", "--policy", "lenient"], capture_output=True,
                         text=True, timeout=30)
    ok = (strict.get("verdict") == "fail" and rc_strict == 1 and strict.get("policy") == "strict"
          and s2s.get("verdict") in ("pass", "warn") and rc_s2s == 0 and s2s.get("policy") == "opportunistic-s2s"
          and strict.get("grade") == s2s.get("grade") and bad.returncode == 2 and "--policy" in bad.stderr)
    report(ok, "check --policy: the verdict and exit code follow the preset (strict fails an unauthenticated server, "
               "opportunistic-s2s warns), the grade does not; an unknown preset is exit 2",
           f"strict={strict.get('verdict')}/{rc_strict} s2s={s2s.get('verdict')}/{rc_s2s} "
           f"findings={codes(strict)},{[(f['code'], f['severity']) for f in s2s.get('findings', [])]} "
           f"bad={bad.returncode} {bad.stderr[-200:]}")


def test_fallback_close(xmpptls, certs, ports):
    """Issue 22 #1: a server that refuses the SCSV downgrade by closing
    without an alert honours RFC 7507; it must not get no-fallback-scsv."""
    j, _, _ = check(xmpptls, certs, ports["scsvclose"], "--direct-tls")
    scsv = (j.get("scan") or {}).get("fallback_scsv")
    report(j.get("encrypted") is True and scsv is True and "no-fallback-scsv" not in codes(j),
           f"a server that closes on TLS_FALLBACK_SCSV honours it: fallback_scsv={scsv}", str(codes(j)))


def test_no_scan(xmpptls, certs, ports):
    """Issue 22 #3: without a scan the grade uses what the handshake
    negotiated, its key exchange included (a modern server was B with key
    exchange 0); a server the handshake cannot speak to is not called
    unencrypted."""
    j, _, _ = check(xmpptls, certs, ports["modern"], "--no-scan")
    g = j.get("grade") or {}
    report(g.get("grade") == "A" and g.get("key_exchange", 0) > 0,
           f"check --no-scan grades a modern server A with its negotiated key exchange counted ({g.get('key_exchange')})",
           str(g))
    j, _, _ = check(xmpptls, certs, ports["tls10"], "--no-scan")
    report("unencrypted" not in codes(j),
           f"check --no-scan of a TLS 1.0-only server does not call it unencrypted: {codes(j)}",
           str(j)[:400])


def test_shown_session(xmpptls, certs, ports):
    """Issue 22 #6: a TLS 1.0 server that takes the client's order and
    accepts static RSA and ECDHE suites is shown with the session a client
    preferring forward secrecy gets (ECDHE, with its group), not the first
    suite the scan found next to a group it does not use."""
    j, _, _ = check(xmpptls, certs, ports["tls10client"])
    suite, kx = j.get("cipher_suite") or "", j.get("key_exchange")
    report(suite == "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" and kx == "x25519",
           f"a client-order TLS 1.0 server is shown as {suite} with {kx}", str(codes(j)))


def test_text_names(xmpptls, certs, ports):
    """Issue 22 #12: the text report shows the key (type, size) and the
    names the certificate presents, which an identity mismatch is about."""
    p = subprocess.run([xmpptls, "check", f"127.0.0.1:{ports['wrongname']}", "--domain", DOMAIN, "--ca",
                        f"{certs}/ca.pem", "--no-system-roots", "--no-scan", "--timeout", "20"],
                       capture_output=True, text=True, timeout=60)
    names = [l for l in p.stdout.splitlines() if l.strip().startswith("Names ")]
    key = [l for l in p.stdout.splitlines() if l.strip().startswith("Key ") and "exchange" not in l]
    ok = ("identity-mismatch" in p.stdout and len(names) == 1 and DOMAIN not in names[0].split(None, 1)[1]
          and len(key) == 1 and " bits, SPKI sha256:" in key[0])
    report(ok, f"check (text) on a certificate for another name shows its names and key: {names[0].strip() if names else '-'}",
           p.stdout[-600:])


def test_deadline(xmpptls, certs, ports):
    """Silent and trickling servers: the check ends by its deadline and says
    why; a scan cut short by the deadline says it is incomplete."""
    j, wall, _ = check(xmpptls, certs, ports["slow"], timeout=3)
    inc = (j.get("scan") or {}).get("incomplete") or ""
    report(wall < 4.0 and "deadline" in inc and j.get("encrypted") is True,
           f"a 3 s deadline ends the scan of a server slow to answer ({wall:.1f} s): {inc}", str(j)[:300])
    for name, extra, code in [("silent", [], "server-silent"), ("silent", ["--direct-tls"], "server-silent"),
                              ("trickle", [], "server-silent")]:
        j, wall, _ = check(xmpptls, certs, ports[name], *extra, timeout=4)
        ok = wall < 4 + 1.0 and code in codes(j) and "unencrypted" not in codes(j)
        report(ok, f"check {name} {' '.join(extra)}: {code} within the 4 s deadline ({wall:.1f} s)",
               f"{codes(j)} {j.get('error', '')}")


def testssl_accepted(port, starttls="xmpp"):
    """{(version, suite)} testssl.sh finds (--protocols --cipher-per-proto)."""
    with tempfile.TemporaryDirectory() as d:
        out = f"{d}/t.json"
        args = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--protocols", "--cipher-per-proto",
                "--jsonfile", out]
        if starttls:
            args += ["--starttls", starttls, "--xmpphost", DOMAIN]
        subprocess.run(args + [f"127.0.0.1:{port}"], capture_output=True, timeout=600)
        if not os.path.exists(out):
            return set()
        data = json.load(open(out))
    names = {"tls1": "TLSv1.0", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3", "ssl3": "SSLv3"}
    found = set()
    for e in data:
        if e["id"].startswith("cipher-"):
            proto = e["id"][len("cipher-"):].rsplit("_x", 1)[0]
            iana = e["finding"].split()[-1]
            found.add((names.get(proto, proto), iana))
    return found


def test_testssl(xmpptls, certs, targets):
    if not shutil.which("testssl"):
        report(False, "testssl.sh is installed (scripts/setup.sh)")
        return

    def one(name, port, service, direct=False):
        extra = ["--direct-tls"] if direct else []
        ours, _, _ = check(xmpptls, certs, port, "--service", service, *extra)
        theirs = testssl_accepted(port, None if direct else
                                  ("xmpp-server" if service == "xmpp-server" else "xmpp"))
        mine = accepted(ours)
        report(bool(mine) and mine == theirs,
               f"testssl.sh and xmpptls check agree on {name}: {len(mine)} version/suite pairs",
               f"only ours: {sorted(mine - theirs)}; only testssl: {sorted(theirs - mine)}")

    threads = [threading.Thread(target=one, args=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start_prosody(certs, root=None, ssl_extra="", web=None):
    """Prosody with c2s and s2s on free ports, the test CA's certificate;
    with `root`, the Prosody of that chroot (Debian trixie's, whose LuaSec
    runs on OpenSSL 3.5); with `web` = (https port, http port), its
    mod_websocket (RFC 7395) at /xmpp-websocket on both."""
    outside = tempfile.mkdtemp(prefix="xmpptls-obs-", dir=f"{root}/tmp" if root else None)
    d = outside[len(root):] if root else outside
    os.chmod(outside, 0o777)
    for f in ("good.pem", "good.key"):
        shutil.copy(f"{certs}/{f}", outside)
        os.chmod(f"{outside}/{f}", 0o644)
    c2s, s2s = free_port(), free_port()
    cfg = f"{d}/prosody.cfg.lua"
    with open(f"{outside}/prosody.cfg.lua", "w") as fh:
        fh.write(f"""
pidfile = "{d}/prosody.pid"
data_path = "{d}"
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s} }}
s2s_ports = {{ {s2s} }}
http_ports = {{ {web[1] if web else ""} }}
https_ports = {{ {web[0] if web else ""} }}
https_ssl = {{ certificate = "{d}/good.pem", key = "{d}/good.key" }}
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = false
authentication = "internal_hashed"
modules_enabled = {{ "saslauth", "tls", "disco", "dialback", "roster"{', "websocket"' if web else ""} }}
log = {{ {{ levels = {{ min = "info" }}, to = "file", filename = "{d}/prosody.log" }} }}
ssl = {{ certificate = "{d}/good.pem", key = "{d}/good.key"{ssl_extra} }}
VirtualHost "{DOMAIN}"
""")
    os.chmod(f"{outside}/prosody.cfg.lua", 0o644)
    proc = subprocess.Popen((["chroot", root] if root else [])
                            + ["setpriv", "--reuid=prosody", "--regid=prosody", "--init-groups",
                               "prosody", "-F", "--config", cfg],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", c2s), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, outside, c2s, s2s


def start_dns(certs, ports):
    """knotd (Debian) serving example.net., signed by knot itself (DNSSEC
    on), with SRV records for the modern (STARTTLS) and direct servers and
    TLSA records: the right key for the first, a wrong one for the second;
    plain.example.net has no SRV; noaddr.example.net's SRV target has no
    address. Returns (process, dir, port, anchor file)."""
    d = tempfile.mkdtemp(prefix="xmpptls-dns-")
    os.chmod(d, 0o777)
    spki = subprocess.run(f"openssl x509 -in {certs}/good.pem -pubkey -noout | openssl pkey -pubin -outform DER"
                          " | openssl dgst -sha256 -hex", shell=True, capture_output=True, text=True).stdout.split()[-1]
    m, x = ports["modern"], ports["direct"]
    with open(f"{d}/example.net.zone", "w") as fh:
        fh.write(f"""$ORIGIN example.net.
$TTL 300
@ SOA ns.example.net. admin.example.net. 1 3600 600 86400 300
@ NS ns.example.net.
@ A 127.0.0.1
ns A 127.0.0.1
xmpp A 127.0.0.1
plain A 127.0.0.1
_xmpp-client._tcp SRV 0 5 {m} xmpp.example.net.
_xmpps-client._tcp SRV 0 5 {x} xmpp.example.net.
_xmpp-client._tcp.noaddr SRV 0 5 {m} ghost.example.net.
_{m}._tcp.xmpp TLSA 3 1 1 {spki}
_{x}._tcp.xmpp TLSA 3 1 1 {'00' * 32}
""")
    port = free_port()
    with open(f"{d}/knot.conf", "w") as fh:
        fh.write(f"""server:
    listen: 127.0.0.1@{port}
    rundir: {d}
database:
    storage: {d}
template:
  - id: default
    storage: {d}
    dnssec-signing: on
zone:
  - domain: example.net
    file: {d}/example.net.zone
""")
    proc = subprocess.Popen(["knotd", "-c", f"{d}/knot.conf"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    anchor = f"{d}/anchor.keys"
    for _ in range(100):
        keys = subprocess.run(["kdig", f"@127.0.0.1", "-p", str(port), "DNSKEY", "example.net", "+noall", "+answer"],
                              capture_output=True, text=True).stdout
        if "DNSKEY" in keys:
            open(anchor, "w").write(keys)
            break
        time.sleep(0.1)
    return proc, d, port, anchor


def test_dns(xmpptls, certs, dns_port, anchor):
    """SRV targets, RFC 6120's fallback, and DANE with a DNSSEC-signed zone."""
    base = ["--dns", f"127.0.0.1:{dns_port}"]

    def run(domain, *extra):
        args = [xmpptls, "check", domain, "--ca", f"{certs}/ca.pem", "--no-system-roots", "--json",
                "--timeout", "30", "--no-scan", *base, *extra]
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        try:
            return json.loads(p.stdout)
        except json.JSONDecodeError:
            return {"error": p.stdout + p.stderr}

    j = run("example.net", "--trust-anchor", anchor)
    t = j.get("targets", [])
    ok = (len(t) == 2 and not t[0]["endpoint"]["direct_tls"] and t[1]["endpoint"]["direct_tls"]
          and all("SRV" in x["endpoint"]["source"] for x in t)
          and t[0]["dane"]["authenticated"] and t[0]["dane"]["secure"] == 1
          and "dane-failed" in codes(t[1]) and t[1]["verdict"] == "fail")
    report(ok, "check example.net: both SRV targets (_xmpp-client, _xmpps-client); DANE authenticates one, "
               "a wrong DNSSEC-secure TLSA fails the other", str(j)[:600])
    j = run("example.net")
    t = j.get("targets", [])
    report(len(t) == 2 and "dane-insecure" in codes(t[0]) and not t[0]["dane"]["authenticated"],
           "without the zone's trust anchor the TLSA records are not proved: dane-insecure, DANE unused",
           str([(x["endpoint"]["port"], x["dane"], codes(x)) for x in t]) or str(j)[:400])
    j = run("plain.example.net")
    t = j.get("targets", [])
    report(len(t) == 1 and t[0]["endpoint"]["port"] == 5222 and "RFC 6120" in t[0]["endpoint"]["source"],
           "a domain without SRV records falls back to itself on 5222 (RFC 6120 §3.2.2)", str(j)[:400])


def test_not_xmpp(xmpptls, certs, ports):
    """Issue 22 items 9 and 10: a direct-TLS port that is not XMPP gets a
    finding in a few seconds, not a silent 10 s; a silent direct-TLS server
    does not keep the scan's probes waiting until the deadline."""
    for name, said in (("notxmpp", "no stream features within"), ("httptls", "HTTP/1.1 400")):
        j, took, _ = check(xmpptls, certs, ports[name], "--direct-tls", "--no-scan")
        msgs = [f["message"] for f in j.get("findings", []) if f["code"] == "not-xmpp"]
        report(j.get("encrypted") is True and len(msgs) == 1 and said in msgs[0] and took < 8,
               f"{name}: TLS up, then not XMPP: not-xmpp ({msgs[:1]}) after {took:.1f} s", str(j)[:400])
    j, took, _ = check(xmpptls, certs, ports["silent"], "--direct-tls", timeout=60)
    report("server-silent" in codes(j) and took < 20,
           f"a silent direct-TLS server: server-silent after {took:.1f} s (deadline 60 s, no probes sent)",
           str(j)[:400])


def test_dns_failures(xmpptls, certs, dns_port):
    """Issue 22 item 8: a resolver that does not answer is not "no SRV
    records", and nothing is resolved past --dns."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))  # reads nothing, answers nothing
    try:
        args = [xmpptls, "check", "example.net", "--ca", f"{certs}/ca.pem", "--no-system-roots",
                "--no-scan", "--timeout", "8", "--dns", f"127.0.0.1:{silent.getsockname()[1]}"]
        t0 = time.monotonic()
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t0
        out = p.stdout + p.stderr
        report(p.returncode == 2 and "no answer" in out and "RFC 6120" not in out and took < 12,
               f"a DNS server that does not answer: exit {p.returncode} after {took:.1f} s, "
               "an error naming it, no RFC 6120 fallback", out[:400])
    finally:
        silent.close()
    args = [xmpptls, "check", "noaddr.example.net", "--ca", f"{certs}/ca.pem", "--no-system-roots",
            "--no-scan", "--json", "--timeout", "30", "--dns", f"127.0.0.1:{dns_port}"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    try:
        t = json.loads(p.stdout).get("targets", [])
    except json.JSONDecodeError:
        t = []
    msgs = [f["message"] for x in t for f in x.get("findings", [])]
    report(len(t) == 1 and any("has no address in the DNS server" in m for m in msgs),
           "an SRV target without an address in --dns is reported unreachable, not resolved by the system",
           (p.stdout + p.stderr)[:400])


def start_host_meta(certs, doc, cert="good"):
    """A host-meta server (XEP-0156) answering `doc` (XRD) and its JSON
    twin: HTTPS with the test CA's certificate `cert`, or plain HTTP when
    `cert` is None. Returns (server, port)."""
    import http.server
    import ssl
    links = re.findall(r"rel='([^']+)' href='([^']+)'", doc)
    docs = {"/.well-known/host-meta": doc,
            "/.well-known/host-meta.json": json.dumps({"links": [{"rel": r, "href": h} for r, h in links]})}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = docs.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            if body:
                self.wfile.write(body.encode())

        def log_message(self, *_):
            pass

    port = free_port()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(f"{certs}/{cert}.pem", f"{certs}/{cert}.key")
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, port


def test_websocket(xmpptls, certs, dns_port, web):
    """Issue 22: the WebSocket endpoint (XEP-0156 discovery, RFC 7395) of
    example.net, served by Prosody's mod_websocket behind TLS, found
    through host-meta servers that are good, plain-HTTP only, under a
    wrong name, or that name a ws:// endpoint only."""
    https, http = web
    xrd = lambda url: ("<?xml version='1.0' encoding='utf-8'?><XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>"
                       f"<Link rel='urn:xmpp:alt-connections:websocket' href='{url}'/></XRD>")
    wss, ws = f"wss://example.net:{https}/xmpp-websocket", f"ws://example.net:{http}/xmpp-websocket"
    closed = free_port()
    servers = {"good": start_host_meta(certs, xrd(wss)), "wrongname": start_host_meta(certs, xrd(wss), "wrongname"),
               "plain": start_host_meta(certs, xrd(wss), None), "wsonly": start_host_meta(certs, xrd(ws))}
    try:
        # A bare domain gets its WebSocket endpoint checked without asking
        # (as POSH); --no-websocket skips it.
        def run(https_port, http_port, *extra):
            args = [xmpptls, "check", "example.net", *extra, "--host-meta-port", str(https_port),
                    "--host-meta-http-port", str(http_port), "--dns", f"127.0.0.1:{dns_port}",
                    "--ca", f"{certs}/ca.pem", "--no-system-roots", "--json", "--timeout", "40"]
            if "--scan" in args:
                args.remove("--scan")
            else:
                args.append("--no-scan")
            p = subprocess.run(args, capture_output=True, text=True, timeout=90)
            try:
                return json.loads(p.stdout).get("websocket", "absent")
            except json.JSONDecodeError:
                return {"error": p.stdout + p.stderr}

        def wcodes(w):
            return [f["code"] for f in w.get("findings", [])]

        w = run(servers["good"][1], closed)
        e = (w.get("endpoints") or [{}])[0]
        report(w.get("discovery", {}).get("over") == "https" and e.get("url") == wss and e.get("xmpp") is True
               and e.get("subprotocol") is True and e.get("mechanisms") and (e.get("tls") or {}).get("version")
               and wcodes(w) == [],
               f"Prosody mod_websocket behind TLS, found over HTTPS: <open/> answered, SASL {e.get('mechanisms')}, "
               f"TLS {e.get('tls')}, no findings", str(w)[:600])
        # The wss:// endpoint's TLS is checked like the c2s port's: the
        # scan of every version and suite, and CT (--ct: the test CA's
        # certificates carry no SCT).
        w = run(servers["good"][1], closed, "--ct", "--scan")
        e = (w.get("endpoints") or [{}])[0]
        versions = [v.get("version") for v in (e.get("scan") or {}).get("versions", [])]
        report("TLSv1.3" in versions and (e.get("ct") or {}).get("compliant") is False
               and "ct-no-sct" in wcodes(w),
               f"the wss:// endpoint scanned like the c2s port: accepts {versions}, CT {wcodes(w)}", str(w)[:600])
        w = run(servers["good"][1], closed, "--no-websocket")
        report(w == "absent", "--no-websocket: a bare domain's check leaves the WebSocket endpoint out", str(w)[:300])
        w = run(closed, servers["plain"][1])
        report(w.get("discovery", {}).get("over") == "http" and "websocket-discovery-insecure" in wcodes(w)
               and (w.get("endpoints") or [{}])[0].get("xmpp") is True,
               f"host-meta over plain HTTP only: websocket-discovery-insecure ({wcodes(w)})", str(w)[:600])
        w = run(servers["wrongname"][1], closed)
        report("websocket-discovery-untrusted" in wcodes(w) and "websocket-not-found" in wcodes(w)
               and not w.get("endpoints"),
               f"host-meta under a certificate for another name: not followed ({wcodes(w)})", str(w)[:600])
        w = run(servers["wsonly"][1], closed)
        e = (w.get("endpoints") or [{}])[0]
        # Prosody refuses a stream over ws:// when c2s requires encryption
        # (no TLS is possible there, so it has no features to offer).
        report(wcodes(w) == ["websocket-unencrypted"] and e.get("url") == ws and not e.get("tls")
               and "No stream features" in (e.get("refused") or ""),
               f"a ws:// endpoint only: websocket-unencrypted; Prosody refuses the stream there "
               f"({e.get('refused')})", str(w)[:600])
        example = os.environ.get("XMPPTLS_EXAMPLE_DIR")
        if example:
            # The README's full report: text and HTML of example.net with
            # its WebSocket endpoint and certificate transparency.
            args = [xmpptls, "check", "example.net", "--websocket", "--ct", "--host-meta-port",
                    str(servers["good"][1]), "--host-meta-http-port", str(closed),
                    "--dns", f"127.0.0.1:{dns_port}", "--ca", f"{certs}/ca.pem", "--no-system-roots",
                    "--timeout", "40", "--html", f"{example}/report.html"]
            p = subprocess.run(args, capture_output=True, text=True, timeout=90)
            open(f"{example}/report.txt", "w").write(p.stdout)
    finally:
        for srv, _ in servers.values():
            srv.shutdown()


def start_posh(certs):
    """An HTTPS server for example.net (the test CA's certificate) with the
    POSH document of the self-signed server's certificate (RFC 7711): at
    the well-known URL a redirect, and the fingerprints where it points.
    Returns (server, port)."""
    import base64
    import hashlib
    import http.server
    import ssl
    der = subprocess.run(["openssl", "x509", "-in", f"{certs}/selfsigned.pem", "-outform", "DER"],
                         capture_output=True).stdout
    fp = base64.b64encode(hashlib.sha256(der).digest()).decode()
    port = free_port()
    docs = {
        "/.well-known/posh/xmpp-client.json":
            json.dumps({"url": f"https://example.net:{port}/posh/current.json", "expires": 3600}),
        "/posh/current.json": json.dumps({"fingerprints": [{"sha-256": fp}], "expires": 3600}),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = docs.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            if body:
                self.wfile.write(body.encode())

        def log_message(self, *_):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(f"{certs}/good.pem", f"{certs}/good.key")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, port


def test_posh(xmpptls, certs, ports, dns_port, anchor, posh_port):
    """POSH (RFC 7711) fetched over HTTPS with its one redirect: it
    authenticates a self-signed server whose fingerprint it lists, and
    does not change a server it does not list."""
    extra = ["--posh", "--posh-port", str(posh_port), "--dns", f"127.0.0.1:{dns_port}", "--trust-anchor", anchor]
    j, _, _ = check(xmpptls, certs, ports["selfsigned"], "--no-scan", *extra)
    p = j.get("posh") or {}
    report(p.get("authenticated") is True and j.get("authentication") == "posh"
           and "certificate-untrusted" not in codes(j) and (j.get("grade") or {}).get("grade") != "F",
           "POSH over HTTPS with a redirect authenticates the self-signed server it lists",
           f"{p} {codes(j)} {j.get('authentication')} {j.get('grade')}")
    j, _, _ = check(xmpptls, certs, ports["modern"], "--no-scan", *extra)
    p = j.get("posh") or {}
    report(p.get("authenticated") is False and str(p.get("outcome", "")).startswith("no-match")
           and j.get("authentication") == "pkix",
           "POSH that does not list a server's key leaves its PKIX authentication alone", str(p))


def test_prosody(xmpptls, certs, c2s, s2s):
    j, _, rc = check(xmpptls, certs, c2s)
    v = {x["version"] for x in (j.get("scan") or {}).get("versions", [])}
    stream = j.get("stream") or {}
    report(j.get("encrypted") is True and "TLSv1.3" in v and stream.get("starttls_required") is True
           and j.get("authentication") == "pkix",
           f"Prosody c2s: STARTTLS required, {sorted(v)}, grade {(j.get('grade') or {}).get('grade')}",
           str(j)[:400])
    j, _, _ = check(xmpptls, certs, s2s, "--s2s")
    stream = j.get("stream") or {}
    report(j.get("encrypted") is True and stream.get("dialback") is not None and (j.get("scan") or {}).get("versions"),
           f"Prosody s2s: TLS {'and dialback offered' if stream.get('dialback') else ''}, grade {(j.get('grade') or {}).get('grade')}",
           str(j)[:400])


CHROOT = os.path.normpath(f"{HERE}/../../.tools/swift-root")
PQ_GROUPS = ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "MLKEM512", "MLKEM768", "MLKEM1024"]


def openssl(*args, **kw):
    """OpenSSL 3.5 (Debian trixie) in the chroot scripts/setup.sh keeps."""
    return subprocess.run(["chroot", CHROOT, "openssl", *args], capture_output=True, text=True, **kw)


def openssl_accepts(port, group):
    """Whether `openssl s_client -groups GROUP` completes a TLS 1.3 handshake."""
    p = openssl("s_client", "-connect", f"127.0.0.1:{port}", "-groups", group, "-tls1_3", "-brief",
                stdin=subprocess.DEVNULL, timeout=30)
    return "CONNECTION ESTABLISHED" in p.stdout + p.stderr


def test_openssl_pq(xmpptls, certs):
    """Post-quantum key exchange against OpenSSL 3.5's s_server (direct TLS):
    the hybrid only, OpenSSL's default groups (the hybrid first), and
    classical groups only. The check's own handshake must complete (it
    offers X25519MLKEM768 first), and the post-quantum groups it finds must
    be exactly those `openssl s_client -groups G` can use."""
    if not os.path.exists(f"{CHROOT}/usr/bin/openssl"):
        report(False, "OpenSSL 3.5 in the trixie chroot (scripts/setup.sh)")
        return
    tmp = tempfile.mkdtemp(dir=f"{CHROOT}/tmp")
    inside = tmp[len(CHROOT):]
    for f in ("good.pem", "good.key"):
        shutil.copy(f"{certs}/{f}", f"{tmp}/{f}")
    servers = []
    try:
        # (name, s_server's groups, post-quantum expected, the group the
        # check's own handshake gets: it offers X25519MLKEM768 and classical
        # groups, not the other hybrids, which only the scan probes)
        for name, groups, expect_pq, negotiated in [
                ("hybrid only", ["-groups", "X25519MLKEM768", "-tls1_3"], True, "X25519MLKEM768"),
                ("OpenSSL defaults", [], True, "X25519MLKEM768"),
                ("other ML-KEM groups", ["-groups", "SecP256r1MLKEM768:SecP384r1MLKEM1024:MLKEM1024:X25519"],
                 True, "X25519"),
                ("classical only", ["-groups", "X25519:secp256r1"], False, "X25519")]:
            port = free_port()
            servers.append(subprocess.Popen(
                ["chroot", CHROOT, "openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
                 f"{inside}/good.pem", "-key", f"{inside}/good.key", "-quiet", *groups],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            page = f"{tmp}/report.html"
            j, _, _ = check(xmpptls, certs, port, "--direct-tls", "--html", page)
            pq = (j.get("scan") or {}).get("post_quantum") or {}
            html = open(page, encoding="utf-8").read() if os.path.exists(page) else ""
            said = "Post-quantum key exchange: <b>yes</b>" if expect_pq else "Post-quantum key exchange: <b>no</b>"
            theirs = [g for g in PQ_GROUPS if openssl_accepts(port, g)]
            finding = "classical-key-exchange" in codes(j)
            report(j.get("encrypted") is True and (j.get("certificate") or {}).get("subject")
                   and pq.get("groups") == theirs and bool(theirs) == expect_pq
                   and pq.get("accepted") == expect_pq and finding != expect_pq
                   and j.get("key_exchange") == negotiated and said in html,
                   f"OpenSSL 3.5 s_server, {name}: post-quantum {pq.get('groups')}, openssl s_client "
                   f"-groups finds {theirs}; the check negotiated {j.get('key_exchange')}",
                   str(j)[:600])
            if name == "OpenSSL defaults":
                # Issue 22 #1: s_server refuses a TLS 1.2 downgrade that
                # carries TLS_FALLBACK_SCSV (it logs INAPPROPRIATE_FALLBACK);
                # the check must count that as honoured, whatever the
                # refusal looks like on the wire.
                scsv = (j.get("scan") or {}).get("fallback_scsv")
                report(scsv is True and "no-fallback-scsv" not in codes(j),
                       f"OpenSSL 3.5 s_server refuses the SCSV downgrade: fallback_scsv={scsv}, no no-fallback-scsv finding",
                       str(codes(j)))
    finally:
        for p in servers:
            p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def test_trixie_prosody(xmpptls, certs):
    """Prosody from Debian trixie (LuaSec on OpenSSL 3.5): with its default
    TLS settings, whose `curveslist` (X25519, P-384, P-256, P-521) leaves
    OpenSSL's hybrid out, and with X25519MLKEM768 added to it. The check
    must find what `openssl s_client -groups G -starttls xmpp` can use."""
    if not os.path.exists(f"{CHROOT}/usr/bin/prosody"):
        report(False, "Prosody in the trixie chroot (scripts/setup.sh)")
        return
    for name, extra, expect in [
            ("defaults", "", []),
            ("curveslist with X25519MLKEM768",
             ', curveslist = { "X25519MLKEM768", "X25519", "P-256", "P-384" }', ["X25519MLKEM768"])]:
        trixie_prosody(xmpptls, certs, name, extra, expect)


def trixie_prosody(xmpptls, certs, name, extra, expect):
    proc, d, c2s, _ = start_prosody(certs, CHROOT, extra)
    try:
        j, _, _ = check(xmpptls, certs, c2s)
        pq = (j.get("scan") or {}).get("post_quantum") or {}
        theirs = []
        for g in PQ_GROUPS:
            p = openssl("s_client", "-connect", f"127.0.0.1:{c2s}", "-starttls", "xmpp", "-xmpphost", DOMAIN,
                        "-groups", g, "-tls1_3", "-brief", stdin=subprocess.DEVNULL, timeout=30)
            if "CONNECTION ESTABLISHED" in p.stdout + p.stderr:
                theirs.append(g)
        report(j.get("encrypted") is True and j.get("authentication") == "pkix"
               and pq.get("groups") == theirs == expect,
               f"Prosody from trixie (OpenSSL 3.5), {name}: post-quantum {pq.get('groups')}, openssl "
               f"s_client -groups finds {theirs}; the check negotiated {j.get('key_exchange')}",
               str(j)[:600])
    finally:
        proc.kill()
        shutil.rmtree(d, ignore_errors=True)


def main():
    xmpptls, certs = sys.argv[1:3]
    servers = subprocess.Popen([sys.executable, f"{HERE}/weak_servers.py", certs],
                               stdout=subprocess.PIPE, text=True)
    ports = {}
    for line in servers.stdout:
        if line.strip() == "ready":
            break
        name, port = line.split()
        ports[name] = int(port)
    web = (free_port(), free_port())
    prosody, pdir, c2s, s2s = start_prosody(certs, web=web)
    knot, kdir, dns_port, anchor = start_dns(certs, ports)
    posh_server, posh_port = start_posh(certs)
    try:
        test_dns(xmpptls, certs, dns_port, anchor)
        test_dns_failures(xmpptls, certs, dns_port)
        test_websocket(xmpptls, certs, dns_port, web)
        test_posh(xmpptls, certs, ports, dns_port, anchor, posh_port)
        test_weak(xmpptls, certs, ports)
        test_batch(xmpptls, certs, ports)
        test_policy(xmpptls, certs, ports)
        test_text_names(xmpptls, certs, ports)
        test_shown_session(xmpptls, certs, ports)
        test_no_scan(xmpptls, certs, ports)
        test_fallback_close(xmpptls, certs, ports)
        test_not_xmpp(xmpptls, certs, ports)
        test_deadline(xmpptls, certs, ports)
        test_prosody(xmpptls, certs, c2s, s2s)
        test_openssl_pq(xmpptls, certs)
        test_trixie_prosody(xmpptls, certs)
        # Every server that speaks TLS, compared with testssl.sh.
        tls = [n for n in EXPECT if EXPECT[n][0]]
        test_testssl(xmpptls, certs, [(n, ports[n], "xmpp-client") for n in tls]
                     + [("direct", ports["direct"], "xmpp-client", True),
                        ("Prosody c2s", c2s, "xmpp-client")])
        # (testssl.sh 3.0.8 has no s2s STARTTLS: --starttls xmpp sends a
        # jabber:client stream, which Prosody's s2s port refuses.)
    finally:
        servers.kill()
        prosody.kill()
        knot.kill()
        posh_server.shutdown()
        shutil.rmtree(pdir, ignore_errors=True)
        shutil.rmtree(kdir, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) and results else 1)


if __name__ == "__main__":
    main()
