//! Every example stanza of the XTLS spec, parsed, and where we produce that
//! stanza, produced equivalently by a real endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use xmpptls::xml::StanzaFramer;
use xmpptls::xtls::disco;
use xmpptls::xtls::wire::{read_iq, Condition, Payload};
use xmpptls::{Incoming, PinStore, TrustMode};
use xmpptls_integration::*;

fn read(name: &str) -> xmpptls::xtls::wire::XtlsIq {
    read_iq(parse(&fixture(name))).unwrap().unwrap()
}

#[test]
fn every_example_is_well_formed_and_classified() {
    for (name, text) in all_fixtures() {
        // tls-handshake-2 holds two stanzas: split them as the tunnel does.
        let mut framer = StanzaFramer::new(1 << 16);
        framer.push(text.as_bytes());
        let mut n = 0;
        while let Some(raw) = framer.next_stanza().unwrap() {
            let s = std::str::from_utf8(&raw).unwrap();
            let el = parse(s);
            n += 1;
            let is_xtls_set = el.elements().any(|c| c.ns == "urn:xmpp:tmp:xtls")
                && el.attr("type") == Some("set");
            if is_xtls_set {
                assert!(read_iq(el).unwrap().is_some(), "{name}");
            }
        }
        assert_eq!(n, if name == "tls-handshake-2" { 2 } else { 1 }, "{name}");
    }
}

#[test]
fn payloads_match_the_spec_text() {
    let start = read("initiating-xtls");
    assert_eq!(start.id, "xtls_1");
    assert_eq!(start.from.as_deref(), Some("romeo@montague.net/orchard"));
    assert_eq!(
        start.payload,
        Payload::Start {
            offer: None,
            piggyback: false
        }
    );

    let Payload::Start {
        offer: Some(offer), ..
    } = read("initiating-xtls-with-xep-0250-offer").payload
    else {
        panic!("offer expected")
    };
    assert_eq!(
        offer.x509_hashes,
        vec!["RomeoX509CertificateHash".to_string()]
    );
    assert!(offer.srp);
    let Payload::Proceed {
        offer: Some(offer), ..
    } = read("responder-agrees-to-use-xtls-and-returns-its-xep-0250-offer").payload
    else {
        panic!("proceed with offer expected")
    };
    assert_eq!(
        offer.x509_hashes,
        vec!["JulietX509CertificateHash".to_string()]
    );

    let Payload::Data { method, base64, .. } = read("tls-handshake-1").payload else {
        panic!("data expected")
    };
    assert_eq!(method.as_deref(), Some("x509"));
    assert_eq!(base64.trim(), "base_64(TLS-Handshake-Messages)");

    for (name, cond) in [
        (
            "responder-does-not-support-xtls",
            Condition::ServiceUnavailable,
        ),
        (
            "responder-does-not-wish-to-use-xtls",
            Condition::NotAcceptable,
        ),
        (
            "higher-priority-party-returns-conflict-error",
            Condition::Conflict,
        ),
        ("unknown-tunnel", Condition::ItemNotFound),
    ] {
        let Payload::Error(e) = read(name).payload else {
            panic!("{name}")
        };
        assert_eq!(e.condition, cond, "{name}");
        assert_eq!(e.kind, "cancel", "{name}");
    }
    assert_eq!(
        read("one-party-closes-the-xtls-tunnel").payload,
        Payload::Close
    );
    assert_eq!(
        read("other-party-acknowledges-closing-of-the-tunnel").payload,
        Payload::Closed
    );
    assert_eq!(
        read("responder-agrees-to-use-xtls").payload,
        Payload::Proceed {
            offer: None,
            piggyback: false
        }
    );
}

/// An endpoint writing the spec's stanzas: plain XTLS §4.3, without our
/// `<piggyback/>` extension (data in IQ results), which the spec's
/// examples predate.
fn spec_endpoint_with(
    j: &str,
    trust: TrustMode,
    tweak: impl FnOnce(&mut xmpptls::EndpointConfig),
) -> xmpptls::Endpoint {
    endpoint_with(j, trust, |c| {
        c.piggyback = false;
        tweak(c)
    })
}

