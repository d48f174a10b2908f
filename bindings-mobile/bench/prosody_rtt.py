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
"""

import argparse
import asyncio
import json
import re
import statistics
import sys
import time

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

import xmpptls

NS_XTLS = "urn:xmpp:tmp:xtls"
NS_BENCH = "urn:x-xmpptls:bench"


def endpoint(jid):
    return xmpptls.Endpoint(xmpptls.EndpointSettings(jid=jid, trust=xmpptls.TrustMode.OFFER), None)


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

    def data_received(self, data):
        super().data_received(data)
        if self.ep is not None:
            self.after_read()

    def on_iq(self, iq):
        kind = iq["type"]
        if kind in ("set", "get"):
            ours = iq.xml.find("{%s}*" % NS_XTLS) is not None
        else:
            ours = iq["id"].startswith("xtls-")
        if not ours:
            self.app.on_plain(self, iq)
            return
        try:
            self.ep.handle_incoming(str(iq))
        except xmpptls.XmppTlsError:
            pass  # answered by the endpoint; the tunnel, if any, is closed
        self.drain_events()

    def drain_events(self):
        while (e := self.ep.poll_event()) is not None:
            self.app.on_event(self, e)

    def after_read(self):
        self.flush()
        if self.keepalive and self.ep.poll_keepalive():
            self.keepalives += 1
            self.send_raw(" ")

    def flush(self):
        out, self.outbox = self.outbox, []
        while (s := self.ep.poll_transmit()) is not None:
            out.append(s)
        if out:
            self.send_raw("".join(out))
        self.arm()

    def arm(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        at = self.ep.poll_timeout()
        if at is not None:
            self.timer = self.loop.call_later(max(0.0, at - time.time()), self.on_timer)

    def on_timer(self):
        self.timer = None
        self.ep.handle_timeout()
        self.drain_events()
        self.flush()


class Idle:
    def on_plain(self, host, iq):
        pass

    def on_event(self, host, e):
        pass


class RoundTrips:
    """Requests from a to b, `inflight` at a time, for `seconds`."""

    def __init__(self, a, b, mode, payload, inflight, seconds):
        self.a, self.b, self.mode = a, b, mode
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
        elif host is self.a and iq["type"] == "result":
            self.answered()

    def on_event(self, host, e):
        if not e.is_STANZA():
            return
        if host is self.b:
            qid = re.search(r"id=['\"]([^'\"]+)", e.stanza).group(1)
            self.b.ep.send(self.a.boundjid.full, self.query("result", qid))
        else:
            self.answered()

    async def run(self):
        self.a.app = self.b.app = self
        self.end = time.perf_counter() + self.seconds
        start = time.perf_counter()
        for _ in range(self.inflight):
            self.request()
        self.a.flush()
        await self.finished
        elapsed = time.perf_counter() - start
        self.a.app = self.b.app = Idle()
        return self.done / elapsed


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
    return h


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--domain", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--seconds", type=float, default=1.5)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--opens", type=int, default=15)
    p.add_argument("--no-keepalive", action="store_true")
    args = p.parse_args()
    keepalive = not args.no_keepalive
    a = await connect(f"bench-a@{args.domain}/a", "secret-a", "127.0.0.1", args.port, args.ca, keepalive)
    b = await connect(f"bench-b@{args.domain}/b", "secret-b", "127.0.0.1", args.port, args.ca, keepalive)

    def emit(**kv):
        print(json.dumps({"server": args.label, "keepalive": keepalive, **kv}), flush=True)

    # Opening: a fresh pair of endpoints each time (full handshake).
    opens = []
    for _ in range(args.opens):
        a.ep, b.ep = endpoint(a.boundjid.full), endpoint(b.boundjid.full)
        opens.append(await Opening(a, b).run())
    emit(measure="open_ms", median=statistics.median(opens),
         p90=statistics.quantiles(opens, n=10)[-1], samples=len(opens))

    # One tunnel for every round trip measurement.
    a.ep, b.ep = endpoint(a.boundjid.full), endpoint(b.boundjid.full)
    await Opening(a, b).run()
    a.ep.open_tunnel(b.boundjid.full)
    a.flush()
    await asyncio.sleep(0.2)
    a.drain_events()
    b.drain_events()
    assert a.ep.tunnel_state(b.boundjid.full) == xmpptls.TunnelState.ESTABLISHED
    for payload in (64, 4096):
        for inflight in (1, 16):
            rates = {"plain": [], "tunnel": []}
            for _ in range(args.rounds):
                for mode in ("plain", "tunnel"):
                    rates[mode].append(await RoundTrips(a, b, mode, payload, inflight, args.seconds).run())
            plain, tunnel = statistics.median(rates["plain"]), statistics.median(rates["tunnel"])
            emit(measure="round_trips", payload=payload, inflight=inflight,
                 plain_per_s=plain, tunnel_per_s=tunnel, ratio=tunnel / plain,
                 runs=rates)
    emit(measure="keepalives", a=a.keepalives, b=b.keepalives)
    a.disconnect()
    b.disconnect()
    await asyncio.sleep(0.2)


if __name__ == "__main__":
    asyncio.run(main())
