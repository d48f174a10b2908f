"""The C library (`libxmpptls`, include/xmpptls.h) behind the few Endpoint
calls prosody_rtt.py makes, through ctypes: the host the issue measured
("release C library, slixmpp"). A Python host pays about 7 µs per uniffi
call (a RustBuffer for every string, two FFI calls per method); through
ctypes and the C API a call costs about 1 µs, so the benchmark measures
the tunnel rather than the binding's call overhead. Only what the
benchmark uses; not a binding (the Python binding is uniffi's).
"""

import ctypes
import time

OK, EMPTY = 0, 5
TRUST_OFFER = 0
EVENT_STANZA, EVENT_CLOSED = 2, 4
STATE_ESTABLISHED = 3

_u64, _i32, _u32, _sz, _p = ctypes.c_uint64, ctypes.c_int32, ctypes.c_uint32, ctypes.c_size_t, ctypes.c_void_p
_cp = ctypes.c_char_p


class CError(Exception):
    """A call returned a result code other than OK or EMPTY."""


class Event:
    """An event's kind and text, copied out before the event is freed."""

    __slots__ = ("kind", "text", "returned")

    def __init__(self, kind, text, returned):
        self.kind, self.text, self.returned = kind, text, returned

    def is_STANZA(self):  # noqa: N802 (the uniffi event's spelling)
        return self.kind == EVENT_STANZA

    def is_CLOSED(self):  # noqa: N802
        return self.kind == EVENT_CLOSED

    @property
    def stanza(self):
        return self.text

    @property
    def reason(self):
        return self.text


class Library:
    """libxmpptls loaded from `path` with the prototypes the calls need."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        sig = {
            "xmpptls_endpoint_config_new": (_cp, ctypes.POINTER(_p)),
            "xmpptls_endpoint_config_set_trust": (_p, _u32),
            "xmpptls_endpoint_config_set_piggyback": (_p, _i32),
            "xmpptls_endpoint_config_set_send_from": (_p, _i32),
            "xmpptls_endpoint_config_set_limit": (_p, _cp, _u64),
            "xmpptls_endpoint_config_free": (_p,),
            "xmpptls_endpoint_new_with_config": (_p, _p, _p, ctypes.POINTER(_p)),
            "xmpptls_endpoint_free": (_p,),
            "xmpptls_endpoint_handle_incoming": (_p, _cp, _sz, _u64, ctypes.POINTER(_i32)),
            "xmpptls_endpoint_send": (_p, _cp, _cp, _sz, _u64),
            "xmpptls_endpoint_open": (_p, _cp, _u64),
            "xmpptls_endpoint_close": (_p, _cp, _u64),
            "xmpptls_endpoint_poll_write": (_p, ctypes.POINTER(_p), ctypes.POINTER(_sz)),
            "xmpptls_endpoint_poll_keepalive": (_p, ctypes.POINTER(_i32)),
            "xmpptls_endpoint_poll_timeout": (_p, ctypes.POINTER(_u64)),
            "xmpptls_endpoint_handle_timeout": (_p, _u64),
            "xmpptls_endpoint_poll_event": (_p, ctypes.POINTER(_p)),
            "xmpptls_endpoint_tunnel_state": (_p, _cp, ctypes.POINTER(_u32)),
            "xmpptls_event_text_ptr": (_p, ctypes.POINTER(_p), ctypes.POINTER(_sz)),
            "xmpptls_event_free": (_p,),
        }
        for name, args in sig.items():
            f = getattr(lib, name)
            f.argtypes = list(args)
            f.restype = None if name.endswith("_free") else _u32
        for name, res in (("xmpptls_event_kind", _u32), ("xmpptls_event_returned_count", _sz)):
            f = getattr(lib, name)
            f.argtypes = [_p]
            f.restype = res
        self.lib = lib


def _check(code):
    if code not in (OK, EMPTY):
        raise CError(f"libxmpptls result {code}")
    return code


class Endpoint:
    """One C endpoint with the method names of the uniffi Endpoint that the
    benchmark calls (times are the host's clock, whole seconds as the C API
    takes them)."""

    def __init__(self, library, jid, limits, piggyback):
        c = library.lib
        self.c = c
        cfg = _p()
        _check(c.xmpptls_endpoint_config_new(jid.encode(), ctypes.byref(cfg)))
        _check(c.xmpptls_endpoint_config_set_trust(cfg, TRUST_OFFER))
        _check(c.xmpptls_endpoint_config_set_send_from(cfg, 0))
        _check(c.xmpptls_endpoint_config_set_piggyback(cfg, 1 if piggyback else 0))
        for name, value in limits.items():
            _check(c.xmpptls_endpoint_config_set_limit(cfg, name.encode(), value))
        self.ep = _p()
        _check(c.xmpptls_endpoint_new_with_config(cfg, None, None, ctypes.byref(self.ep)))
        c.xmpptls_endpoint_config_free(cfg)
        self._data, self._len, self._flag, self._u64 = _p(), _sz(), _i32(), _u64()
        self._ev = _p()

    def __del__(self):
        if getattr(self, "ep", None):
            self.c.xmpptls_endpoint_free(self.ep)
            self.ep = None

    def handle_incoming(self, stanza):
        b = stanza.encode()
        _check(self.c.xmpptls_endpoint_handle_incoming(self.ep, b, len(b), int(time.time()),
                                                       ctypes.byref(self._flag)))
        return bool(self._flag.value)

    def send(self, peer, stanza):
        b = stanza.encode()
        _check(self.c.xmpptls_endpoint_send(self.ep, peer.encode(), b, len(b), int(time.time())))

    def open_tunnel(self, peer):
        _check(self.c.xmpptls_endpoint_open(self.ep, peer.encode(), int(time.time())))

    def close_tunnel(self, peer):
        _check(self.c.xmpptls_endpoint_close(self.ep, peer.encode(), int(time.time())))

    def poll_write(self):
        """Everything to write (stanzas, then a keepalive space), or None."""
        if _check(self.c.xmpptls_endpoint_poll_write(self.ep, ctypes.byref(self._data),
                                                     ctypes.byref(self._len))) == EMPTY:
            return None
        return ctypes.string_at(self._data, self._len.value).decode()

    def poll_transmits(self):
        out = self.poll_write()
        return [out] if out else []

    def poll_keepalive(self):
        _check(self.c.xmpptls_endpoint_poll_keepalive(self.ep, ctypes.byref(self._flag)))
        return bool(self._flag.value)

    def poll_timeout(self):
        if _check(self.c.xmpptls_endpoint_poll_timeout(self.ep, ctypes.byref(self._u64))) == EMPTY:
            return None
        return self._u64.value

    def handle_timeout(self):
        _check(self.c.xmpptls_endpoint_handle_timeout(self.ep, int(time.time())))

    def poll_events(self):
        c, out = self.c, []
        while _check(c.xmpptls_endpoint_poll_event(self.ep, ctypes.byref(self._ev))) == OK:
            ev = self._ev.value
            kind = c.xmpptls_event_kind(ev)
            text = ""
            if c.xmpptls_event_text_ptr(ev, ctypes.byref(self._data), ctypes.byref(self._len)) == OK:
                text = ctypes.string_at(self._data, self._len.value).decode()
            out.append(Event(kind, text, [None] * c.xmpptls_event_returned_count(ev)))
            c.xmpptls_event_free(ev)
        return out

    def tunnel_state(self, peer):
        state = _u32()
        if _check(self.c.xmpptls_endpoint_tunnel_state(self.ep, peer.encode(), ctypes.byref(state))) == EMPTY:
            return None
        return state.value
