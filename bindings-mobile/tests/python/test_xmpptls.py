"""The Python bindings (uniffi), the scenarios of the Kotlin suite: tunnels,
errors, identity, pins in the application's storage, reports. Run by
scripts/test-mobile.sh with the freshly generated package on PYTHONPATH."""

import importlib
import re
import shutil
import sys

import pytest

import xmpptls
from xmpptls import xmpptls_mobile as generated

ROMEO = "romeo@montague.lit/orchard"
JULIET = "juliet@capulet.lit/balcony"


def test_api_checksums_match_the_library():
    # uniffi's Python bindings leave this call commented out; make it.
    generated._uniffi_check_contract_api_version(generated._UniffiLib)
    generated._uniffi_check_api_checksums(generated._UniffiLib)


def test_stale_bindings_are_detected(tmp_path):
    """Bindings generated from another version of the library fail the check."""
    src = open(generated.__file__).read()
    stale, n = re.subn(
        r"(checksum_func_version\(\) != )(\d+)",
        lambda m: m.group(1) + str((int(m.group(2)) + 1) % 65536),
        src,
    )
    assert n == 1
    # A package like the real one: the core's types beside the stale module.
    pkg = tmp_path / "stale_xmpptls"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "xmpptls_mobile.py").write_text(stale)
    here = re.sub(r"[^/]+$", "", generated.__file__)
    shutil.copy(here + "xmpptls_core.py", pkg / "xmpptls_core.py")
    shutil.copy(here + "libxmpptls_mobile.so", pkg / "libxmpptls_mobile.so")
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module("stale_xmpptls.xmpptls_mobile")
    finally:
        sys.path.remove(str(tmp_path))
    with pytest.raises(module.InternalError, match="checksum mismatch"):
        module._uniffi_check_api_checksums(module._UniffiLib)


class DictStorage(xmpptls.PinStorage):
    """The application's own storage: a dict here, a database in a bot."""

    def __init__(self):
        self.map = {}

    def load(self, key):
        return self.map.get(key, [])

    def save(self, key, pins):
        self.map[key] = list(pins)


def endpoint(jid, trust=xmpptls.TrustMode.TRUST_ON_FIRST_USE, pins=None, identity=None):
    return xmpptls.Endpoint(xmpptls.EndpointSettings(jid=jid, trust=trust, identity=identity), pins)


def route(*eps):
    """Moves stanzas until quiet, like a server; returns the errors raised."""
    by_jid = {ep.jid(): ep for ep in eps}
    errors, moved = [], True
    while moved:
        moved = False
        for ep in eps:
            while (s := ep.poll_transmit()) is not None:
                to = re.search(r"to=['\"]([^'\"]+)['\"]", s).group(1)
                try:
                    assert by_jid[to].handle_incoming(s)
                except xmpptls.XmppTlsError as e:
                    errors.append(e)
                moved = True
    return errors


def events(ep):
    out = []
    while (e := ep.poll_event()) is not None:
        out.append(e)
    return out


def message(body):
    return f"<message type='chat'><body>{body}</body></message>"


def test_tunnel_handshake_and_messages_both_ways():
    romeo, juliet = endpoint(ROMEO), endpoint(JULIET)
    romeo.open_tunnel(JULIET)
    romeo.send(JULIET, message("But soft!"))
    route(romeo, juliet)
    juliet.send(ROMEO, message("Ay me!"))
    route(romeo, juliet)
    re_, je = events(romeo), events(juliet)
    assert re_[0].is_ESTABLISHED()
    info = re_[0].info
    assert info.role == xmpptls.Role.INITIATOR and info.first_use
    assert info.tls_version == "TLSv1.3"
    assert info.kx_group == "X25519MLKEM768"
    assert info.report.key_exchange == "X25519MLKEM768"
    assert info.peer_spki_sha256 == juliet.local_pin()
    stanza = [e for e in je if e.is_STANZA()][0]
    assert stanza.peer == ROMEO and "But soft!" in stanza.stanza
    assert re.search(f"from=['\"]{ROMEO}['\"]", stanza.stanza)
    assert "Ay me!" in [e for e in re_ if e.is_STANZA()][0].stanza
    assert romeo.tunnel_state(JULIET) == xmpptls.TunnelState.ESTABLISHED
    assert info.report.verdict == xmpptls.Verdict.PASS


def test_trust_defaults_to_first_use():
    # No trust given: trust on first use, as the core and every runtime document.
    romeo = xmpptls.Endpoint(xmpptls.EndpointSettings(jid=ROMEO), None)
    juliet = xmpptls.Endpoint(xmpptls.EndpointSettings(jid=JULIET), None)
    romeo.open_tunnel(JULIET)
    route(romeo, juliet)
    info = events(romeo)[0].info
    assert info.first_use


