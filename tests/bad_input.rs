//! Bad input and attacks: every case gets a typed error, the stanza error the
//! spec asks for where an answer is due, and never a panic, hang or growth.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use xmpptls::xml::XmlError;
use xmpptls::xtls::wire::{read_iq, Condition, Payload};
use xmpptls::{CloseReason, Endpoint, Error, Event, Incoming, TrustMode, TunnelState};
use xmpptls_integration::*;

/// Feeds `stanza` (from `from`) to a fresh juliet; returns the result and her
/// answers' error conditions.
fn feed(ep: &mut Endpoint, stanza: &str) -> (Result<Incoming, Error>, Vec<Condition>) {
    let r = ep.handle_incoming(stanza.as_bytes(), now());
    let conds = transmits(ep)
        .into_iter()
        .filter_map(|el| match read_iq(el).ok().flatten().map(|iq| iq.payload) {
            Some(Payload::Error(e)) => Some(e.condition),
            _ => None,
        })
        .collect();
    (r, conds)
}

fn juliet() -> Endpoint {
    endpoint(JULIET, TrustMode::Offer)
}

fn data_from_romeo(b64: &str, method: Option<&str>) -> String {
    let m = method.map(|m| format!(" method='{m}'")).unwrap_or_default();
    format!("<iq type='set' id='d1' from='{ROMEO}' to='{JULIET}'><data xmlns='urn:xmpp:tmp:xtls'{m}>{b64}</data></iq>")
}

/// A juliet who has accepted romeo's start (tunnel Handshaking).
fn juliet_after_start() -> Endpoint {
    let mut romeo = endpoint(ROMEO, TrustMode::Offer);
    romeo.open(&jid(JULIET), now()).unwrap();
    let mut j = juliet();
    j.handle_incoming(romeo.poll_transmit().unwrap().as_bytes(), now())
        .unwrap();
    let _ = transmits(&mut j);
    j
}

#[test]
fn malformed_xml_and_forbidden_constructs() {
    let mut j = juliet();
    for (input, want) in [
        (
            "<iq type='set' id='1'><start xmlns='urn:xmpp:tmp:xtls'>",
            "malformed",
        ),
        (
            "<iq type='set' id='1'><start xmlns='urn:xmpp:tmp:xtls'/></oops>",
            "malformed",
        ),
        (
            "<!DOCTYPE iq [<!ENTITY a 'aaaa'>]><iq type='set' id='1'>&a;</iq>",
            "doctype",
        ),
        ("<iq type='set' id='1'>&bomb;</iq>", "entity"),
        ("<iq type='set' id='1'><!-- c --></iq>", "comment"),
        ("<iq type='set' id='1'><x:start/></iq>", "prefix"),
    ] {
        let (r, answers) = feed(&mut j, input);
        assert!(matches!(r, Err(Error::Xml(_))), "{want}: {r:?}");
        assert!(answers.is_empty(), "no answer to unreadable XML");
    }
    assert_eq!(j.tunnel_count(), 0);
}

#[test]
fn oversize_stanza_is_refused_before_parsing() {
    let mut j = endpoint_with(JULIET, TrustMode::Offer, |c| {
        c.limits.max_stanza_bytes = 1000
    });
    let big = data_from_romeo(&"A".repeat(2000), None);
    assert_eq!(
        j.handle_incoming(big.as_bytes(), now()),
        Err(Error::Xml(XmlError::TooLarge))
    );
}

#[test]
fn invalid_base64_fails_the_tunnel_with_bad_request() {
    let mut j = juliet_after_start();
    let (r, answers) = feed(&mut j, &data_from_romeo("!!not base64!!", Some("x509")));
    assert_eq!(r, Err(Error::Base64));
    assert_eq!(answers, vec![Condition::BadRequest]);
    let evs: Vec<Event> = std::iter::from_fn(|| j.poll_event()).collect();
    assert!(matches!(
        &evs[..],
        [Event::Closed {
            reason: CloseReason::Error(Error::Base64),
            ..
        }]
    ));
    assert_eq!(j.tunnel_count(), 0);
}

#[test]
fn garbage_tls_fails_the_tunnel() {
    let mut j = juliet_after_start();
    let (r, answers) = feed(&mut j, &data_from_romeo("AAAAAAAAAAAAAAAA", Some("x509")));
    assert!(matches!(r, Err(Error::Tls(_))), "{r:?}");
    assert_eq!(answers, vec![Condition::BadRequest]);
    assert_eq!(j.tunnel_count(), 0);
}

