//! The shared conformance vectors (`tests/vectors/*.json`) run against the
//! core's facade, as every binding's suite runs them against its own API
//! (C, Node, Kotlin, Swift, Python): one set of scenarios, outputs compared
//! exactly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use xmpptls::api::{Named, Negotiation, PolicyPreset, PoshOutcome};
use xmpptls::dna::posh;
use xmpptls::identity::Service;
use xmpptls::policy::{suites, AuthMethod, Negotiated, Policy, TlsVersion};
use xmpptls::{CertificateDer, ConnectionReport, Error, UnixTime};

fn vectors(name: &str) -> Value {
    let path = format!("{}/vectors/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn certificate(case: &Value) -> Vec<u8> {
    match case["certificate"].as_str() {
        Some(file) => {
            let dir = env!("CARGO_MANIFEST_DIR");
            std::fs::read(format!("{dir}/fixtures/certs/{file}")).unwrap()
        }
        // Bytes that are no certificate, written out in the vector.
        None => case["certificate_bytes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap() as u8)
            .collect(),
    }
}

fn error(code: u32) -> Value {
    serde_json::json!({ "error": code })
}

fn text(v: &Value, key: &str) -> Option<String> {
    v[key].as_str().map(str::to_owned)
}

#[test]
fn identity_vectors() {
    for case in vectors("identity")["cases"].as_array().unwrap() {
        let got = Service::parse_or_err(case["service"].as_str().unwrap()).and_then(|service| {
            xmpptls::api::check_identity(
                &certificate(case),
                case["domain"].as_str().unwrap(),
                service,
                case["cn_fallback"].as_bool().unwrap(),
            )
        });
        let got = match got {
            Ok(m) => m.map_or(Value::Null, |m| {
                Value::from(xmpptls::api::MatchKind::from(&m).name())
            }),
            Err(e) => error(e.code()),
        };
        assert_eq!(got, case["expect"], "{}", case["name"]);
    }
}

fn evaluate(case: &Value) -> Result<Value, Error> {
    let mut policy = Policy::preset(PolicyPreset::parse_or_err(
        case["preset"].as_str().unwrap(),
    )?);
    for knob in case["knobs"].as_array().unwrap() {
        let value = &knob[1];
        match knob[0].as_str().unwrap() {
            "min_version" => {
                policy.min_version = TlsVersion::parse_or_err(value.as_str().unwrap())?
            }
            "require_authentication" => policy.require_authentication = value.as_bool().unwrap(),
            "require_encryption" => policy.require_encryption = value.as_bool().unwrap(),
            "allowed_auth" => {
                let methods = value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| AuthMethod::parse_or_err(m.as_str().unwrap()))
                    .collect::<Result<Vec<_>, _>>()?;
                policy.set_allowed_auth(&methods);
            }
            "cn_fallback" => policy.cn_fallback = value.as_bool().unwrap(),
            "require_post_quantum" => policy.require_post_quantum = value.as_bool().unwrap(),
            "deny_suite" => policy.deny_suite(suites::code_by_any_name(value.as_str().unwrap())?),
            "allow_suite" => policy.allow_suite(suites::code_by_any_name(value.as_str().unwrap())?),
            other => panic!("unknown knob {other}"),
        }
    }
    let n = &case["negotiation"];
    let names = Negotiation {
        encrypted: n["encrypted"].as_bool().unwrap_or(true),
        tls_version: text(n, "tls_version"),
        cipher_suite: text(n, "cipher_suite"),
        kx_group: text(n, "kx_group"),
        kx_bits: n["kx_bits"].as_u64().map(|b| b as u32),
        peer_key_type: text(n, "peer_key_type"),
        peer_key_bits: n["peer_key_bits"].as_u64().map(|b| b as u32),
        compression: n["compression"].as_bool().unwrap_or(false),
        resumed: n["resumed"].as_bool().unwrap_or(false),
        ticket: n["ticket"].as_bool().unwrap_or(false),
        extended_master_secret: n["extended_master_secret"].as_bool(),
        authentication: match text(n, "authentication") {
            Some(a) => Some(AuthMethod::parse_or_err(&a)?),
            None => None,
        },
        ..Negotiation::default()
    };
    let report = ConnectionReport::new(
        "example.net",
        &policy,
        Negotiated::try_from(&names)?,
        None,
        None,
    );
    let mut findings: Vec<&str> = report.evaluation.findings.iter().map(|f| f.code).collect();
    findings.sort_unstable();
    let severities: serde_json::Map<String, Value> = report
        .evaluation
        .findings
        .iter()
        .map(|f| (f.code.to_owned(), Value::from(f.severity.name())))
        .collect();
    Ok(serde_json::json!({
        "verdict": report.evaluation.verdict.name(),
        "findings": findings,
        "severities": severities,
    }))
}

#[test]
fn policy_vectors() {
    for case in vectors("policy")["cases"].as_array().unwrap() {
        let got = evaluate(case).unwrap_or_else(|e| error(e.code()));
        if std::env::var("DUMP").is_ok() {
            println!("{} => {got}", case["name"].as_str().unwrap());
            continue;
        }
        assert_eq!(got, case["expect"], "{}", case["name"]);
    }
}

#[test]
fn posh_vectors() {
    let v = vectors("posh");
    let cert = CertificateDer::from(certificate(&v));
    let at = |key: &Value| {
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(key.as_u64().unwrap()))
    };
    for case in v["cases"].as_array().unwrap() {
        let followed = case["followed"].as_str().map(str::as_bytes);
        let got = match posh::verify_documents(
            case["document"].as_str().unwrap().as_bytes(),
            followed,
            &cert,
            at(&case["fetched_at"]),
            at(&case["now"]),
        ) {
            Ok(_) => PoshOutcome::Match,
            Err(e) => PoshOutcome::from(&e),
        };
        assert_eq!(got.name(), case["expect"], "{}", case["name"]);
    }
}