def test_post_quantum_settings():
    def ep(jid, kx):
        return xmpptls.Endpoint(xmpptls.EndpointSettings(
            jid=jid, trust=xmpptls.TrustMode.OFFER, key_exchange=kx), None)

    # An older, classical peer still connects, graded with an info finding.
    romeo, juliet = ep(ROMEO, None), ep(JULIET, xmpptls.KeyExchange.CLASSICAL)
    romeo.open_tunnel(JULIET)
    route(romeo, juliet)
    info = events(romeo)[0].info
    assert info.kx_group == "X25519"
    finding = [f for f in info.report.findings if f.code == "classical-key-exchange"][0]
    assert finding.severity == xmpptls.Severity.INFO
    # Required refuses it.
    romeo = ep(ROMEO, xmpptls.KeyExchange.POST_QUANTUM_REQUIRED)
    juliet = ep(JULIET, xmpptls.KeyExchange.CLASSICAL)
    romeo.open_tunnel(JULIET)
    route(romeo, juliet)
    evs = events(romeo)
    assert not any(e.is_ESTABLISHED() for e in evs)
    assert [e for e in evs if e.is_CLOSED()][0].reason.is_ERROR()
    policy = xmpptls.Policy(xmpptls.PolicyPreset.STRICT)
    policy.set_require_post_quantum(True)
    n = xmpptls.Negotiation(tls_version="TLSv1.3", cipher_suite="TLS_AES_128_GCM_SHA256",
                            kx_group="X25519", authentication=xmpptls.AuthMethod.PKIX)
    assert policy.evaluate("x", n).verdict == xmpptls.Verdict.FAIL


def test_close_ends_the_tunnel_on_both_sides():
    romeo, juliet = endpoint(ROMEO), endpoint(JULIET)
    romeo.open_tunnel(JULIET)
    route(romeo, juliet)
    romeo.close_tunnel(JULIET)
    route(romeo, juliet)
    assert events(romeo)[-1].reason.is_LOCAL()
    assert events(juliet)[-1].reason.is_PEER()
    assert romeo.tunnel_state(JULIET) is None
    with pytest.raises(xmpptls.XmppTlsError.Protocol) as e:
        romeo.send(JULIET, message("late"))
    assert e.value.code == 201


def test_deadlines_keepalive_and_stanzas_handed_back():
    import time

    romeo, juliet = endpoint(ROMEO), endpoint(JULIET)
    assert romeo.poll_timeout() is None
    romeo.open_tunnel(JULIET)
    # The start waits for its answer: a deadline 30 s from now.
    deadline = romeo.poll_timeout()
    assert deadline is not None and 25 <= deadline - time.time() <= 31
    romeo.handle_timeout()  # not due yet: nothing closes
    assert romeo.tunnel_state(JULIET) == xmpptls.TunnelState.STARTING
    route(romeo, juliet)
    assert romeo.poll_timeout() is None and juliet.poll_timeout() is None
    events(romeo), events(juliet)
    # Romeo's message reaches juliet; her acknowledgement reaches romeo, who
    # has nothing to answer: the host should write a whitespace keepalive.
    romeo.send(JULIET, message("hello"))
    assert juliet.handle_incoming(romeo.poll_transmit())
    assert [e.is_STANZA() for e in juliet.poll_events()] == [True]
    assert romeo.handle_incoming(juliet.poll_transmit())
    assert romeo.poll_transmit() is None
    assert romeo.poll_keepalive() is True
    assert romeo.poll_keepalive() is False
    # Everything queued, in one call each (fewer crossings of the FFI).
    romeo.send(JULIET, message("one"))
    romeo.send(JULIET, message("two"))
    [data] = romeo.poll_transmits()  # one turn, one data IQ
    assert juliet.handle_incoming(data)
    got = [e.stanza for e in juliet.poll_events() if e.is_STANZA()]
    assert len(got) == 2 and "one" in got[0] and "two" in got[1]
    [ack] = juliet.poll_transmits()
    assert romeo.handle_incoming(ack) and romeo.poll_transmits() == []
    # A stanza the peer never acknowledged is handed back when the tunnel
    # ends: here juliet goes offline before it left.
    romeo.send(JULIET, message("are you there"))
    romeo.peer_unavailable(JULIET)
    closed = [e for e in events(romeo) if e.is_CLOSED()][0]
    assert closed.reason.is_PEER_UNAVAILABLE()
    [back] = closed.returned
    assert "are you there" in back.stanza and back.maybe_delivered is False


