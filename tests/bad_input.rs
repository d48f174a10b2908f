//! Bad input and attacks: every case gets a typed error, the stanza error the
//! spec asks for where an answer is due, and never a panic, hang or growth.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use xmpptls::xml::XmlError;
use xmpptls::xtls::wire::{read_iq, Condition, Payload};
use xmpptls::{
    CloseReason, Endpoint, Error, Event, Incoming, PinStore, TlsFailure, TrustError, TrustMode,
    TunnelState,
};
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
    // An XTLS IQ-set whose front can be read is answered (RFC 6120 §8.2.3),
    // even when what follows is broken; input whose front cannot be read
    // (not even as an XTLS IQ-set) is refused without an answer.
    for (input, want, answered) in [
        (
            "<iq type='set' id='1'><start xmlns='urn:xmpp:tmp:xtls'>",
            "malformed",
            true,
        ),
        (
            "<iq type='set' id='1'><start xmlns='urn:xmpp:tmp:xtls'/></oops>",
            "malformed",
            true,
        ),
        (
            "<!DOCTYPE iq [<!ENTITY a 'aaaa'>]><iq type='set' id='1'>&a;</iq>",
            "doctype",
            false,
        ),
        ("<iq type='set' id='1'>&bomb;</iq>", "entity", false),
        ("<iq type='set' id='1'><!-- c --></iq>", "comment", false),
        ("<iq type='set' id='1'><x:start/></iq>", "prefix", false),
    ] {
        let (r, answers) = feed(&mut j, input);
        assert!(matches!(r, Err(Error::Xml(_))), "{want}: {r:?}");
        let expected = if answered {
            vec![Condition::BadRequest]
        } else {
            vec![]
        };
        assert_eq!(answers, expected, "{want}");
    }
    assert_eq!(j.tunnel_count(), 0);
}

#[test]
fn oversize_stanza_is_refused_before_parsing() {
    let mut j = endpoint_with(JULIET, TrustMode::Offer, |c| {
        c.limits.max_stanza_bytes = 1000
    });
    let big = data_from_romeo(&"A".repeat(2000), None);
    let (r, answers) = feed(&mut j, &big);
    assert_eq!(r, Err(Error::Xml(XmlError::TooLarge)));
    // Answered all the same: RFC 6120 §4.9.3.14 names a size limit a
    // policy violation.
    assert_eq!(answers, vec![Condition::PolicyViolation]);
}