#[test]
fn unsupported_methods_are_refused() {
    for m in ["srp", "openpgp"] {
        let mut j = juliet_after_start();
        let (r, answers) = feed(&mut j, &data_from_romeo("FgMB", Some(m)));
        assert_eq!(r, Err(Error::UnsupportedMethod(m.into())));
        assert_eq!(answers, vec![Condition::FeatureNotImplemented]);
        assert_eq!(j.tunnel_count(), 0);
    }
    // An offer of SRP alone cannot be met: not-acceptable.
    let mut j = juliet();
    let srp_only = format!("<iq type='set' id='s' from='{ROMEO}' to='{JULIET}'><start xmlns='urn:xmpp:tmp:xtls'><offer xmlns='urn:xmpp:tmp:c2ctls'><srp/></offer></start></iq>");
    let (r, answers) = feed(&mut j, &srp_only);
    assert_eq!(r, Err(Error::UnsupportedMethod("srp".into())));
    assert_eq!(answers, vec![Condition::NotAcceptable]);
    // The spec's own offer (x509 hash plus SRP) is fine: SRP is ignored, the
    // hash is checked; it is not hex SHA-256, so the start is a bad request.
    let (r, answers) = feed(
        &mut j,
        &fixture("initiating-xtls-with-xep-0250-offer")
            .replace("romeo@montague.net/orchard", ROMEO)
            .replace("juliet@capulet.com/balcony", JULIET),
    );
    assert!(matches!(r, Err(Error::BadRequest(_))), "{r:?}");
    assert_eq!(answers, vec![Condition::BadRequest]);
}

#[test]
fn data_before_proceed_and_without_tunnel() {
    // Romeo has sent start and waits; data from juliet now is out of order.
    let mut romeo = endpoint(ROMEO, TrustMode::Offer);
    romeo.open(&jid(JULIET), now()).unwrap();
    let _ = transmits(&mut romeo);
    let early = format!("<iq type='set' id='e' from='{JULIET}' to='{ROMEO}'><data xmlns='urn:xmpp:tmp:xtls'>FgMB</data></iq>");
    let (r, answers) = feed(&mut romeo, &early);
    assert_eq!(r, Err(Error::DataBeforeProceed));
    assert_eq!(answers, vec![Condition::UnexpectedRequest]);
    assert_eq!(romeo.tunnel_count(), 0, "the tunnel is closed and invalid");

    // Data from a JID without a tunnel.
    let mut j = juliet();
    let (r, answers) = feed(&mut j, &data_from_romeo("FgMB", Some("x509")));
    assert_eq!(r, Err(Error::NoTunnel(ROMEO.into())));
    assert_eq!(answers, vec![Condition::ItemNotFound]);
}

#[test]
fn duplicate_start_keeps_the_existing_tunnel() {
    let mut r = router(vec![endpoint(ROMEO, TrustMode::Offer), juliet()]);
    open(&mut r, ROMEO, JULIET, now());
    r.run(now()).unwrap();
    let again =
        format!("<iq type='set' id='dup' to='{JULIET}'><start xmlns='urn:xmpp:tmp:xtls'/></iq>");
    let res = r.inject(ROMEO, &jid(JULIET), &again, now());
    assert_eq!(res, Err(Error::DuplicateStart));
    let j = r.get_mut(&jid(JULIET)).unwrap();
    let answers: Vec<_> = transmits(j)
        .into_iter()
        .filter_map(|el| match read_iq(el).unwrap().unwrap().payload {
            Payload::Error(e) => Some(e.condition),
            _ => None,
        })
        .collect();
    assert_eq!(answers, vec![Condition::Conflict]);
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Established));
}

#[test]
fn unexpected_iq_results() {
    let mut j = juliet();
    // A result in our id space that answers nothing.
    j.open(&jid(ROMEO), now()).unwrap();
    let start = parse(&j.poll_transmit().unwrap());
    let our_id = start.attr("id").unwrap().to_owned();
    let prefix = &our_id[..our_id.rfind('-').unwrap() + 1];
    let stale = format!("<iq type='result' id='{prefix}999' from='{ROMEO}'/>");
    assert_eq!(
        j.handle_incoming(stale.as_bytes(), now()),
        Err(Error::UnexpectedIq)
    );
    // A proceed/closed that answers nothing is ours and unexpected.
    for s in [
        "<proceed xmlns='urn:xmpp:tmp:xtls'/>",
        "<closed xmlns='urn:xmpp:tmp:xtls'/>",
    ] {
        let iq = format!("<iq type='result' id='zz' from='{ROMEO}'>{s}</iq>");
        assert_eq!(
            j.handle_incoming(iq.as_bytes(), now()),
            Err(Error::UnexpectedIq)
        );
    }
    // The right id from the wrong JID does not count as an answer.
    let spoof = format!(
        "<iq type='result' id='{our_id}' from='{NURSE}'><proceed xmlns='urn:xmpp:tmp:xtls'/></iq>"
    );
    assert_eq!(
        j.handle_incoming(spoof.as_bytes(), now()),
        Err(Error::UnexpectedIq)
    );
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Starting));
    // Someone else's IQ result is the host's business.
    let foreign = format!("<iq type='result' id='roster1' from='{ROMEO}'/>");
    assert_eq!(
        j.handle_incoming(foreign.as_bytes(), now()),
        Ok(Incoming::NotXtls)
    );
}

