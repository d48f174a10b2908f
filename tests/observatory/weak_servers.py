#!/usr/bin/env python3
"""XMPP servers with one TLS weakness each, on 127.0.0.1, for the tests of
`xmpptls check` (scripts/test-observatory.sh). Standard library only: the
`ssl` module (the system's OpenSSL, security level 0 where a weakness needs
it) behind a minimal XMPP stream that offers STARTTLS, or TLS from the first
octet.

    weak_servers.py DIR

DIR holds the certificates (made by test-observatory.sh: ca.pem; good,
rsa1024, expired, wrongname, cnonly, selfsigned as NAME.pem + NAME.key;
dh1024.pem). Prints one line per server, "NAME PORT", then "ready", and
serves until killed.

Profiles:
  modern      TLS 1.2-1.3, ECDHE + AEAD only             (the control)
  tls10       TLS 1.0 only                               tls11  TLS 1.1 only
  staticrsa   TLS 1.2, RSA key exchange only             cbc    TLS 1.2, ECDHE with CBC only
  rsa1024     a 1024-bit RSA certificate                 dh1024 TLS 1.2 DHE with a 1024-bit group only
  expired     an expired certificate                     wrongname  a certificate for another name
  cnonly      a certificate naming the domain by CN only selfsigned  a self-signed certificate
  stripped    STARTTLS not offered; <starttls/> ends the stream
  failure     <starttls/> answered with <failure/>
  silent      accepts the connection, never writes
  trickle     sends its stream header one octet every 5 s
  direct      modern, with TLS from the first octet (XEP-0368)
  optional    modern, but STARTTLS not required and SASL PLAIN offered before TLS
  slow        modern, but each connection waits 0.4 s before its stream header
  tls10client TLS 1.0, static-RSA and ECDHE CBC suites, the client's order
  scsvclose   direct TLS 1.2-1.3, refusing a ClientHello that carries
              TLS_FALLBACK_SCSV by closing without an alert (issue 22 #1)
  notxmpp     direct TLS 1.2-1.3, then silence: a TLS service that is not
              XMPP (issue 22 #9)
  httptls     direct TLS 1.2-1.3, answering "HTTP/1.1 400 Bad Request"

After TLS every server answers the stream restart with SCRAM-SHA-1-PLUS,
SCRAM-SHA-1 and PLAIN and the channel-binding types tls-exporter and
tls-server-end-point (XEP-0440).
"""

import socket
import warnings
import ssl
import sys
import threading
import time

DOMAIN = "example.net"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"


# TLS 1.0 and 1.1 servers are the point of some profiles.
warnings.filterwarnings("ignore", category=DeprecationWarning)


