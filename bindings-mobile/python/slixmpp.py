"""XTLS tunnels for slixmpp clients: a plugin that hosts one libxmpptls
endpoint the way the README's hosting rules say, so an application only
opens tunnels, sends stanzas and listens for events.

    import slixmpp
    import xmpptls.slixmpp

    client = slixmpp.ClientXMPP("romeo@montague.lit/orchard", "secret")
    client.register_plugin("xtls", module=xmpptls.slixmpp)
    client.add_event_handler("xtls_stanza", lambda e: print(e.peer, e.stanza))

Once the session starts, ``client.plugin["xtls"].endpoint`` exists and
``client.plugin["xtls"].open(peer)``, ``.send(peer, stanza)`` and ``.close(peer)``
work; a stanza sent before the handshake waits in the tunnel.

What the plugin does for the host (README, "Hosting a tunnel on a real
server"):

* XTLS stanzas (IQ-sets in ``urn:xmpp:tmp:xtls``, answers in the endpoint's
  ``xtls-`` id space) go to the endpoint before slixmpp builds stanza objects
  and matches handlers, as text written by ``stanza_text`` (slixmpp's own
  ``str()`` costs 25 times as much on a data IQ);
* after each read, everything the endpoint has to send is written in one
  write with ``poll_write()``, the whitespace keepalive included, and a
  keepalive follows any other read that made the client write nothing;
* one timer at ``poll_timeout()`` drives ``handle_timeout()``;
* events are fired as slixmpp events: ``xtls_established``,
  ``xtls_stanza``, ``xtls_stanza_rejected``, ``xtls_closed`` (each with the
  endpoint's ``TunnelEvent``); ``xtls_closed`` carries what the tunnel
  handed back, which ``send`` may send again safely (the peer drops a copy
  that already arrived).

Settings: ``pconfig={"settings": EndpointSettings(...), "pins": PinStore}``;
the JID in the settings is replaced by the bound full JID.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional
from xml.etree.ElementTree import Element

from slixmpp.plugins.base import BasePlugin

from . import Endpoint, EndpointSettings, PinStore, TrustMode, TunnelEvent, XmppTlsError

NS_XTLS = "urn:xmpp:tmp:xtls"
_IQ = "{jabber:client}iq"
_XTLS_TAG = "{%s}" % NS_XTLS
_XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def _escape_text(t: str) -> str:
    if "&" in t or "<" in t or ">" in t:
        t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return t


def _escape_attr(v: str) -> str:
    if "&" in v or "<" in v or "'" in v:
        v = v.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")
    return v


def stanza_text(el: Element, parent_ns: Optional[str] = None) -> str:
    """An element's XML text for ``Endpoint.handle_incoming``: every
    element, namespace, attribute and text of the small trees XTLS uses."""
    tag = el.tag
    if tag[0] == "{":
        ns, _, name = tag[1:].partition("}")
    else:
        ns, name = "", tag
    out = ["<", name]
    if ns != parent_ns:
        out.append(" xmlns='%s'" % _escape_attr(ns))
    for k, v in el.attrib.items():
        if k[0] == "{":
            if not k.startswith(_XML_NS):
                continue
            k = "xml:" + k[len(_XML_NS):]
        out.append(" %s='%s'" % (k, _escape_attr(v)))
    if len(el) == 0 and not el.text:
        out.append("/>")
        return "".join(out)
    out.append(">")
    if el.text:
        out.append(_escape_text(el.text))
    for child in el:
        out.append(stanza_text(child, ns))
        if child.tail:
            out.append(_escape_text(child.tail))
    out.append("</%s>" % name)
    return "".join(out)


def is_xtls(iq: Element) -> bool:
    """An IQ for the endpoint: a request whose child is in the XTLS
    namespace, or an answer in its id space (ids ``xtls-…``)."""
    if iq.get("type") in ("set", "get"):
        return len(iq) > 0 and iq[0].tag.startswith(_XTLS_TAG)
    return iq.get("id", "").startswith("xtls-")


class XEP_XTLS(BasePlugin):  # noqa: N801 (slixmpp's plugin naming)
    """The ``xtls`` plugin: one endpoint for the client's bound JID."""

    name = "xtls"
    description = "XMPP Transport Layer Security (urn:xmpp:tmp:xtls), libxmpptls"
    dependencies: set[str] = set()
    default_config: dict[str, Any] = {"settings": None, "pins": None, "keepalive": True}

    endpoint: Optional[Endpoint]

    def plugin_init(self) -> None:
        self.endpoint = None
        self._timer: Any = None
        self._wrote = False
        xmpp = self.xmpp
        spawn: Callable[[Element], None] = xmpp._spawn_event
        received: Callable[[bytes], None] = xmpp.data_received
        send_raw: Callable[[str], None] = xmpp.send_raw

        def spawn_event(xml: Element) -> None:
            if self.endpoint is not None and xml.tag == _IQ and is_xtls(xml):
                try:
                    self.endpoint.handle_incoming(stanza_text(xml))
                except XmppTlsError:
                    pass  # answered by the endpoint; a tunnel it broke is closed
                self._fire_events()
                return
            spawn(xml)

        def data_received(data: bytes) -> None:
            self._wrote = False
            received(data)
            if self.endpoint is None:
                return
            self.flush()
            # Any other read that made us write nothing: a keepalive, so a
            # server with Nagle's algorithm on does not wait for our ACK.
            if self.keepalive and not self._wrote:
                send_raw(" ")

        def counted_send_raw(data: str) -> None:
            self._wrote = True
            send_raw(data)

        xmpp._spawn_event = spawn_event  # type: ignore[method-assign]
        xmpp.data_received = data_received  # type: ignore[method-assign]
        xmpp.send_raw = counted_send_raw  # type: ignore[method-assign]
        xmpp.add_event_handler("session_start", self._start)
        xmpp.add_event_handler("session_end", self._end)

    def plugin_end(self) -> None:
        self._end(None)

    def _start(self, _event: Any) -> None:
        base = self.settings if isinstance(self.settings, EndpointSettings) else None
        jid = self.xmpp.boundjid.full
        if base is None:
            # The server stamps `from` on a c2s stream (RFC 6120 §8.1.2.1).
            settings = EndpointSettings(jid=jid, trust=TrustMode.TRUST_ON_FIRST_USE, send_from=False)
        else:
            settings = base
            settings.jid = jid
        pins = self.pins if isinstance(self.pins, PinStore) else None
        self.endpoint = Endpoint(settings, pins)
        self.xmpp.event("xtls_ready", self.endpoint)

    def _end(self, _event: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.endpoint = None

    def _ep(self) -> Endpoint:
        if self.endpoint is None:
            raise RuntimeError("no XMPP session: the endpoint exists from session_start on")
        return self.endpoint

    def open(self, peer: str) -> None:
        """Opens a tunnel to the full JID ``peer`` (XTLS §4.1)."""
        self._ep().open_tunnel(peer)
        self.flush()

    def send(self, peer: str, stanza: str) -> None:
        """Sends a stanza through the tunnel to ``peer``; it waits for the
        handshake if there is one under way."""
        self._ep().send(peer, stanza)
        self.flush()

    def close(self, peer: str) -> None:
        """Closes the tunnel to ``peer`` (XTLS §4.5); ``xtls_closed`` follows."""
        self._ep().close_tunnel(peer)
        self.flush()

    def flush(self) -> None:
        """Writes what the endpoint has to send (one write), and re-arms the
        timer. The plugin calls it after every read and every call."""
        ep = self.endpoint
        if ep is None:
            return
        self._fire_events()
        out = ep.poll_write()
        if out:
            self.xmpp.send_raw(out)
        self._arm()

    def _fire_events(self) -> None:
        ep = self.endpoint
        if ep is None:
            return
        for e in ep.poll_events():
            self.xmpp.event(_event_name(e), e)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        ep = self.endpoint
        at = ep.poll_timeout() if ep is not None else None
        if at is not None:
            self._timer = self.xmpp.loop.call_later(max(0.0, at - time.time()), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self.endpoint is not None:
            self.endpoint.handle_timeout()
            self.flush()


def _event_name(e: TunnelEvent) -> str:
    """The slixmpp event for an endpoint event."""
    if e.is_STANZA():
        return "xtls_stanza"
    if e.is_ESTABLISHED():
        return "xtls_established"
    if e.is_CLOSED():
        return "xtls_closed"
    return "xtls_stanza_rejected"

# slixmpp finds the plugin by module and name: register_plugin("xtls",
# module=xmpptls.slixmpp).
xtls = XEP_XTLS
__all__ = ["XEP_XTLS", "stanza_text", "is_xtls", "NS_XTLS", "TunnelEvent"]
