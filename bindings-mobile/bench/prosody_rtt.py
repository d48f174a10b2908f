"""Round trips through a real XMPP server: two slixmpp clients, each hosting
a libxmpptls endpoint (the Python binding), measure request/response rates
of plain IQs and of the same IQs inside an XTLS tunnel, and the time to open
a tunnel. Run by scripts/bench-prosody.sh, which starts Prosody; prints one
JSON object per measurement.

The hosts do what the README tells hosts to do: hand the endpoint every
XTLS IQ (sets whose child is in urn:xmpp:tmp:xtls, results and errors in
its id space), act on its events, write everything poll_transmit gives in
one write after each read, write a whitespace keepalive when
poll_keepalive() says so, and drive poll_timeout/handle_timeout.

Two host styles (--drains): "turn" writes what the endpoint has once per
read (so the requests an application sends in one loop turn share a data
IQ), "send" writes after every send (most applications: each send call
ends in a write). Plain IQs are written the same way in each style.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

import xmpptls
from xmpptls.slixmpp import is_xtls, stanza_text

NS_BENCH = "urn:x-xmpptls:bench"
IQ = "{jabber:client}iq"


LIMITS = {}  # --limits name=value,...: the core's limit names
PIGGYBACK = [True]  # --no-piggyback: plain XTLS §4.3 answers
C_LIBRARY = [None]  # --binding c: c_endpoint.Library


def endpoint(jid, key_exchange=None):
    if C_LIBRARY[0] is not None:
        import c_endpoint
        assert key_exchange is None, "--compare-key-exchange uses the Python binding"
        return c_endpoint.Endpoint(C_LIBRARY[0], jid, LIMITS, PIGGYBACK[0])
    limits = xmpptls.default_limits()
    for name, value in LIMITS.items():
        setattr(limits, name, value)
    return xmpptls.Endpoint(
        xmpptls.EndpointSettings(jid=jid, trust=xmpptls.TrustMode.OFFER, limits=limits,
                                 key_exchange=key_exchange, send_from=False,
                                 piggyback=PIGGYBACK[0]), None)


class Host(slixmpp.ClientXMPP):
    """An XMPP client hosting one XTLS endpoint."""

    def __init__(self, jid, password, ca, keepalive):
        super().__init__(jid, password)
        self.ca_certs = ca
        self.keepalive = keepalive
        self.ep = None
        self.app = None
        self.outbox = []  # plain stanzas the application queued
        self.timer = None
        self.keepalives = 0
        self.register_handler(Callback("iq", MatchXPath("{jabber:client}iq"), self.on_iq))

    def _spawn_event(self, xml):
        """XTLS stanzas go to the endpoint before slixmpp builds stanza
        objects and matches its handlers; everything else as usual."""
        if self.ep is not None and xml.tag == IQ and is_xtls(xml):
            try:
                self.ep.handle_incoming(stanza_text(xml))
            except xmpptls.XmppTlsError:
                pass  # answered by the endpoint; the tunnel, if any, is closed
            self.drain_events()
            return
        super()._spawn_event(xml)

    def data_received(self, data):
        self.wrote = False
        super().data_received(data)
        if self.ep is not None:
            self.flush()
            # The endpoint's hint covers the XTLS stanzas it handled.
            if self.ep.poll_keepalive():
                self.wrote = False
            # A read that made this client write nothing (an
            # acknowledgement, a stanza that needs no answer, part of a
            # stanza larger than a TCP segment) is followed by a whitespace
            # keepalive. (Only once the session runs: during login the
            # stream restarts under the client library's control.)
            if self.keepalive and not self.wrote:
                self.keepalives += 1
                self.send_raw(" ")

    def send_raw(self, data):
        self.wrote = True
        super().send_raw(data)

    def on_iq(self, iq):
        self.app.on_plain(self, iq)

    def drain_events(self):
        for e in self.ep.poll_events():
            self.app.on_event(self, e)

    def flush(self):
        out, self.outbox = self.outbox, []
        out.extend(self.ep.poll_transmits())
        if out:
            self.send_raw("".join(out))
        self.arm()
        return bool(out)

    def arm(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        at = self.ep.poll_timeout()
        if at is not None:
            self.timer = self.loop.call_later(max(0.0, at - time.time()), self.on_timer)

    def on_timer(self):
        self.timer = None
        if self.transport is None:
            return  # disconnected: the run is over
        self.ep.handle_timeout()
        self.drain_events()
        self.flush()


class Idle:
    def on_plain(self, host, iq):
        pass

    def on_event(self, host, e):
        pass


def server_cpu(pid):
    """CPU seconds the server process has used (Linux /proc), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class RoundTrips:
    """Requests from a to b, `inflight` at a time, for `seconds`; written
    after every send (`drain` "send") or once per read ("turn")."""

    def __init__(self, a, b, mode, payload, inflight, seconds, server_pid=None, drain="turn"):
        self.a, self.b, self.mode = a, b, mode
        self.drain = drain
        self.server_pid = server_pid
        self.body = "x" * payload
        self.inflight, self.seconds = inflight, seconds
        self.n = 0
        self.done = 0
        self.outstanding = 0
        self.finished = asyncio.get_running_loop().create_future()

    def query(self, kind, qid):
        return f"<iq type='{kind}' id='{qid}'><q xmlns='{NS_BENCH}'>{self.body}</q></iq>"

    def request(self):
        self.n += 1
        self.outstanding += 1
        qid = f"b{self.n}"
        if self.mode == "plain":
            self.a.outbox.append(self.query("get", qid).replace("<iq ", f"<iq to='{self.b.boundjid.full}' ", 1))
        else:
            self.a.ep.send(self.b.boundjid.full, self.query("get", qid))
        if self.drain == "send":
            self.a.flush()

    def answered(self):
        self.outstanding -= 1
        self.done += 1
        if time.perf_counter() < self.end:
            self.request()
        elif self.outstanding == 0 and not self.finished.done():
            self.finished.set_result(None)

    def on_plain(self, host, iq):
        if host is self.b and iq["type"] == "get":
            reply = self.query("result", iq["id"]).replace("<iq ", f"<iq to='{iq['from']}' ", 1)
            self.b.outbox.append(reply)
            if self.drain == "send":
                self.b.flush()
        elif host is self.a and iq["type"] == "result":
            self.answered()

    def on_event(self, host, e):
        if not e.is_STANZA():
            return
        if host is self.b:
            qid = re.search(r"id=['\"]([^'\"]+)", e.stanza).group(1)
            self.b.ep.send(self.a.boundjid.full, self.query("result", qid))
            if self.drain == "send":
                self.b.flush()
        else:
            self.answered()

    async def run(self):
        self.a.app = self.b.app = self
        self.end = time.perf_counter() + self.seconds
        start = time.perf_counter()
        cpu = time.process_time()
        server = server_cpu(self.server_pid)
        for _ in range(self.inflight):
            self.request()
        self.a.flush()
        await self.finished
        elapsed = time.perf_counter() - start
        self.cpu_share = (time.process_time() - cpu) / elapsed
        after = server_cpu(self.server_pid)
        self.server_share = None if server is None or after is None else (after - server) / elapsed
        self.a.app = self.b.app = Idle()
        return self.done / elapsed