#[test]
fn error_vectors() {
    use xmpptls::api::{EndpointSettings, IdentityPem, TrustKind};
    for case in vectors("errors")["cases"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let got = match case["call"].as_str().unwrap() {
            "pin_store_from_json" => xmpptls::PinStore::from_json(input).map(drop),
            "endpoint_with_identity_pem" => {
                let mut s = EndpointSettings::new("romeo@montague.lit/orchard");
                s.identity = Some(IdentityPem {
                    chain_pem: input.into(),
                    key_pem: input.into(),
                    pin: String::new(),
                });
                s.build().map(drop)
            }
            "endpoint_with_trust" => TrustKind::parse_or_err(input).map(drop),
            "open_tunnel" => xmpptls::Jid::parse(input).map(drop),
            other => panic!("unknown call {other}"),
        };
        assert_eq!(
            got.err().map(|e| e.code()),
            case["expect"].as_u64().map(|c| c as u32),
            "{}",
            case["name"]
        );
    }
}

/// One side of a scripted tunnel: an endpoint with a fixed identity, and
/// the case's settings for it (`versions`, `key_exchange`).
fn endpoint(v: &Value, case: &Value, who: &str) -> xmpptls::Endpoint {
    use xmpptls::api::{EndpointSettings, IdentityPem, TrustKind};
    use xmpptls::xtls::{KeyExchange, TlsVersions};
    let id = &v["identities"][who];
    let mut s = EndpointSettings::new(id["jid"].as_str().unwrap());
    s.trust = Some(TrustKind::parse_or_err(case["trust"][who].as_str().unwrap()).unwrap());
    s.identity = Some(IdentityPem {
        chain_pem: id["chain_pem"].as_str().unwrap().into(),
        key_pem: id["key_pem"].as_str().unwrap().into(),
        pin: String::new(),
    });
    let settings = &case["settings"][who];
    if let Some(name) = settings["versions"].as_str() {
        s.versions = Some(TlsVersions::parse_or_err(name).unwrap());
    }
    if let Some(name) = settings["key_exchange"].as_str() {
        s.key_exchange = Some(KeyExchange::parse_or_err(name).unwrap());
    }
    s.build().unwrap()
}

/// The vectors' form of an event.
fn event_value(e: xmpptls::api::FlatEvent) -> Value {
    use xmpptls::api::EventKind;
    match e.kind {
        EventKind::Established => {
            let s = e.summary.unwrap();
            serde_json::json!([
                "established",
                e.peer,
                s.authentication.name(),
                s.first_use,
                s.role.name(),
                s.tls_version
            ])
        }
        EventKind::Stanza => serde_json::json!(["stanza", e.peer, e.text]),
        EventKind::StanzaRejected => serde_json::json!(["stanza-rejected", e.peer, e.error_code]),
        _ => serde_json::json!([
            "closed",
            e.peer,
            e.close.unwrap().name(),
            e.returned.len(),
            e.error_code,
            e.waited.map(|w| w.name())
        ]),
    }
}