fn spec_endpoint(j: &str, trust: TrustMode) -> xmpptls::Endpoint {
    spec_endpoint_with(j, trust, |_| {})
}

/// Feeds a fixture to an endpoint and returns its single answer.
fn answer(ep: &mut xmpptls::Endpoint, name: &str) -> (Result<Incoming, xmpptls::Error>, String) {
    let r = ep.handle_incoming(fixture(name).as_bytes(), now());
    let out = ep.poll_transmit().expect("an answer");
    (r, out)
}

#[test]
fn responder_answers_like_the_spec() {
    // §4.1 "Responder Agrees to Use XTLS" (no offer configured).
    let mut juliet = spec_endpoint_with(
        "juliet@capulet.com/balcony",
        TrustMode::TrustOnFirstUse(PinStore::new()),
        |c| c.send_offer = false,
    );
    let (r, out) = answer(&mut juliet, "initiating-xtls");
    assert_eq!(r, Ok(Incoming::Handled));
    assert_same_xml(&out, &fixture("responder-agrees-to-use-xtls"));

    // §4.1 "Responder Does Not Support XTLS": XTLS switched off.
    let mut off = spec_endpoint("juliet@capulet.com/balcony", TrustMode::Offer);
    off.set_enabled(false);
    let (r, out) = answer(&mut off, "initiating-xtls");
    assert_eq!(r, Err(xmpptls::Error::Disabled));
    assert_same_xml(
        &strip_text(&out),
        &fixture("responder-does-not-support-xtls"),
    );

    // §4.1 "Responder Does Not Wish to Use XTLS": pinned-only, Romeo unknown.
    let mut pinned = spec_endpoint(
        "juliet@capulet.com/balcony",
        TrustMode::Pinned(PinStore::new()),
    );
    let (r, out) = answer(&mut pinned, "initiating-xtls");
    assert!(matches!(r, Err(xmpptls::Error::Trust(_))));
    assert_same_xml(
        &strip_text(&out),
        &fixture("responder-does-not-wish-to-use-xtls"),
    );

    // §4.5 "Unknown Tunnel".
    let mut fresh = spec_endpoint("juliet@capulet.com/balcony", TrustMode::Offer);
    let (r, out) = answer(&mut fresh, "one-party-closes-the-xtls-tunnel");
    assert!(matches!(r, Err(xmpptls::Error::NoTunnel(_))));
    assert_same_xml(&strip_text(&out), &fixture("unknown-tunnel"));
}

#[test]
fn higher_priority_party_returns_conflict_like_the_spec() {
    // Juliet sorts before Romeo: her pending start wins, his gets conflict.
    let mut juliet = spec_endpoint("juliet@capulet.com/balcony", TrustMode::Offer);
    juliet
        .open(&jid("romeo@montague.net/orchard"), now())
        .unwrap();
    let _her_start = juliet.poll_transmit().unwrap();
    let (r, out) = answer(&mut juliet, "initiating-xtls");
    assert_eq!(r, Ok(Incoming::Handled));
    assert_same_xml(
        &strip_text(&out),
        &fixture("higher-priority-party-returns-conflict-error"),
    );
}

#[test]
fn initiator_start_and_offer_like_the_spec() {
    let mut romeo = spec_endpoint_with("romeo@montague.net/orchard", TrustMode::Offer, |c| {
        c.send_offer = false
    });
    romeo
        .open(&jid("juliet@capulet.com/balcony"), now())
        .unwrap();
    let out = romeo.poll_transmit().unwrap();
    let expected = fixture("initiating-xtls").replace("xtls_1", parse(&out).attr("id").unwrap());
    assert_same_xml(&out, &expected);

    // With an offer: same shape as the spec's, our certificate hash as name,
    // and no <srp/> (rustls has no SRP).
    let mut romeo = spec_endpoint("romeo@montague.net/orchard", TrustMode::Offer);
    romeo
        .open(&jid("juliet@capulet.com/balcony"), now())
        .unwrap();
    let out = romeo.poll_transmit().unwrap();
    let expected = fixture("initiating-xtls-with-xep-0250-offer")
        .replace("xtls_1", parse(&out).attr("id").unwrap())
        .replace(
            "RomeoX509CertificateHash",
            romeo.offer_fingerprint().unwrap(),
        )
        .replace("<srp/>\n", "");
    assert_same_xml(&out, &expected);
}