def test_errors_carry_stable_codes():
    romeo = endpoint(ROMEO)
    with pytest.raises(xmpptls.XmppTlsError.Input) as e:
        romeo.open_tunnel("not a jid@@/")
    assert e.value.code == 101
    with pytest.raises(xmpptls.XmppTlsError.Input) as e:
        romeo.handle_incoming(f"<!DOCTYPE x [<!ENTITY a 'b'>]><iq type='set' from='{JULIET}' to='{ROMEO}'/>")
    assert e.value.code == 100
    assert not romeo.handle_incoming(f"<message from='{JULIET}' to='{ROMEO}'><body>hi</body></message>")
    with pytest.raises(xmpptls.XmppTlsError.Trust) as e:
        endpoint(ROMEO, xmpptls.TrustMode.PINNED).open_tunnel(JULIET)
    assert e.value.code == 301
    with pytest.raises(xmpptls.XmppTlsError.Input) as e:
        endpoint(ROMEO, identity=xmpptls.IdentityPem(chain_pem="no", key_pem="no"))
    assert e.value.code == 106


def test_every_setting_reaches_the_core():
    """A setting accepted and ignored fails here (issue 23); trust, identity,
    pins_json, key_exchange and limits have their own tests."""
    def settings(jid, **kw):
        return xmpptls.EndpointSettings(jid=jid, trust=xmpptls.TrustMode.OFFER, **kw)

    # versions: TLS 1.2 only on one side negotiates TLS 1.2.
    romeo = xmpptls.Endpoint(settings(ROMEO, versions=xmpptls.TlsVersions.TLS12_ONLY))
    juliet = xmpptls.Endpoint(settings(JULIET))
    romeo.open_tunnel(JULIET)
    route(romeo, juliet)
    assert events(romeo)[0].info.tls_version == "TLSv1.2"
    # send_offer: the XEP-0250 offer is in the start only when asked for.
    for offer in (True, False):
        ep = xmpptls.Endpoint(settings(ROMEO, send_offer=offer))
        ep.open_tunnel(JULIET)
        assert ("<offer" in ep.poll_transmit()) == offer
    # enabled=False: a start is refused, and the opener learns it.
    romeo = xmpptls.Endpoint(settings(ROMEO))
    juliet = xmpptls.Endpoint(settings(JULIET, enabled=False))
    romeo.open_tunnel(JULIET)
    assert route(romeo, juliet)
    assert any(e.is_CLOSED() for e in events(romeo))
    assert juliet.tunnel_count() == 0
    # roots_pem: PKIX without roots is a configuration error; with them, not.
    with pytest.raises(xmpptls.XmppTlsError.Config):
        xmpptls.Endpoint(xmpptls.EndpointSettings(jid=ROMEO, trust=xmpptls.TrustMode.PKIX))
    root = xmpptls.generate_identity(JULIET).chain_pem
    xmpptls.Endpoint(xmpptls.EndpointSettings(jid=ROMEO, trust=xmpptls.TrustMode.PKIX, roots_pem=root)).close()


def test_error_messages_and_declared_variants():
    """str() reads "[code] detail"; the variants __init__.py declares for
    type checkers are exactly the generated ones."""
    import ast
    import inspect

    with pytest.raises(xmpptls.XmppTlsError) as e:
        endpoint(ROMEO).open_tunnel("not a jid@@/")
    assert str(e.value) == f"[{e.value.code}] {e.value.detail}" and e.value.code == 101
    runtime = {n for n, v in vars(xmpptls.XmppTlsError).items()
               if isinstance(v, type) and issubclass(v, xmpptls.XmppTlsError)}
    tree = ast.parse(inspect.getsource(xmpptls))
    declared = {c.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name == "XmppTlsError"
                for c in node.body if isinstance(c, ast.ClassDef)}
    assert declared == runtime and len(runtime) == 6


def test_identity_check():
    der = xmpptls.certificates_from_pem(xmpptls.generate_identity("capulet.lit").chain_pem)[0]
    m = xmpptls.check_identity(der, "capulet.lit", xmpptls.Service.XMPP_SERVER, False)
    assert m == xmpptls.IdentityMatch(kind=xmpptls.MatchKind.XMPP_ADDR, presented="capulet.lit")
    assert xmpptls.check_identity(der, "montague.lit", xmpptls.Service.XMPP_SERVER, False) is None
    assert xmpptls.certificate_info(der).san.xmpp_addr == ["capulet.lit"]
    with pytest.raises(xmpptls.XmppTlsError):
        xmpptls.check_identity(b"\x01\x02", "capulet.lit", xmpptls.Service.XMPP_CLIENT, False)