/// Moves every transmit of `from` to `to` once; whether there was any.
fn deliver(
    eps: &mut std::collections::BTreeMap<&str, xmpptls::Endpoint>,
    from: &str,
    to: &str,
    now: UnixTime,
) -> bool {
    let mut moved = false;
    while let Some(s) = eps.get_mut(from).unwrap().poll_transmit() {
        // Refusals show in the events; the route goes on.
        let _ = eps.get_mut(to).unwrap().handle_incoming(s.as_bytes(), now);
        moved = true;
    }
    moved
}

#[test]
fn tunnel_vectors() {
    use xmpptls::api::FlatEvent;
    let v = vectors("tunnel");
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_800_000_000));
    let other = |who: &str| if who == "romeo" { "juliet" } else { "romeo" };
    for case in v["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut eps = std::collections::BTreeMap::new();
        for who in ["romeo", "juliet"] {
            eps.insert(who, endpoint(&v, case, who));
        }
        let jid =
            |who: &str| xmpptls::Jid::parse(v["identities"][who]["jid"].as_str().unwrap()).unwrap();
        for step in case["steps"].as_array().unwrap() {
            let op = step[0].as_str().unwrap();
            match op {
                "route" => {
                    while deliver(&mut eps, "romeo", "juliet", now)
                        | deliver(&mut eps, "juliet", "romeo", now)
                    {}
                    continue;
                }
                "deliver" => {
                    let from = step[1].as_str().unwrap();
                    deliver(&mut eps, from, other(from), now);
                    continue;
                }
                "lose" => {
                    for ep in eps.values_mut() {
                        while ep.poll_transmit().is_some() {}
                    }
                    continue;
                }
                "timeout" => {
                    let ep = eps.get_mut(step[1].as_str().unwrap()).unwrap();
                    let at = ep.poll_timeout().expect("a deadline");
                    ep.handle_timeout(at);
                    continue;
                }
                "restart" => {
                    let who = step[1].as_str().unwrap();
                    eps.insert(who, endpoint(&v, case, who));
                    continue;
                }
                "state" => {
                    let (who, peer) = (step[1].as_str().unwrap(), step[2].as_str().unwrap());
                    let state = eps[who].tunnel_state(&jid(peer)).map(|s| s.name());
                    assert_eq!(Value::from(state), step[3], "{name}: {step}");
                    continue;
                }
                _ => {}
            }
            let (from, to) = (step[1].as_str().unwrap(), step[2].as_str().unwrap());
            let peer = jid(to);
            let ep = eps.get_mut(from).unwrap();
            let got = match op {
                "open" => ep.open(&peer, now),
                "send" => ep.send(&peer, step[3].as_str().unwrap().as_bytes(), now),
                "close" => ep.close(&peer, now),
                "peer_unavailable" => {
                    ep.peer_unavailable(&peer);
                    Ok(())
                }
                other => panic!("unknown step {other}"),
            };
            let want = step.get(4).map(|e| e["error"].as_u64().unwrap() as u32);
            assert_eq!(got.err().map(|e| e.code()), want, "{name}: {step}");
        }
        let mut got = serde_json::Map::new();
        for (who, ep) in eps.iter_mut() {
            let events: Vec<Value> = std::iter::from_fn(|| ep.poll_event())
                .map(|e| event_value(FlatEvent::from(e)))
                .collect();
            got.insert((*who).to_owned(), Value::Array(events));
        }
        if std::env::var("DUMP").is_ok() {
            println!("{name} => {}", Value::Object(got));
            continue;
        }
        assert_eq!(Value::Object(got), case["expect"], "{name}");
    }
}

fn base64(v: &Value) -> Vec<u8> {
    base64_simd::STANDARD
        .decode_to_vec(v.as_str().unwrap())
        .unwrap()
}