#[test]
fn close_and_closed_like_the_spec() {
    let mut r = router(vec![
        spec_endpoint("romeo@montague.net/orchard", TrustMode::Offer),
        spec_endpoint("juliet@capulet.com/balcony", TrustMode::Offer),
    ]);
    let (romeo, juliet) = (
        jid("romeo@montague.net/orchard"),
        jid("juliet@capulet.com/balcony"),
    );
    r.get_mut(&romeo).unwrap().open(&juliet, now()).unwrap();
    r.run(now()).unwrap();
    r.log.clear();
    r.get_mut(&romeo).unwrap().close(&juliet, now()).unwrap();
    r.run(now()).unwrap();
    let close = r.log.iter().find(|w| w.stanza.contains("<close ")).unwrap();
    let id = parse(&close.stanza).attr("id").unwrap().to_owned();
    assert_same_xml(
        &close.stanza,
        &fixture("one-party-closes-the-xtls-tunnel").replace("xtls_10", &id),
    );
    let closed = r
        .log
        .iter()
        .find(|w| w.stanza.contains("<closed "))
        .unwrap();
    assert_same_xml(
        &closed.stanza,
        &fixture("other-party-acknowledges-closing-of-the-tunnel").replace("xtls_10", &id),
    );
}

#[test]
fn stanza_routing_is_restored_like_the_spec() {
    // §4.4: Romeo sends the "No Routing" stanza; Juliet receives it with the
    // addresses of the carrying IQ, i.e. "A Stanza to Send".
    let (romeo, juliet) = (
        jid("romeo@montague.lit/orchard"),
        jid("juliet@capulet.lit/chamber"),
    );
    let mut r = router(vec![
        spec_endpoint(romeo.as_str(), TrustMode::Offer),
        spec_endpoint(juliet.as_str(), TrustMode::Offer),
    ]);
    r.get_mut(&romeo).unwrap().open(&juliet, now()).unwrap();
    r.get_mut(&romeo)
        .unwrap()
        .send(
            &juliet,
            fixture("a-stanza-to-send-no-routing").as_bytes(),
            now(),
        )
        .unwrap();
    // The full stanza with matching routing is accepted too.
    r.get_mut(&romeo)
        .unwrap()
        .send(&juliet, fixture("a-stanza-to-send").as_bytes(), now())
        .unwrap();
    r.run(now()).unwrap();
    let got = stanzas(&events(&mut r, juliet.as_str()));
    assert_eq!(got.len(), 2);
    for g in got {
        assert_same_xml(&g, &fixture("a-stanza-to-send"));
    }
    // The plaintext never appears on the wire.
    assert!(r.log.iter().all(|w| !w.stanza.contains("baptized")));
}

#[test]
fn disco_like_the_spec() {
    let answer = disco::answer_info(
        fixture("initial-service-discovery-information-request").as_bytes(),
        &[],
    )
    .unwrap()
    .unwrap();
    assert_same_xml(&answer, &fixture("service-discovery-information-response"));
    assert!(
        disco::supports_xtls(fixture("service-discovery-information-response").as_bytes()).unwrap()
    );
    assert!(!disco::supports_xtls(
        b"<iq type='result' id='d'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"
    )
    .unwrap());
    let req = disco::info_request(
        "romeo@montague.lit/orchard",
        "juliet@capulet.lit/chamber",
        "disco1",
    );
    assert_same_xml(
        &req,
        &fixture("initial-service-discovery-information-request"),
    );
    // A disco request is not XTLS: an endpoint hands it back.
    let mut ep = spec_endpoint("juliet@capulet.lit/chamber", TrustMode::Offer);
    assert_eq!(
        ep.handle_incoming(req.as_bytes(), now()),
        Ok(Incoming::NotXtls)
    );
    assert!(ep.poll_event().is_none());
}