def test_pins_live_in_python_storage():
    storage = DictStorage()
    romeo_id = xmpptls.generate_identity(ROMEO)
    first = endpoint(ROMEO, identity=romeo_id)
    juliet = endpoint(JULIET, pins=xmpptls.PinStore.with_storage(storage))
    first.open_tunnel(JULIET)
    route(first, juliet)
    romeo_pin = first.local_pin()
    assert storage.map["romeo@montague.lit"] == [romeo_pin]
    # Juliet restarts on the same storage; Romeo returns with another key.
    juliet2 = endpoint(JULIET, pins=xmpptls.PinStore.with_storage(storage))
    other = endpoint(ROMEO)
    other.open_tunnel(JULIET)
    [refused] = route(other, juliet2)
    assert isinstance(refused, xmpptls.XmppTlsError.Trust)
    closed = [e for e in events(juliet2) if e.is_CLOSED()][0]
    assert closed.reason.is_ERROR() and closed.reason.code == 301
    pins = xmpptls.PinStore.with_storage(storage)
    assert pins.check("romeo@montague.lit", romeo_pin) == xmpptls.PinStatus.MATCH()
    assert pins.check("romeo@montague.lit", other.local_pin()).is_CHANGED()
    # Forgetting reaches the storage, and says whether there was a pin.
    assert pins.remove("romeo@montague.lit") is True
    assert storage.map["romeo@montague.lit"] == []
    assert pins.remove("romeo@montague.lit") is False


def test_server_check_and_report_fields():
    storage = DictStorage()
    pins = xmpptls.PinStore.with_storage(storage)
    chain = xmpptls.certificates_from_pem(xmpptls.generate_identity("capulet.lit").chain_pem)
    session = xmpptls.Negotiation(
        tls_version="TLSv1.3",
        cipher_suite="TLS_AES_128_GCM_SHA256",
        kx_group="X25519",
        authentication=xmpptls.AuthMethod.PKIX,
        peer_chain=chain,
    )
    policy = xmpptls.Policy(xmpptls.PolicyPreset.STRICT)
    r = policy.check_server("capulet.lit", xmpptls.Service.XMPP_CLIENT, session, pins)
    assert r.verdict == xmpptls.Verdict.PASS, r.text
    assert (r.peer, r.encrypted, r.tls_version, r.cipher_suite, r.authentication, r.policy) == (
        "capulet.lit", True, "TLSv1.3", "TLS_AES_128_GCM_SHA256", "pkix", "strict")
    assert r.identity.kind == xmpptls.MatchKind.XMPP_ADDR
    assert r.pin == xmpptls.PinStatus.NEW()
    key = xmpptls.server_pin_key("capulet.lit", xmpptls.Service.XMPP_CLIENT)
    assert storage.map[key] == [r.certificate.spki_sha256]
    assert '"verdict":"pass"' in r.json
    weak = policy.evaluate("legacy.example", xmpptls.Negotiation(
        tls_version="TLSv1.0", cipher_suite="TLS_RSA_WITH_3DES_EDE_CBC_SHA"))
    assert weak.verdict == xmpptls.Verdict.FAIL
    codes = {f.code: f for f in weak.findings}
    assert {"version-deprecated", "suite-forbidden"} <= codes.keys()
    assert codes["suite-forbidden"].severity == xmpptls.Severity.ERROR
    assert all(f.rfc.startswith("RFC") for f in weak.findings)


def test_policy_knobs_change_verdicts():
    dhe = xmpptls.Negotiation(tls_version="TLSv1.2", cipher_suite="DHE-RSA-AES128-GCM-SHA256",
                              authentication=xmpptls.AuthMethod.PKIX)
    policy = xmpptls.Policy(xmpptls.PolicyPreset.STRICT)

    def codes(n):
        return [f.code for f in policy.evaluate("example.net", n).findings]

    policy.deny_suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")
    policy.deny_suite("DHE-RSA-AES128-GCM-SHA256")
    assert "suite-denied" in codes(dhe)
    policy.allow_suite("DHE-RSA-AES128-GCM-SHA256")
    assert "suite-denied" not in codes(dhe)
    offered = xmpptls.Negotiation(tls_version="TLSv1.2", cipher_suite="DHE-RSA-AES128-GCM-SHA256",
                                  authentication=xmpptls.AuthMethod.OFFER)
    assert "auth-method-not-allowed" in codes(offered)
    policy.set_allowed_auth([xmpptls.AuthMethod.OFFER, xmpptls.AuthMethod.PKIX])
    assert "auth-method-not-allowed" not in codes(offered)
    with pytest.raises(xmpptls.XmppTlsError.Config) as e:
        policy.deny_suite("TLS_NO_SUCH")
    assert e.value.code == 501
    assert xmpptls.Policy(xmpptls.PolicyPreset.XTLS).name() == "xtls"


