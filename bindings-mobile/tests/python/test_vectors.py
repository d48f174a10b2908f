"""The shared conformance vectors (tests/vectors/*.json), as the Rust, C,
Node, Kotlin and Swift suites run them: outputs compared exactly."""

import base64
import json
import pathlib

import pytest

import xmpptls

ROOT = pathlib.Path(__file__).resolve().parents[3] / "tests"


def vectors(name):
    return json.loads((ROOT / "vectors" / f"{name}.json").read_text())


def fixture(name):
    return (ROOT / "fixtures" / "certs" / name).read_bytes()


def name_of(enum_value):
    """An enum value's stable name (README "Names and codes")."""
    return enum_value.name.lower().replace("_", "-")


def outcome(f):
    try:
        return f()
    except xmpptls.XmppTlsError as e:
        return {"error": e.code}


SERVICES = {"xmpp-client": xmpptls.Service.XMPP_CLIENT, "xmpp-server": xmpptls.Service.XMPP_SERVER}
PRESETS = {name_of(p): p for p in xmpptls.PolicyPreset}
AUTH = {name_of(a): a for a in xmpptls.AuthMethod}


@pytest.mark.parametrize("case", vectors("identity")["cases"], ids=lambda c: c["name"])
def test_identity_vector(case):
    der = fixture(case["certificate"]) if "certificate" in case else bytes(case["certificate_bytes"])
    if case["service"] not in SERVICES:  # an enum cannot hold an unknown name
        assert case["expect"] == {"error": 501}
        return
    got = outcome(lambda: xmpptls.check_identity(der, case["domain"], SERVICES[case["service"]], case["cn_fallback"]))
    got = name_of(got.kind) if isinstance(got, xmpptls.IdentityMatch) else got
    assert got == case["expect"]


def apply(policy, knob, value):
    {
        "min_version": lambda: policy.set_min_version(value),
        "require_authentication": lambda: policy.set_require_authentication(value),
        "require_encryption": lambda: policy.set_require_encryption(value),
        "allowed_auth": lambda: policy.set_allowed_auth([AUTH[a] for a in value]),
        "cn_fallback": lambda: policy.set_cn_fallback(value),
        "require_post_quantum": lambda: policy.set_require_post_quantum(value),
        "deny_suite": lambda: policy.deny_suite(value),
        "allow_suite": lambda: policy.allow_suite(value),
    }[knob]()


@pytest.mark.parametrize("case", vectors("policy")["cases"], ids=lambda c: c["name"])
def test_policy_vector(case):
    if case["preset"] not in PRESETS:
        assert case["expect"] == {"error": 501}
        return

    def run():
        policy = xmpptls.Policy(PRESETS[case["preset"]])
        for knob, value in case["knobs"]:
            apply(policy, knob, value)
        n = case["negotiation"]
        r = policy.evaluate("example.net", xmpptls.Negotiation(
            encrypted=n.get("encrypted", True), tls_version=n.get("tls_version"),
            cipher_suite=n.get("cipher_suite"), kx_group=n.get("kx_group"),
            kx_bits=n.get("kx_bits"), peer_key_type=n.get("peer_key_type"),
            peer_key_bits=n.get("peer_key_bits"), compression=n.get("compression", False),
            resumed=n.get("resumed", False), ticket=n.get("ticket", False),
            extended_master_secret=n.get("extended_master_secret"),
            authentication=AUTH[n["authentication"]] if "authentication" in n else None))
        return {"findings": sorted(f.code for f in r.findings),
                "severities": {f.code: name_of(f.severity) for f in r.findings}, "verdict": name_of(r.verdict)}

    assert outcome(run) == case["expect"]


CT = vectors("ct")


@pytest.mark.parametrize("case", CT["cases"], ids=lambda c: c["name"])
def test_ct_vector(case):
    b64 = lambda s: base64.b64decode(s) if s is not None else None  # noqa: E731

    def run():
        pins = None
        if "pins" in case:
            pins = xmpptls.PinStore()
            for key, given in case["pins"].items():
                for pin in given:
                    pins.add(key, pin)
        policy = xmpptls.Policy(xmpptls.PolicyPreset.STRICT)
        if case["log_list"]:
            policy.set_ct_log_list((ROOT.parent / case["log_list"]).read_text())
        r = policy.check_server(case.get("domain", "cryptography.io"), xmpptls.Service.XMPP_CLIENT, xmpptls.Negotiation(
            tls_version="TLSv1.3", cipher_suite="TLS_AES_256_GCM_SHA384", kx_group="X25519MLKEM768",
            authentication=xmpptls.AuthMethod.PKIX,
            peer_chain=[b64(CT["certificates"][name]) for name in case["chain"]],
            sct_list=b64(case.get("sct_list")), ocsp_response=b64(case.get("ocsp_response")),
            time=case["time"]), pins)
        ct = None if r.ct is None else {
            "compliant": r.ct.compliant, "scts": [[s.source, s.status] for s in r.ct.scts]}
        pin = None if r.pin is None else next(
            n.lower() for n in ("NEW", "MATCH", "CHANGED") if getattr(r.pin, f"is_{n}")())
        return {"findings": sorted(f.code for f in r.findings), "verdict": name_of(r.verdict), "pin": pin, "ct": ct}

    assert outcome(run) == case["expect"]


