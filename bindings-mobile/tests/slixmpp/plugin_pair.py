"""Two slixmpp clients through a real server (started by
scripts/test-hosts.sh), each with the ``xtls`` plugin of the Python package
(``xmpptls.slixmpp``): a opens a tunnel to b and sends a message and a
40,000-octet stanza, b answers through the tunnel, a closes, both see the
tunnel close. Prints "ok - …" lines and "N passed, N failed"."""

import argparse
import asyncio
import sys

import slixmpp

import xmpptls
import xmpptls.slixmpp


async def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--domain", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--label", required=True)
    args = p.parse_args()
    loop = asyncio.get_running_loop()
    got: dict[str, list[str]] = {"a": [], "b": []}
    closed: dict[str, list[str]] = {"a": [], "b": []}
    established: dict[str, int] = {"a": 0, "b": 0}
    done = loop.create_future()

    def client(name: str) -> slixmpp.ClientXMPP:
        c = slixmpp.ClientXMPP(f"{name}@{args.domain}/{name}", f"secret-{name}")
        c.ca_certs = args.ca
        c.register_plugin("xtls", module=xmpptls.slixmpp,
                          pconfig={"settings": xmpptls.EndpointSettings(
                              jid=f"{name}@{args.domain}/{name}", trust=xmpptls.TrustMode.OFFER)})
        c.add_event_handler("xtls_established", lambda e: established.__setitem__(name, established[name] + 1))
        c.add_event_handler("xtls_stanza", lambda e: got[name].append(e.stanza))
        c.add_event_handler("xtls_closed", lambda e: closed[name].append(str(e.reason)))
        return c

    a, b = client("a"), client("b")
    online = [loop.create_future(), loop.create_future()]
    for c, f in ((a, online[0]), (b, online[1])):
        c.add_event_handler("session_start", lambda _e, f=f: f.done() or f.set_result(None))
        c.connect(host="127.0.0.1", port=args.port)
    await asyncio.wait_for(asyncio.gather(*online), 20)

    def on_b_stanza(e: xmpptls.TunnelEvent) -> None:
        if "<body>hello</body>" in e.stanza:
            b.plugin["xtls"].send(a.boundjid.full, "<message><body>hi back</body></message>")

    def on_a_stanza(e: xmpptls.TunnelEvent) -> None:
        if "hi back" in e.stanza:
            a.plugin["xtls"].close(b.boundjid.full)

    b.add_event_handler("xtls_stanza", on_b_stanza)
    a.add_event_handler("xtls_stanza", on_a_stanza)

    def check_done(_e: object) -> None:
        if closed["a"] and closed["b"] and not done.done():
            done.set_result(None)

    a.add_event_handler("xtls_closed", check_done)
    b.add_event_handler("xtls_closed", check_done)

    a.plugin["xtls"].open(b.boundjid.full)
    a.plugin["xtls"].send(b.boundjid.full, "<message><body>hello</body></message>")
    a.plugin["xtls"].send(b.boundjid.full, "<message><body>" + "x" * 40000 + "</body></message>")
    try:
        await asyncio.wait_for(done, 90)
    except asyncio.TimeoutError:
        pass
    results = [
        (established["a"] == 1 and established["b"] == 1, "tunnel established on both sides"),
        (len(got["b"]) == 2 and any(len(s) > 40000 for s in got["b"]) and len(got["a"]) == 1,
         "a message and a 40 KB stanza through, and the answer back"),
        (closed["a"] == ["local"] and closed["b"] == ["peer"],
         f"closed on both sides ({closed})"),
    ]
    for ok, text in results:
        print(f"{'ok' if ok else 'not ok'} - slixmpp plugin {args.label}: {text}")
    a.disconnect()
    b.disconnect()
    await asyncio.sleep(0.3)
    passed = sum(ok for ok, _ in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