def test_posh_fingerprints_redirect_and_reasons():
    import base64
    import hashlib
    import time

    der = xmpptls.certificates_from_pem(xmpptls.generate_identity("example.net").chain_pem)[0]
    other = xmpptls.certificates_from_pem(xmpptls.generate_identity("example.net").chain_pem)[0]
    sha256 = base64.b64encode(hashlib.sha256(der).digest()).decode()
    doc = '{"fingerprints":[{"sha-256":"%s"}],"expires":3600}' % sha256
    now = int(time.time())
    ok = xmpptls.posh_verify(doc, None, der, now, now)
    assert (ok.outcome, ok.algorithm) == (xmpptls.PoshOutcome.MATCH, "sha-256")
    assert xmpptls.posh_verify(doc, None, other, now, now).outcome == xmpptls.PoshOutcome.NO_MATCH
    assert xmpptls.posh_verify(doc, None, der, now - 7200, now).outcome == xmpptls.PoshOutcome.EXPIRED
    redirect = '{"url":"https://hosting.example/posh.json","expires":60}'
    assert xmpptls.posh_redirect_url(redirect) == "https://hosting.example/posh.json"
    assert xmpptls.posh_verify(redirect, doc, der, now, now).outcome == xmpptls.PoshOutcome.MATCH
    assert xmpptls.posh_verify("not json", None, der, now, now).outcome == xmpptls.PoshOutcome.MALFORMED
    assert xmpptls.tls_server_end_point(der) == hashlib.sha256(der).digest()


def test_objects_close_and_work_as_context_managers():
    with xmpptls.Policy(xmpptls.PolicyPreset.STRICT) as policy:
        assert policy.name() == "strict"
    with pytest.raises(ValueError, match="Policy is closed"):
        policy.name()
    romeo = endpoint(ROMEO)
    romeo.close()
    romeo.close()  # twice is harmless
    with pytest.raises(ValueError, match="Endpoint is closed"):
        romeo.open_tunnel(JULIET)


def test_limits_gate_pins_json_and_poll_write():
    # The generated defaults are the core's.
    assert xmpptls.default_limits() == xmpptls.LimitSettings()
    romeo = xmpptls.Endpoint(xmpptls.EndpointSettings(
        jid=ROMEO, trust=xmpptls.TrustMode.TRUST_ON_FIRST_USE,
        limits=xmpptls.LimitSettings(start_timeout_secs=5)), None)
    romeo.open_tunnel(JULIET)
    import time
    assert 4 <= romeo.poll_timeout() - int(time.time()) <= 6
    with pytest.raises(xmpptls.XmppTlsError.Config) as e:
        xmpptls.Endpoint(xmpptls.EndpointSettings(
            jid=ROMEO, trust=xmpptls.TrustMode.OFFER,
            limits=xmpptls.LimitSettings(max_half_open=0)), None)
    assert e.value.code == 500
    # pins_json is honoured.
    j0 = endpoint(JULIET)
    pins = '{"version":1,"pins":{"juliet@capulet.lit":["%s"]}}' % j0.local_pin()
    pinned = xmpptls.Endpoint(xmpptls.EndpointSettings(
        jid="nurse@capulet.lit/chamber", trust=xmpptls.TrustMode.PINNED, pins_json=pins), None)
    pinned.open_tunnel(JULIET)
    route(pinned, j0)
    assert pinned.tunnel_state(JULIET) == xmpptls.TunnelState.ESTABLISHED
    # The start gate.
    juliet = endpoint(JULIET)
    juliet.restrict_starts(True)
    juliet.allow_starts_from("romeo@montague.lit")
    nurse = endpoint("nurse@capulet.lit/chamber")
    nurse.open_tunnel(JULIET)
    refused = route(nurse, juliet)
    assert [e.code for e in refused] == [208]
    assert juliet.half_open_count() == 0
    r2 = endpoint(ROMEO)
    r2.open_tunnel(JULIET)
    route(r2, juliet)
    assert juliet.tunnel_count() == 1
    assert r2.path_rate(JULIET) is not None
    assert juliet.revoke_starts_from("romeo@montague.lit")
    # poll_write.
    events(r2)
    r2.send(JULIET, message("one"))
    w = r2.poll_write()
    assert w.startswith("<iq") and w.endswith("</iq>")
    juliet.handle_incoming(w)
    r2.handle_incoming(juliet.poll_write())
    assert r2.poll_write() == " "