@pytest.mark.parametrize("case", vectors("posh")["cases"], ids=lambda c: c["name"])
def test_posh_vector(case):
    der = fixture(vectors("posh")["certificate"])
    r = xmpptls.posh_verify(case["document"], case["followed"], der, case["fetched_at"], case["now"])
    assert name_of(r.outcome) == case["expect"]


@pytest.mark.parametrize("case", vectors("errors")["cases"], ids=lambda c: c["name"])
def test_error_vector(case):
    s = case["input"]
    trust = {name_of(t): t for t in xmpptls.TrustMode}
    calls = {
        "pin_store_from_json": None,  # Python keeps pins in PinStorage, not JSON
        "endpoint_with_identity_pem": lambda: xmpptls.Endpoint(xmpptls.EndpointSettings(
            jid="romeo@montague.lit/orchard", trust=xmpptls.TrustMode.OFFER,
            identity=xmpptls.IdentityPem(chain_pem=s, key_pem=s)), None),
        "endpoint_with_trust": None if s not in trust else lambda: trust[s],
        "open_tunnel": lambda: xmpptls.Endpoint(xmpptls.EndpointSettings(
            jid="romeo@montague.lit/orchard", trust=xmpptls.TrustMode.OFFER), None).open_tunnel(s),
    }
    call = calls[case["call"]]
    if call is None:
        pytest.skip("not expressible in Python's types: the parity table says so")
    assert outcome(call) == {"error": case["expect"]}


TUNNEL = vectors("tunnel")


def event_value(e):
    if e.is_ESTABLISHED():
        return ["established", e.peer, e.info.report.authentication, e.info.first_use,
                name_of(e.info.role), e.info.tls_version]
    if e.is_STANZA():
        return ["stanza", e.peer, e.stanza]
    if e.is_STANZA_REJECTED():
        return ["stanza-rejected", e.peer, e.code]
    r = e.reason
    code = r.code if r.is_ERROR() else 0
    waited = name_of(r.waited) if r.is_TIMEOUT() else None
    return ["closed", e.peer, name_of_variant(r), len(e.returned), code, waited]


def name_of_variant(r):
    for n in ("LOCAL", "PEER", "PEER_UNAVAILABLE", "PEER_RESTARTED", "TIMEOUT", "ERROR"):
        if getattr(r, f"is_{n}")():
            return n.lower().replace("_", "-")
    raise AssertionError(r)


def tunnel_endpoint(case, who):
    """One side: its identity, trust and the case's settings for it."""
    trust = {name_of(t): t for t in xmpptls.TrustMode}
    versions = {name_of(t): t for t in xmpptls.TlsVersions}
    key_exchange = {name_of(k): k for k in xmpptls.KeyExchange}
    ident = TUNNEL["identities"][who]
    s = case.get("settings", {}).get(who, {})
    return xmpptls.Endpoint(xmpptls.EndpointSettings(
        jid=ident["jid"], trust=trust[case["trust"][who]],
        identity=xmpptls.IdentityPem(chain_pem=ident["chain_pem"], key_pem=ident["key_pem"]),
        versions=versions.get(s.get("versions")), key_exchange=key_exchange.get(s.get("key_exchange"))), None)


@pytest.mark.parametrize("case", TUNNEL["cases"], ids=lambda c: c["name"])
def test_tunnel_vector(case):
    eps = {who: tunnel_endpoint(case, who) for who in ("romeo", "juliet")}
    other = {"romeo": "juliet", "juliet": "romeo"}

    def deliver(who):
        moved = False
        for s in eps[who].poll_transmits():
            outcome(lambda: eps[other[who]].handle_incoming(s))
            moved = True
        return moved

    for step in case["steps"]:
        if step[0] == "route":
            while deliver("romeo") | deliver("juliet"):
                pass
            continue
        if step[0] == "deliver":
            deliver(step[1])
            continue
        if step[0] == "lose":
            for ep in eps.values():
                ep.poll_transmits()
            continue
        if step[0] == "restart":
            eps[step[1]] = tunnel_endpoint(case, step[1])
            continue
        if step[0] == "state":
            state = eps[step[1]].tunnel_state(TUNNEL["identities"][step[2]]["jid"])
            assert (name_of(state) if state is not None else None) == step[3], f"{step}"
            continue
        if step[0] == "timeout":
            ep = eps[step[1]]
            at = ep.poll_timeout()
            assert at is not None, "a deadline"
            ep.handle_timeout(now_secs=at)
            continue
        op, frm, to = step[:3]
        ep, peer = eps[frm], TUNNEL["identities"][to]["jid"]
        call = {
            "open": lambda: ep.open_tunnel(peer),
            "send": lambda: ep.send(peer, step[3]),
            "close": lambda: ep.close_tunnel(peer),
            "peer_unavailable": lambda: ep.peer_unavailable(peer),
        }[op]
        assert outcome(call) == (step[4] if len(step) > 4 else None), f"{op}"
    got = {who: [event_value(e) for e in eps[who].poll_events()] for who in ("romeo", "juliet")}
    assert got == case["expect"]