#[test]
fn non_xtls_stanzas_are_handed_back_untouched() {
    let mut j = juliet();
    for s in [
        "<message from='a@b/c'><body>hi</body></message>",
        "<presence/>",
        "<iq type='get' id='v' from='a@b/c'><query xmlns='jabber:iq:version'/></iq>",
        "<iq type='set' id='r' from='a@b/c'><query xmlns='jabber:iq:roster'/></iq>",
        // Even broken non-IQ input is not parsed: it is not ours.
        "<message><unclosed>",
    ] {
        assert_eq!(
            j.handle_incoming(s.as_bytes(), now()),
            Ok(Incoming::NotXtls),
            "{s}"
        );
    }
    assert!(j.poll_transmit().is_none());
}

#[test]
fn wrong_recipient_and_missing_from() {
    let mut j = juliet();
    let to_other = format!(
        "<iq type='set' id='1' from='{ROMEO}' to='{NURSE}'><start xmlns='urn:xmpp:tmp:xtls'/></iq>"
    );
    assert_eq!(
        j.handle_incoming(to_other.as_bytes(), now()),
        Err(Error::WrongRecipient(NURSE.into()))
    );
    let no_from = "<iq type='set' id='1'><start xmlns='urn:xmpp:tmp:xtls'/></iq>";
    assert!(matches!(
        j.handle_incoming(no_from.as_bytes(), now()),
        Err(Error::BadRequest(_))
    ));
    let bad_from = "<iq type='set' id='1' from='@@'><start xmlns='urn:xmpp:tmp:xtls'/></iq>";
    assert!(matches!(
        j.handle_incoming(bad_from.as_bytes(), now()),
        Err(Error::InvalidJid(_))
    ));
    let no_id = format!("<iq type='set' from='{ROMEO}'><close xmlns='urn:xmpp:tmp:xtls'/></iq>");
    assert!(matches!(
        j.handle_incoming(no_id.as_bytes(), now()),
        Err(Error::BadRequest(_))
    ));
    assert_eq!(j.tunnel_count(), 0);
}

/// Deterministic mutation run over the spec fixtures and real traffic: no
/// input may panic, and memory stays bounded (tunnel count and queues).
#[test]
fn mutated_traffic_never_panics() {
    let mut seeds: Vec<String> = all_fixtures().into_iter().map(|(_, s)| s).collect();
    let mut r = router(vec![endpoint(ROMEO, TrustMode::Offer), juliet()]);
    open(&mut r, ROMEO, JULIET, now());
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .send(&jid(JULIET), b"<message><body>x</body></message>")
        .unwrap();
    r.run(now()).unwrap();
    seeds.extend(r.log.iter().map(|w| w.stanza.clone()));
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut target = juliet_after_start();
    for i in 0..5000 {
        let seed = seeds[(next() % seeds.len() as u64) as usize].as_bytes();
        let mut m = seed.to_vec();
        for _ in 0..(1 + next() % 4) {
            let pos = (next() % (m.len() as u64 + 1)) as usize;
            match next() % 4 {
                0 if pos < m.len() => m[pos] = next() as u8,
                1 if pos < m.len() => {
                    m.remove(pos);
                }
                2 => m.insert(pos, b"<>&'\"/=:x"[(next() % 9) as usize]),
                _ => {
                    let cut = (next() % (m.len() as u64 + 1)) as usize;
                    m.truncate(cut.max(1));
                }
            }
        }
        let _ = target.handle_incoming(&m, now());
        while target.poll_transmit().is_some() {}
        while target.poll_event().is_some() {}
        if i % 500 == 0 {
            target = juliet_after_start();
        }
    }
    assert!(target.tunnel_count() <= 64);
}