class Bulk:
    """Stanzas sent at once from a to b (plain IQ-sets, or through the
    tunnel): the time until b has them all, what came back, and whether
    the tunnel closed. Under a shaper this is byte throughput."""

    def __init__(self, a, b, mode, sizes, limit_s):
        self.a, self.b, self.mode = a, b, mode
        self.sizes, self.limit_s = sizes, limit_s
        self.got = 0
        self.closes = []
        self.done = asyncio.get_running_loop().create_future()

    def stanza(self, i, size):
        head = f"<iq type='set' id='bulk{i}'><q xmlns='{NS_BENCH}'>"
        return head + "x" * max(0, size - len(head) - 10) + "</q></iq>"

    def arrived(self):
        self.got += 1
        if self.got == len(self.sizes) and not self.done.done():
            self.done.set_result(time.perf_counter())

    def on_plain(self, host, iq):
        if host is self.b and iq["type"] == "set":
            self.b.outbox.append(f"<iq type='result' id='{iq['id']}' to='{iq['from']}'/>")
            self.arrived()

    def on_event(self, host, e):
        if host is self.b and e.is_STANZA():
            self.arrived()
        if e.is_CLOSED():
            self.closes.append((host is self.a, str(e.reason), len(e.returned)))

    async def run(self):
        self.a.app = self.b.app = self
        t0 = time.perf_counter()
        for i, size in enumerate(self.sizes):
            text = self.stanza(i, size)
            if self.mode == "plain":
                self.a.outbox.append(text.replace("<iq ", f"<iq to='{self.b.boundjid.full}' ", 1))
            else:
                self.a.ep.send(self.b.boundjid.full, text)
        self.a.flush()
        try:
            t1 = await asyncio.wait_for(self.done, self.limit_s)
            seconds = t1 - t0
        except asyncio.TimeoutError:
            seconds = None
        # Let acknowledgements and any close settle.
        await asyncio.sleep(1.0)
        self.a.app = self.b.app = Idle()
        return {"seconds": seconds, "arrived": self.got, "sent": len(self.sizes),
                "octets": sum(self.sizes), "closes": self.closes}