/// Bug 2 of "XTLS on real servers": a data IQ over `max_stanza_bytes` (a
/// server passes up to 256 KiB) was answered by nothing, and both sides
/// stayed Established, the sender waiting forever.
#[test]
fn an_oversized_data_iq_is_answered_and_closes_the_tunnel_on_both_sides() {
    let mut r = router(vec![
        // Data IQs of two full records, and a window for them from the
        // start (the path is fast).
        endpoint_with(ROMEO, TrustMode::Offer, |c| {
            c.limits.initial_window_bytes = 64 * 1024;
            c.limits.max_data_bytes = 2 * xmpptls::xtls::MAX_TLS_RECORD;
        }),
        endpoint_with(JULIET, TrustMode::Offer, |c| {
            c.limits.max_stanza_bytes = 16 * 1024
        }),
    ]);
    open(&mut r, ROMEO, JULIET, now());
    r.run(now()).unwrap();
    let _ = (events(&mut r, ROMEO), events(&mut r, JULIET));
    // Romeo's data IQs hold up to 32 KiB of TLS: a 20 KiB stanza makes one
    // over juliet's 16 KiB limit.
    let big = format!("<message><body>{}</body></message>", "x".repeat(20_000));
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .send(&jid(JULIET), big.as_bytes(), now())
        .unwrap();
    r.run(now()).unwrap();
    let je = events(&mut r, JULIET);
    assert!(
        matches!(
            &je[..],
            [Event::Closed {
                reason: CloseReason::Error(Error::Xml(XmlError::TooLarge)),
                ..
            }]
        ),
        "{je:?}"
    );
    let re = events(&mut r, ROMEO);
    match &re[..] {
        [Event::Closed {
            reason: CloseReason::Error(Error::PeerRefused(e)),
            returned,
            ..
        }] => {
            assert_eq!(e.condition, Condition::PolicyViolation);
            // The stanza is handed back, not lost; the IQ that carried it
            // was refused, so it did not arrive.
            assert_eq!(returned.len(), 1);
            assert!(!returned[0].maybe_delivered);
            assert!(returned[0].stanza.contains(&"x".repeat(20_000)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.get(&jid(ROMEO)).unwrap().pending_answers(), 0);
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
    // The spec's own offer (x509 hash plus SRP): SRP is ignored, and its
    // hash is a placeholder, not hex SHA-256, so it is ignored too. In the
    // offer trust mode nothing is then left to authenticate romeo with.
    let spec_offer = fixture("initiating-xtls-with-xep-0250-offer")
        .replace("romeo@montague.net/orchard", ROMEO)
        .replace("juliet@capulet.com/balcony", JULIET);
    let (r, answers) = feed(&mut j, &spec_offer);
    assert_eq!(r, Err(Error::Trust(TrustError::UnknownPeer)));
    assert_eq!(answers, vec![Condition::NotAcceptable]);
    // Any other trust mode proceeds with it.
    let mut tofu = endpoint(JULIET, TrustMode::TrustOnFirstUse(PinStore::new()));
    assert_eq!(
        tofu.handle_incoming(spec_offer.as_bytes(), now()),
        Ok(Incoming::Handled)
    );
    assert_eq!(
        tofu.tunnel_state(&jid(ROMEO)),
        Some(TunnelState::Handshaking)
    );
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
fn a_new_start_from_a_peer_with_a_tunnel_means_it_restarted() {
    let mut r = router(vec![endpoint(ROMEO, TrustMode::Offer), juliet()]);
    open(&mut r, ROMEO, JULIET, now());
    r.run(now()).unwrap();
    let _ = events(&mut r, JULIET);
    // Romeo's client restarted: it knows of no tunnel and starts again.
    let romeo_again = endpoint(ROMEO, TrustMode::Offer);
    let offer = romeo_again.offer_fingerprint().unwrap().to_owned();
    let again = format!("<iq type='set' id='new' to='{JULIET}'><start xmlns='urn:xmpp:tmp:xtls'><offer xmlns='urn:xmpp:tmp:c2ctls'><keyinfo xmlns='urn:xmpp:tmp:pubkey'><name>{offer}</name></keyinfo></offer></start></iq>");
    let res = r.inject(ROMEO, &jid(JULIET), &again, now());
    assert_eq!(res, Ok(Incoming::Handled));
    let j = r.get_mut(&jid(JULIET)).unwrap();
    let answers: Vec<_> = transmits(j)
        .into_iter()
        .map(|el| read_iq(el).unwrap().unwrap().payload)
        .collect();
    assert!(
        matches!(&answers[..], [Payload::Proceed { .. }]),
        "{answers:?}"
    );
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Handshaking));
    let evs: Vec<Event> = std::iter::from_fn(|| j.poll_event()).collect();
    assert!(
        matches!(
            &evs[..],
            [Event::Closed {
                reason: CloseReason::PeerRestarted,
                ..
            }]
        ),
        "{evs:?}"
    );
}

#[test]
fn the_same_start_delivered_twice_is_answered_twice_and_changes_nothing() {
    let mut romeo = endpoint(ROMEO, TrustMode::Offer);
    romeo.open(&jid(JULIET), now()).unwrap();
    let start = romeo.poll_transmit().unwrap();
    let mut j = juliet();
    let (first, a1) = feed(&mut j, &start);
    let (second, a2) = feed(&mut j, &start);
    assert_eq!(
        (first, second),
        (Ok(Incoming::Handled), Ok(Incoming::Handled))
    );
    assert!(a1.is_empty() && a2.is_empty(), "two proceeds, no error");
    assert!(std::iter::from_fn(|| j.poll_event()).next().is_none());
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Handshaking));
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
    // Each is answered: to whom the request came from, as it said so.
    let to_other = format!(
        "<iq type='set' id='1' from='{ROMEO}' to='{NURSE}'><start xmlns='urn:xmpp:tmp:xtls'/></iq>"
    );
    let (r, answers) = feed(&mut j, &to_other);
    assert_eq!(r, Err(Error::WrongRecipient(NURSE.into())));
    assert_eq!(answers, vec![Condition::ServiceUnavailable]);
    let no_from = "<iq type='set' id='1'><start xmlns='urn:xmpp:tmp:xtls'/></iq>";
    let r = j.handle_incoming(no_from.as_bytes(), now());
    assert!(matches!(r, Err(Error::BadRequest(_))), "{r:?}");
    let answer = parse(&j.poll_transmit().unwrap());
    assert_eq!(
        (answer.attr("type"), answer.attr("id"), answer.attr("to")),
        (Some("error"), Some("1"), None)
    );
    let bad_from = "<iq type='set' id='1' from='@@'><start xmlns='urn:xmpp:tmp:xtls'/></iq>";
    let r = j.handle_incoming(bad_from.as_bytes(), now());
    assert!(matches!(r, Err(Error::InvalidJid(_))), "{r:?}");
    let answer = parse(&j.poll_transmit().unwrap());
    assert_eq!(
        (answer.attr("type"), answer.attr("to")),
        (Some("error"), Some("@@"))
    );
    // Without an id there is nothing an answer could refer to.
    let no_id = format!("<iq type='set' from='{ROMEO}'><close xmlns='urn:xmpp:tmp:xtls'/></iq>");
    assert!(matches!(
        j.handle_incoming(no_id.as_bytes(), now()),
        Err(Error::BadRequest(_))
    ));
    assert!(j.poll_transmit().is_none());
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
        .send(&jid(JULIET), b"<message><body>x</body></message>", now())
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

/// Data IQs out of order (XMPP promises order; a faulty server broke it):
/// the second record does not decrypt, the tunnel closes with the typed
/// cause, and nothing is delivered out of order.
#[test]
fn reordered_data_closes_the_tunnel_with_a_decrypt_failure() {
    // Each send in its own data IQ (no coalescing), to reorder them.
    let mut romeo = endpoint_with(ROMEO, TrustMode::Offer, |c| c.limits.coalesce_bytes = 0);
    let mut j = juliet();
    romeo.open(&jid(JULIET), now()).unwrap();
    pump(&mut romeo, &mut j, now());
    while j.poll_event().is_some() {}
    let mut data = Vec::new();
    for body in ["first", "second"] {
        let m = format!("<message><body>{body}</body></message>");
        romeo.send(&jid(JULIET), m.as_bytes(), now()).unwrap();
        data.push(romeo.poll_transmit().unwrap());
    }
    let r = j.handle_incoming(data[1].as_bytes(), now());
    assert_eq!(r, Err(Error::Tls(TlsFailure::Decrypt)));
    let evs: Vec<Event> = std::iter::from_fn(|| j.poll_event()).collect();
    assert!(
        matches!(
            &evs[..],
            [Event::Closed {
                reason: CloseReason::Error(Error::Tls(TlsFailure::Decrypt)),
                ..
            }]
        ),
        "{evs:?}"
    );
}