/// Drops the `<text/>` we add to errors, which the spec's examples omit.
fn strip_text(s: &str) -> String {
    let mut e = parse(s);
    for n in &mut e.children {
        if let xmpptls::xml::Node::Element(err) = n {
            err.children
                .retain(|c| !matches!(c, xmpptls::xml::Node::Element(t) if t.name == "text"));
        }
    }
    e.to_xml()
}

/// Replaces the base64 text of `<data/>` and the id, so a real stanza can be
/// compared with the spec's placeholder example.
fn as_example(stanza: &str, id: &str, text: &str) -> String {
    let mut e = parse(stanza);
    e.set_attr("id", id);
    for n in &mut e.children {
        if let xmpptls::xml::Node::Element(d) = n {
            d.children = vec![xmpptls::xml::Node::Text(text.into())];
        }
    }
    e.to_xml()
}

#[test]
fn handshake_and_data_stanzas_like_the_spec() {
    // §4.3 uses romeo@montague.lit/orchard and juliet@capulet.lit/chamber.
    let (romeo, juliet) = (
        jid("romeo@montague.lit/orchard"),
        jid("juliet@capulet.lit/chamber"),
    );
    let mut r = router(vec![
        spec_endpoint(romeo.as_str(), TrustMode::Offer),
        spec_endpoint(juliet.as_str(), TrustMode::Offer),
    ]);
    r.get_mut(&romeo).unwrap().open(&juliet, now()).unwrap();
    r.run(now()).unwrap();
    let data: Vec<_> = r
        .log
        .iter()
        .filter(|w| w.stanza.contains("<data "))
        .collect();
    // "TLS Handshake (1)": the initiator's first data names the method.
    let first = data.iter().find(|w| w.from == romeo.as_str()).unwrap();
    assert_same_xml(
        &as_example(&first.stanza, "xtls_3", "base_64(TLS-Handshake-Messages)"),
        &fixture("tls-handshake-1"),
    );
    // "TLS Handshake (2)": an empty result acknowledges it, then the
    // responder's data follows without a method.
    let first_id = parse(&first.stanza).attr("id").unwrap().to_owned();
    let ack = r
        .log
        .iter()
        .find(|w| w.from == juliet.as_str() && parse(&w.stanza).attr("id") == Some(&first_id))
        .unwrap();
    let mut framer = StanzaFramer::new(1 << 16);
    framer.push(fixture("tls-handshake-2").as_bytes());
    let spec_ack = String::from_utf8(framer.next_stanza().unwrap().unwrap()).unwrap();
    let spec_data = String::from_utf8(framer.next_stanza().unwrap().unwrap()).unwrap();
    assert_same_xml(&as_example(&ack.stanza, "xtls_3", ""), &spec_ack);
    let reply = data.iter().find(|w| w.from == juliet.as_str()).unwrap();
    assert_same_xml(
        &as_example(
            &reply.stanza,
            "xtls_4",
            "base_64(TLS-Server-Handshake-Messages)",
        ),
        &spec_data,
    );
    // "Sender Generates XTLS Tunnel Data": later data has no method.
    r.log.clear();
    r.get_mut(&romeo)
        .unwrap()
        .send(&juliet, fixture("a-stanza-to-send").as_bytes(), now())
        .unwrap();
    r.run(now()).unwrap();
    let sent = r.log.iter().find(|w| w.stanza.contains("<data ")).unwrap();
    assert_same_xml(
        &as_example(&sent.stanza, "xtls_3", "base_64(TLS-Encrypted-Message)"),
        &fixture("sender-generates-xtls-tunnel-data"),
    );
}