class Opening:
    """Time from open() to the first inner stanza at the peer."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.got = asyncio.get_running_loop().create_future()
        self.closed = 0

    def on_plain(self, host, iq):
        pass

    def on_event(self, host, e):
        if host is self.b and e.is_STANZA() and not self.got.done():
            self.got.set_result(time.perf_counter())
        if e.is_CLOSED():
            self.closed += 1

    async def run(self):
        self.a.app = self.b.app = self
        t0 = time.perf_counter()
        self.a.ep.open_tunnel(self.b.boundjid.full)
        self.a.ep.send(self.b.boundjid.full, "<message><body>first</body></message>")
        self.a.flush()
        t1 = await asyncio.wait_for(self.got, 10)
        self.a.ep.close_tunnel(self.b.boundjid.full)
        self.a.flush()
        for _ in range(200):
            if self.closed >= 2:
                break
            await asyncio.sleep(0.005)
        self.a.app = self.b.app = Idle()
        return (t1 - t0) * 1000


async def connect(jid, password, host, port, ca, keepalive):
    h = Host(jid, password, ca, keepalive)
    h.app = Idle()
    online = asyncio.get_running_loop().create_future()
    h.add_event_handler("session_start", lambda _: online.done() or online.set_result(None))
    h.add_event_handler("failed_auth", lambda _: online.done() or online.set_exception(RuntimeError("auth")))
    h.connect(host=host, port=port)
    await asyncio.wait_for(online, 15)
    h.ep = endpoint(h.boundjid.full)
    if keepalive:
        h.send_raw(" ")  # the login's last read got no answer
    return h


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--domain", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--seconds", type=float, default=1.5)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--opens", type=int, default=30)
    p.add_argument("--no-keepalive", action="store_true")
    p.add_argument("--no-piggyback", action="store_true",
                   help="plain XTLS: every data IQ answered by an empty result")
    p.add_argument("--server-pid", type=int)
    p.add_argument("--drains", default="turn,send",
                   help="host styles, comma-separated: turn (write once per read), send (after every send)")
    p.add_argument("--bulk", action="store_true",
                   help="also send 48 x 4 KiB at once, and single stanzas of 64 KiB and 100,000 B")
    p.add_argument("--bulk-limit", type=float, default=600.0,
                   help="seconds one bulk transfer may take")
    p.add_argument("--settle", type=float, default=0.0,
                   help="seconds to wait before each measurement (a shaper's bucket refills)")
    p.add_argument("--compare-key-exchange", action="store_true",
                   help="only the time to open, X25519MLKEM768 and X25519 interleaved")
    p.add_argument("--binding", choices=("python", "c"), default="python",
                   help="host the endpoint through the Python binding (uniffi) or the C library (ctypes)")
    p.add_argument("--c-library", default="target/release/libxmpptls_c.so",
                   help="the C library for --binding c")
    p.add_argument("--payloads", default="64,4096",
                   help="stanza body sizes in octets, comma-separated")
    p.add_argument("--limits", default="",
                   help="endpoint limits by the core's names: name=value,...")
    args = p.parse_args()
    for item in filter(None, args.limits.split(",")):
        name, value = item.split("=")
        if not hasattr(xmpptls.default_limits(), name):
            raise SystemExit(f"unknown limit {name}")
        LIMITS[name] = int(value)
    keepalive = not args.no_keepalive
    if args.binding == "c":
        import c_endpoint
        C_LIBRARY[0] = c_endpoint.Library(args.c_library)
    PIGGYBACK[0] = not args.no_piggyback
    a = await connect(f"a@{args.domain}/a", "secret-a", "127.0.0.1", args.port, args.ca, keepalive)
    b = await connect(f"b@{args.domain}/b", "secret-b", "127.0.0.1", args.port, args.ca, keepalive)

    def emit(**kv):
        print(json.dumps({"server": args.label, "keepalive": keepalive, "limits": LIMITS,
                          "binding": args.binding, **kv}), flush=True)

    if args.compare_key_exchange:
        # The hybrid against X25519 alone, alternating, fresh endpoints each.
        kinds = {"X25519MLKEM768": xmpptls.KeyExchange.POST_QUANTUM,
                 "X25519": xmpptls.KeyExchange.CLASSICAL}
        times = {k: [] for k in kinds}
        for _ in range(args.opens):
            for name, kx in kinds.items():
                await asyncio.sleep(args.settle / 4)
                a.ep, b.ep = endpoint(a.boundjid.full, kx), endpoint(b.boundjid.full, kx)
                times[name].append(await Opening(a, b).run())
        for name, t in times.items():
            emit(measure="open_ms_kx", key_exchange=name, median=statistics.median(t),
                 p90=statistics.quantiles(t, n=10)[-1], samples=[round(o, 1) for o in t])
        a.disconnect()
        b.disconnect()
        return

    # Opening: a fresh pair of endpoints each time (full handshake).
    opens = []
    for _ in range(args.opens):
        await asyncio.sleep(args.settle / 4)
        a.ep, b.ep = endpoint(a.boundjid.full), endpoint(b.boundjid.full)
        opens.append(await Opening(a, b).run())
    emit(measure="open_ms", median=statistics.median(opens),
         p90=statistics.quantiles(opens, n=10)[-1], samples=[round(o, 1) for o in opens])

    # One tunnel for every round trip measurement.
    a.ep, b.ep = endpoint(a.boundjid.full), endpoint(b.boundjid.full)
    await Opening(a, b).run()
    a.ep.open_tunnel(b.boundjid.full)
    a.flush()
    await asyncio.sleep(0.2)
    a.drain_events()
    b.drain_events()
    established = xmpptls.TunnelState.ESTABLISHED if C_LIBRARY[0] is None else 3
    assert a.ep.tunnel_state(b.boundjid.full) == established
    for drain in args.drains.split(","):
        for payload in [int(p) for p in args.payloads.split(",")]:
            for inflight in (1, 16):
                rates = {"plain": [], "tunnel": []}
                cpu = {"plain": [], "tunnel": []}
                server = {"plain": [], "tunnel": []}
                for _ in range(args.rounds):
                    for mode in ("plain", "tunnel"):
                        await asyncio.sleep(args.settle)
                        cell = RoundTrips(a, b, mode, payload, inflight, args.seconds, args.server_pid, drain)
                        rates[mode].append(await cell.run())
                        cpu[mode].append(cell.cpu_share)
                        server[mode].append(cell.server_share)
                plain, tunnel = statistics.median(rates["plain"]), statistics.median(rates["tunnel"])
                emit(measure="round_trips", drain=drain, payload=payload, inflight=inflight,
                     plain_per_s=plain, tunnel_per_s=tunnel, ratio=tunnel / plain,
                     runs=rates, client_cpu=cpu, server_cpu=server)
    if args.bulk:
        for name, sizes in (("48 x 4 KiB", [4096] * 48), ("64 KiB", [65536]), ("100,000 B", [100000])):
            runs = {}
            for mode in ("plain", "tunnel"):
                await asyncio.sleep(args.settle)
                if mode == "tunnel" and a.ep.tunnel_state(b.boundjid.full) is None:
                    a.ep.open_tunnel(b.boundjid.full)
                runs[mode] = await Bulk(a, b, mode, sizes, args.bulk_limit).run()
            p_s, t_s = runs["plain"]["seconds"], runs["tunnel"]["seconds"]
            emit(measure="bulk", name=name, plain=runs["plain"], tunnel=runs["tunnel"],
                 ratio=(p_s / t_s) if p_s and t_s else None)
    emit(measure="keepalives", a=a.keepalives, b=b.keepalives)
    a.disconnect()
    b.disconnect()
    await asyncio.sleep(0.2)


if __name__ == "__main__":
    asyncio.run(main())