def context(d, cert="good", minv=ssl.TLSVersion.TLSv1_2, maxv=ssl.TLSVersion.TLSv1_3,
            ciphers="ECDHE+AESGCM:ECDHE+CHACHA20", level0=False, dh=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = minv
    ctx.maximum_version = maxv
    ctx.set_ciphers(ciphers + (":@SECLEVEL=0" if level0 else ""))
    ctx.load_cert_chain(f"{d}/{cert}.pem", f"{d}/{cert}.key")
    if dh:
        ctx.load_dh_params(f"{d}/{dh}")
    return ctx


def profiles(d):
    v = ssl.TLSVersion
    return {
        "modern": ("starttls", context(d)),
        "direct": ("direct", context(d)),
        "tls10": ("starttls", context(d, minv=v.TLSv1, maxv=v.TLSv1, ciphers="DEFAULT", level0=True)),
        "tls11": ("starttls", context(d, minv=v.TLSv1_1, maxv=v.TLSv1_1, ciphers="DEFAULT", level0=True)),
        "staticrsa": ("starttls", context(d, maxv=v.TLSv1_2, ciphers="kRSA:!eNULL:!aNULL", level0=True)),
        "cbc": ("starttls", context(d, maxv=v.TLSv1_2, ciphers="ECDHE+AES+SHA1:ECDHE+AES+SHA256:!AESGCM")),
        "rsa1024": ("starttls", context(d, cert="rsa1024", level0=True)),
        "dh1024": ("starttls", context(d, maxv=v.TLSv1_2, ciphers="DHE+AESGCM", level0=True, dh="dh1024.pem")),
        "expired": ("starttls", context(d, cert="expired")),
        "wrongname": ("starttls", context(d, cert="wrongname")),
        "cnonly": ("starttls", context(d, cert="cnonly")),
        "selfsigned": ("starttls", context(d, cert="selfsigned")),
        "optional": ("optional", context(d)),
        "slow": ("slow", context(d)),
        "scsvclose": ("scsvclose", context(d)),
        "notxmpp": ("notxmpp", context(d)),
        "httptls": ("httptls", context(d)),
        "tls10client": ("starttls", client_order(context(d, minv=v.TLSv1, maxv=v.TLSv1,
                                                        ciphers="AES128-SHA:ECDHE-RSA-AES128-SHA", level0=True))),
        "stripped": ("stripped", None),
        "failure": ("failure", None),
        "silent": ("silent", None),
        "trickle": ("trickle", None),
    }


def header(features):
    return (f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
            f"xmlns:stream='http://etherx.jabber.org/streams' from='{DOMAIN}' id='w1' version='1.0'>"
            f"<stream:features>{features}</stream:features>").encode()


def read_until(sock, marker, limit=65536):
    buf = b""
    while marker not in buf:
        chunk = sock.recv(4096)
        if not chunk or len(buf) > limit:
            return None
        buf += chunk
    return buf


MECHS = ("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
         "<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>")
AFTER_TLS = ("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1-PLUS</mechanism>"
             "<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>"
             "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/>"
             "<channel-binding type='tls-server-end-point'/></sasl-channel-binding>")


def after_tls(tls):
    """The stream restarted over TLS: its features, then wait for the end."""
    if read_until(tls, b">") is not None:
        tls.sendall(header(AFTER_TLS))
        tls.recv(1)


def client_order(ctx):
    """`ctx` choosing suites in the client's order, not its own."""
    ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    return ctx


def offers_fallback_scsv(conn):
    """Whether the ClientHello waiting on `conn` (peeked, not read) lists
    TLS_FALLBACK_SCSV (0x5600, RFC 7507)."""
    data = b""
    for _ in range(50):
        data = conn.recv(16384, socket.MSG_PEEK)
        if len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[3:5], "big"):
            break
        time.sleep(0.02)
    body = data[5:]
    if len(body) < 39 or body[0] != 1:
        return False
    at = 38  # type, length, version, random
    at += 1 + body[at]  # session id
    n = int.from_bytes(body[at:at + 2], "big")
    suites = body[at + 2:at + 2 + n]
    return any(suites[i:i + 2] == b"\x56\x00" for i in range(0, len(suites) - 1, 2))


def serve(conn, kind, ctx):
    conn.settimeout(30)
    try:
        if kind == "scsvclose":
            if not offers_fallback_scsv(conn):
                after_tls(ctx.wrap_socket(conn, server_side=True))
            return
        if kind == "silent":
            time.sleep(120)
            return
        if kind == "direct":
            after_tls(ctx.wrap_socket(conn, server_side=True))
            return
        if kind in ("notxmpp", "httptls"):
            tls = ctx.wrap_socket(conn, server_side=True)
            tls.recv(4096)
            if kind == "httptls":
                tls.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            time.sleep(60)
            return
        if read_until(conn, b">") is None:
            return
        if kind == "slow":
            time.sleep(0.4)
        if kind == "trickle":
            for octet in header(""):
                conn.sendall(bytes([octet]))
                time.sleep(5)
            return
        if kind == "stripped":
            conn.sendall(header(MECHS))
            read_until(conn, b"starttls")
            conn.sendall(b"</stream:stream>")
            return
        if kind == "optional":
            conn.sendall(header(f"<starttls xmlns='{NS_TLS}'/>{MECHS}"))
        else:
            conn.sendall(header(f"<starttls xmlns='{NS_TLS}'><required/></starttls>"))
        if read_until(conn, b"starttls") is None:
            return
        if kind == "failure":
            conn.sendall(f"<failure xmlns='{NS_TLS}'/></stream:stream>".encode())
            return
        conn.sendall(f"<proceed xmlns='{NS_TLS}'/>".encode())
        after_tls(ctx.wrap_socket(conn, server_side=True))
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def listen(kind, ctx):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)

    def loop():
        while True:
            conn, _ = s.accept()
            threading.Thread(target=serve, args=(conn, kind, ctx), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return s.getsockname()[1]


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for name, (kind, ctx) in profiles(sys.argv[1]).items():
        print(name, listen(kind, ctx), flush=True)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