/// One CT case through the facade, as the bindings call it.
fn check_with_ct(v: &Value, case: &Value) -> Result<Value, Error> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut policy = Policy::strict();
    if let Some(path) = case["log_list"].as_str() {
        policy.set_ct_log_list_json(&std::fs::read_to_string(format!("{root}/{path}")).unwrap())?;
    }
    let names = Negotiation {
        tls_version: Some("TLSv1.3".into()),
        cipher_suite: Some("TLS_AES_256_GCM_SHA384".into()),
        kx_group: Some("X25519MLKEM768".into()),
        authentication: Some(AuthMethod::Pkix),
        peer_chain: case["chain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| base64(&v["certificates"][name.as_str().unwrap()]))
            .collect(),
        sct_list: case.get("sct_list").map(base64),
        ocsp_response: case.get("ocsp_response").map(base64),
        time: case["time"].as_u64(),
        ..Negotiation::default()
    };
    let (negotiated, evidence) = names.parts()?;
    let mut pins = case["pins"].as_object().map(|given| {
        let mut store = xmpptls::PinStore::new();
        for (key, list) in given {
            for pin in list.as_array().unwrap() {
                store.add(key, pin.as_str().unwrap());
            }
        }
        store
    });
    let report = xmpptls::server_check::check_server(
        case["domain"].as_str().unwrap_or("cryptography.io"),
        Service::XmppClient,
        &policy,
        negotiated,
        &evidence,
        pins.as_mut().map(|p| p as &mut dyn xmpptls::PinStorage),
    )?;
    let summary = xmpptls::api::ReportSummary::from(&report);
    let mut findings: Vec<&str> = summary.findings.iter().map(|f| f.code.as_str()).collect();
    findings.sort_unstable();
    Ok(serde_json::json!({
        "findings": findings,
        "verdict": summary.verdict.name(),
        "pin": summary.pin.as_ref().map(|p| xmpptls::pins::PinKind::from(p).name()),
        "ct": summary.ct.map(|ct| serde_json::json!({
            "compliant": ct.compliant,
            "scts": ct.scts.iter().map(|s| [&s.source, &s.status]).collect::<Vec<_>>(),
        })),
    }))
}

#[test]
fn ct_vectors() {
    let v = vectors("ct");
    for case in v["cases"].as_array().unwrap() {
        let got = check_with_ct(&v, case).unwrap_or_else(|e| error(e.code()));
        assert_eq!(got, case["expect"], "{}", case["name"]);
    }
}

/// Every name of every enum of the model appears in the vectors (as a value
/// a case gives or expects, not in a case's name), so that each of the six
/// runners meets each value at least once, in its own types. Names the
/// vectors cannot produce are listed with the reason.
#[test]
fn the_vectors_exercise_every_name_of_the_model() {
    use xmpptls::api::{CloseKind, EventKind, MatchKind, PeerAuthKind, PinKind, TrustKind};
    use xmpptls::identity::Service;
    use xmpptls::policy::{Severity, Verdict};
    use xmpptls::xtls::{KeyExchange, Role, TlsVersions, TunnelState, Wait};

    // Two endpoints that follow the spec cannot make one: the sender
    // refuses what the receiver would (the tunnel's unit test
    // `received_routing_is_restored_or_rejected` plays a sender that does not).
    const NOT_PRODUCIBLE: &[(&str, &str)] = &[("event kind", "stanza-rejected")];

    fn strings(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::String(s) => {
                out.insert(s.clone());
            }
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(m) => m
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "name" | "about"))
                .for_each(|(_, x)| strings(x, out)),
            _ => {}
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for file in ["ct", "errors", "identity", "policy", "posh", "tunnel"] {
        strings(&vectors(file), &mut seen);
    }
    fn names<T: Named>() -> (&'static str, Vec<&'static str>) {
        (T::WHAT, T::ALL.iter().map(|v| v.name()).collect())
    }
    let tables = [
        names::<TrustKind>(),
        names::<TlsVersions>(),
        names::<KeyExchange>(),
        names::<Role>(),
        names::<TunnelState>(),
        names::<EventKind>(),
        names::<CloseKind>(),
        names::<Wait>(),
        names::<AuthMethod>(),
        names::<Service>(),
        names::<Verdict>(),
        names::<Severity>(),
        names::<MatchKind>(),
        names::<PinKind>(),
        names::<PoshOutcome>(),
        names::<PolicyPreset>(),
        names::<TlsVersion>(),
        names::<PeerAuthKind>(),
    ];
    let mut missing = Vec::new();
    for (what, values) in tables {
        for name in values {
            if !seen.contains(name) && !NOT_PRODUCIBLE.contains(&(what, name)) {
                missing.push(format!("{what}: {name}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in any vector: {missing:?}");
}
