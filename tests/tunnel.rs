//! Endpoints through the in-memory router: handshakes in every trust mode,
//! messages both ways, three parties, close, resumption, conflict, and the
//! error paths of a tunnel.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use xmpptls::identity::Matched;
use xmpptls::xtls::router::MemoryRouter;
use xmpptls::xtls::wire::Condition;
use xmpptls::{
    CloseReason, Error, Event, Identity, PeerAuth, PinStore, Role, TlsVersions, TrustError,
    TrustMode, TunnelState, UnixTime,
};
use xmpptls_integration::*;

/// Asserts the tunnel closed because the peer answered with `condition`.
fn assert_refused(evs: &[Event], condition: Condition) {
    match closed_reason(evs) {
        Some(CloseReason::Error(Error::PeerRefused(e))) => assert_eq!(e.condition, condition),
        other => panic!("{other:?}"),
    }
}

/// Opens romeo → juliet and returns both sides' events.
fn handshake(r: &mut MemoryRouter) -> (Vec<Event>, Vec<Event>) {
    open(r, ROMEO, JULIET, now());
    r.run(now()).unwrap();
    (events(r, ROMEO), events(r, JULIET))
}

fn send(r: &mut MemoryRouter, from: &str, to: &str, body: &str) {
    let s = format!("<message type='chat'><body>{body}</body></message>");
    r.get_mut(&jid(from))
        .unwrap()
        .send(&jid(to), s.as_bytes(), now())
        .unwrap();
}

#[test]
fn offer_mode_handshake_and_messages_both_ways() {
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Offer),
    ]);
    let (re, je) = handshake(&mut r);
    let (ri, ji) = (
        established_info(&re).unwrap(),
        established_info(&je).unwrap(),
    );
    assert_eq!(ri.role, Role::Initiator);
    assert_eq!(ji.role, Role::Responder);
    assert_eq!(ri.tls_version, "TLSv1.3");
    assert_eq!(ri.cipher_suite, ji.cipher_suite);
    assert!(ri.cipher_suite.starts_with("TLS_AES_") || ri.cipher_suite.starts_with("TLS_CHACHA20"));
    assert_eq!(
        (ri.kx_group.as_str(), ji.kx_group.as_str()),
        ("X25519MLKEM768", "X25519MLKEM768")
    );
    assert_eq!(ri.peer_auth, PeerAuth::Offer);
    assert_eq!(ji.peer_auth, PeerAuth::Offer);
    assert!(ri.offer_verified && ji.offer_verified);
    assert!(!ri.resumed);
    // Each side saw the other's real certificate.
    assert_eq!(
        Some(ri.peer_certificate_sha256.as_str()),
        r.get(&jid(JULIET)).unwrap().offer_fingerprint()
    );
    assert_eq!(
        Some(ji.peer_certificate_sha256.as_str()),
        r.get(&jid(ROMEO)).unwrap().offer_fingerprint()
    );

    send(&mut r, ROMEO, JULIET, "But soft!");
    send(&mut r, JULIET, ROMEO, "Wherefore art thou");
    r.run(now()).unwrap();
    let to_juliet = stanzas(&events(&mut r, JULIET));
    let to_romeo = stanzas(&events(&mut r, ROMEO));
    assert_eq!(to_juliet.len(), 1);
    assert_same_xml(
        &to_juliet[0],
        &format!(
            "<message type='chat' from='{ROMEO}' to='{JULIET}'><body>But soft!</body></message>"
        ),
    );
    assert_same_xml(
        &to_romeo[0],
        &format!("<message type='chat' from='{JULIET}' to='{ROMEO}'><body>Wherefore art thou</body></message>"),
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(
        r.log.iter().all(|w| !w.stanza.contains("soft")),
        "plaintext leaked"
    );
}

#[test]
fn tls12_tunnel_uses_ecdhe_aead() {
    let mut r = router(vec![
        endpoint_with(ROMEO, TrustMode::Offer, |c| {
            c.versions = TlsVersions::Tls12Only
        }),
        endpoint(JULIET, TrustMode::Offer),
    ]);
    let (re, _) = handshake(&mut r);
    let info = established_info(&re).unwrap();
    assert_eq!(info.tls_version, "TLSv1.2");
    assert!(
        info.cipher_suite.starts_with("TLS_ECDHE_ECDSA_WITH_"),
        "{}",
        info.cipher_suite
    );
    assert!(info.cipher_suite.contains("GCM") || info.cipher_suite.contains("CHACHA20_POLY1305"));
    send(&mut r, JULIET, ROMEO, "1.2");
    r.run(now()).unwrap();
    assert_eq!(stanzas(&events(&mut r, ROMEO)).len(), 1);
}

#[test]
fn version_mismatch_fails_cleanly() {
    let mut r = router(vec![
        endpoint_with(ROMEO, TrustMode::Offer, |c| {
            c.versions = TlsVersions::Tls12Only
        }),
        endpoint_with(JULIET, TrustMode::Offer, |c| {
            c.versions = TlsVersions::Tls13Only
        }),
    ]);
    let (re, je) = handshake(&mut r);
    assert!(
        matches!(closed_reason(&je), Some(CloseReason::Error(Error::Tls(_)))),
        "{je:?}"
    );
    assert!(
        matches!(
            closed_reason(&re),
            Some(CloseReason::Error(Error::PeerRefused(_)))
        ),
        "{re:?}"
    );
    assert_eq!(r.get(&jid(ROMEO)).unwrap().tunnel_count(), 0);
    assert_eq!(r.get(&jid(JULIET)).unwrap().tunnel_count(), 0);
}

#[test]
fn three_endpoints_keep_tunnels_apart() {
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Offer),
        endpoint(NURSE, TrustMode::Offer),
    ]);
    for (a, b) in [(ROMEO, JULIET), (ROMEO, NURSE), (NURSE, JULIET)] {
        open(&mut r, a, b, now());
    }
    r.run(now()).unwrap();
    for (a, b) in [
        (ROMEO, JULIET),
        (ROMEO, NURSE),
        (JULIET, ROMEO),
        (JULIET, NURSE),
        (NURSE, ROMEO),
        (NURSE, JULIET),
    ] {
        send(&mut r, a, b, &format!("{a} to {b}"));
    }
    r.run(now()).unwrap();
    for me in [ROMEO, JULIET, NURSE] {
        let evs = events(&mut r, me);
        assert_eq!(
            evs.iter()
                .filter(|e| matches!(e, Event::Established { .. }))
                .count(),
            2
        );
        let got = stanzas(&evs);
        assert_eq!(got.len(), 2, "{me}: {got:?}");
        for s in got {
            let el = parse(&s);
            let from = el.attr("from").unwrap();
            assert_eq!(el.attr("to"), Some(me));
            assert!(s.contains(&format!("{from} to {me}")), "{s}");
        }
    }
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn large_and_many_stanzas_cross_the_window() {
    let mut r = router(vec![
        endpoint_with(ROMEO, TrustMode::Offer, |c| {
            c.limits.max_in_flight = 2;
            c.limits.max_data_bytes = 4096;
        }),
        endpoint(JULIET, TrustMode::Offer),
    ]);
    handshake(&mut r);
    let big = "x".repeat(60_000);
    for i in 0..20 {
        send(&mut r, ROMEO, JULIET, &format!("{i}:{big}"));
        if i % 5 == 4 {
            r.run(now()).unwrap();
        }
    }
    let got = stanzas(&events(&mut r, JULIET));
    assert_eq!(got.len(), 20);
    for (i, s) in got.iter().enumerate() {
        assert!(s.contains(&format!("<body>{i}:xxx")));
    }
    // The window held: no data IQ carried more than 4096 octets.
    let max_b64 = r
        .log
        .iter()
        .filter(|w| w.from == ROMEO && w.stanza.contains("<data "))
        .map(|w| parse(&w.stanza).elements().next().unwrap().text().len())
        .max()
        .unwrap();
    assert!(max_b64 <= 4096 / 3 * 4 + 4, "{max_b64}");
}

#[test]
fn close_both_sides_and_send_after_close() {
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Offer),
    ]);
    handshake(&mut r);
    send(&mut r, ROMEO, JULIET, "last words");
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .close(&jid(JULIET), now())
        .unwrap();
    // Closing: no more sending.
    let late = r
        .get_mut(&jid(ROMEO))
        .unwrap()
        .send(&jid(JULIET), b"<message/>", now());
    assert_eq!(late, Err(Error::TunnelClosed));
    r.run(now()).unwrap();
    let je = events(&mut r, JULIET);
    assert_eq!(stanzas(&je).len(), 1, "data sent before close arrives");
    assert_eq!(closed_reason(&je), Some(CloseReason::Peer));
    assert_eq!(
        closed_reason(&events(&mut r, ROMEO)),
        Some(CloseReason::Local)
    );
    assert_eq!(
        r.get_mut(&jid(JULIET))
            .unwrap()
            .send(&jid(ROMEO), b"<message/>", now()),
        Err(Error::NoTunnel(ROMEO.into()))
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn reopen_resumes_the_tls_session() {
    for versions in [TlsVersions::Tls13Only, TlsVersions::Tls12Only] {
        let mut r = router(vec![
            endpoint_with(ROMEO, TrustMode::TrustOnFirstUse(PinStore::new()), |c| {
                c.versions = versions
            }),
            endpoint(JULIET, TrustMode::TrustOnFirstUse(PinStore::new())),
        ]);
        let (re, _) = handshake(&mut r);
        assert!(!established_info(&re).unwrap().resumed);
        r.get_mut(&jid(ROMEO))
            .unwrap()
            .close(&jid(JULIET), now())
            .unwrap();
        r.run(now()).unwrap();
        let (re, je) = handshake(&mut r);
        let (ri, ji) = (
            established_info(&re).unwrap(),
            established_info(&je).unwrap(),
        );
        assert!(ri.resumed && ji.resumed, "{versions:?} {ri:?} {ji:?}");
        // Resumption re-checks the stored certificates against the pins.
        assert_eq!(ri.peer_auth, PeerAuth::TrustOnFirstUse { first_use: false });
        assert_eq!(ji.peer_auth, PeerAuth::TrustOnFirstUse { first_use: false });
        send(&mut r, JULIET, ROMEO, "again");
        r.run(now()).unwrap();
        assert_eq!(stanzas(&events(&mut r, ROMEO)).len(), 1);
    }
}

#[test]
fn sessions_are_not_shared_between_peers() {
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Offer),
        endpoint(NURSE, TrustMode::Offer),
    ]);
    handshake(&mut r);
    open(&mut r, ROMEO, NURSE, now());
    r.run(now()).unwrap();
    let info = established_info(&events(&mut r, ROMEO)).unwrap();
    assert!(
        !info.resumed,
        "a session with juliet must not resume with the nurse"
    );
}

fn simultaneous(order_romeo_first: bool) {
    let (a, b) = (
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Offer),
    );
    let mut r = if order_romeo_first {
        router(vec![a, b])
    } else {
        router(vec![b, a])
    };
    open(&mut r, ROMEO, JULIET, now());
    open(&mut r, JULIET, ROMEO, now());
    // Both queue a message before anything is routed.
    send(&mut r, ROMEO, JULIET, "from romeo");
    send(&mut r, JULIET, ROMEO, "from juliet");
    r.run(now()).unwrap();
    let (re, je) = (events(&mut r, ROMEO), events(&mut r, JULIET));
    // juliet@capulet.lit sorts before romeo@montague.lit: her start wins.
    assert_eq!(established_info(&je).unwrap().role, Role::Initiator);
    assert_eq!(established_info(&re).unwrap().role, Role::Responder);
    let conflicts = r
        .log
        .iter()
        .filter(|w| w.from == JULIET && w.stanza.contains("<conflict "))
        .count();
    assert_eq!(conflicts, 1);
    assert_eq!(stanzas(&re).len(), 1);
    assert_eq!(
        stanzas(&je).len(),
        1,
        "romeo's queued stanza survives his lost start"
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn simultaneous_start_romeo_routed_first() {
    simultaneous(true);
}

#[test]
fn simultaneous_start_juliet_routed_first() {
    simultaneous(false);
}

/// Romeo's start loses to juliet's, and juliet's start is then refused
/// (romeo trusts offers; hers has none): what romeo queued in his own start
/// is handed back, not dropped with it.
#[test]
fn a_lost_simultaneous_start_hands_its_stanzas_back_when_the_other_fails() {
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::Offer),
        endpoint_with(JULIET, TrustMode::Offer, |c| c.send_offer = false),
    ]);
    open(&mut r, ROMEO, JULIET, now());
    open(&mut r, JULIET, ROMEO, now());
    send(&mut r, ROMEO, JULIET, "queued by romeo");
    r.run(now()).unwrap();
    let re = events(&mut r, ROMEO);
    let returned: Vec<String> = re
        .iter()
        .flat_map(|e| match e {
            Event::Closed { returned, .. } => returned.iter().map(|x| x.stanza.clone()).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(returned.len(), 1, "{re:?}");
    assert!(returned[0].contains("queued by romeo"));
    assert!(
        matches!(
            closed_reason(&re),
            Some(CloseReason::Error(Error::Trust(_)))
        ),
        "{re:?}"
    );
}

#[test]
fn refused_start_closes_with_the_peers_condition() {
    let mut off = endpoint(JULIET, TrustMode::Offer);
    off.set_enabled(false);
    let mut r = router(vec![endpoint(ROMEO, TrustMode::Offer), off]);
    let (re, _) = handshake(&mut r);
    assert_refused(&re, Condition::ServiceUnavailable);
    // Pinned-only responder and an unknown initiator: not-acceptable.
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Pinned(PinStore::new())),
    ]);
    let (re, _) = handshake(&mut r);
    assert_refused(&re, Condition::NotAcceptable);
}

#[test]
fn pinned_mode_accepts_known_keys_only() {
    let (rj, jj) = (jid(ROMEO), jid(JULIET));
    let (rid, jid_) = (
        Identity::self_signed(&rj).unwrap(),
        Identity::self_signed(&jj).unwrap(),
    );
    let mut rp = PinStore::new();
    rp.add(jj.bare_str(), &jid_.spki_fingerprint().unwrap());
    let mut jp = PinStore::new();
    jp.add(rj.bare_str(), &rid.spki_fingerprint().unwrap());
    let mut r = router(vec![
        endpoint_with_identity(rj.clone(), rid, TrustMode::Pinned(rp), |c| {
            c.send_offer = false
        }),
        endpoint_with_identity(jj.clone(), jid_, TrustMode::Pinned(jp.clone()), |c| {
            c.send_offer = false
        }),
    ]);
    let (re, je) = handshake(&mut r);
    assert_eq!(established_info(&re).unwrap().peer_auth, PeerAuth::Pinned);
    assert_eq!(established_info(&je).unwrap().peer_auth, PeerAuth::Pinned);
    assert!(!established_info(&re).unwrap().offer_verified);

    // An impostor with another key for romeo's JID is refused in the handshake.
    let mut r = router(vec![
        endpoint_with(ROMEO, TrustMode::Offer, |_| {}),
        endpoint_with_identity(
            jj,
            Identity::self_signed(&jid(JULIET)).unwrap(),
            TrustMode::Pinned(jp),
            |_| {},
        ),
    ]);
    let (_, je) = handshake(&mut r);
    assert_eq!(
        closed_reason(&je),
        Some(CloseReason::Error(Error::Trust(
            TrustError::FingerprintMismatch
        )))
    );
    // Opening to an unpinned peer fails at once.
    let mut lone = endpoint(ROMEO, TrustMode::Pinned(PinStore::new()));
    assert_eq!(
        lone.open(&jid(NURSE), now()),
        Err(Error::Trust(TrustError::UnknownPeer))
    );
}

#[test]
fn trust_on_first_use_pins_and_reports_a_changed_key() {
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::TrustOnFirstUse(PinStore::new())),
        endpoint(JULIET, TrustMode::TrustOnFirstUse(PinStore::new())),
    ]);
    let (re, je) = handshake(&mut r);
    let ri = established_info(&re).unwrap();
    assert_eq!(ri.peer_auth, PeerAuth::TrustOnFirstUse { first_use: true });
    assert_eq!(
        established_info(&je).unwrap().peer_auth,
        PeerAuth::TrustOnFirstUse { first_use: true }
    );
    let juliet_pins = r.get(&jid(JULIET)).unwrap().pins().clone();
    assert_eq!(juliet_pins.get("romeo@montague.lit").len(), 1);
    assert_eq!(
        r.get(&jid(ROMEO)).unwrap().pins().get("juliet@capulet.lit"),
        std::slice::from_ref(&ri.peer_spki_sha256)
    );

    // Romeo comes back with a new key (new device or an attacker): Juliet,
    // who pinned the old one, refuses and says what changed.
    r.remove(&jid(ROMEO));
    r.get_mut(&jid(JULIET))
        .unwrap()
        .peer_unavailable(&jid(ROMEO));
    let _ = events(&mut r, JULIET);
    let newcomer = endpoint(ROMEO, TrustMode::TrustOnFirstUse(PinStore::new()));
    r.add(newcomer);
    let (re, je) = handshake(&mut r);
    match closed_reason(&je) {
        Some(CloseReason::Error(Error::Trust(TrustError::PinChanged { old, new }))) => {
            assert_eq!(old, juliet_pins.get("romeo@montague.lit")[0]);
            assert_ne!(old, new);
        }
        other => panic!("{other:?}"),
    }
    assert!(closed_reason(&re).is_some());
    // The user accepts the new key: forget the pin, and it works again.
    r.get_mut(&jid(JULIET))
        .unwrap()
        .pins_mut()
        .remove("romeo@montague.lit");
    let (re, _) = handshake(&mut r);
    assert!(established_info(&re).is_some());
}

/// The application's storage, shared so the test can look inside.
#[derive(Clone, Default)]
struct SharedPins(std::sync::Arc<std::sync::Mutex<PinStore>>);

impl xmpptls::PinStorage for SharedPins {
    fn pins(&self, key: &str) -> Vec<String> {
        self.0.lock().unwrap().pins(key)
    }
    fn set_pins(&mut self, key: &str, pins: Vec<String>) {
        self.0.lock().unwrap().set_pins(key, pins)
    }
}

#[test]
fn pins_in_application_storage_outlive_the_endpoint() {
    let storage = SharedPins::default();
    let juliet_with = |s: &SharedPins| {
        let mut ep = endpoint(JULIET, TrustMode::TrustOnFirstUse(PinStore::new()));
        ep.set_pin_storage(Box::new(s.clone()));
        ep
    };
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::TrustOnFirstUse(PinStore::new())),
        juliet_with(&storage),
    ]);
    let (_, je) = handshake(&mut r);
    let first = established_info(&je).unwrap();
    assert_eq!(
        first.peer_auth,
        PeerAuth::TrustOnFirstUse { first_use: true }
    );
    assert_eq!(
        storage.0.lock().unwrap().get("romeo@montague.lit"),
        std::slice::from_ref(&first.peer_spki_sha256)
    );

    // Juliet restarts: a new endpoint, the same storage. Romeo, now with a
    // new key, is refused because the stored pin is read back.
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::TrustOnFirstUse(PinStore::new())),
        juliet_with(&storage),
    ]);
    let (_, je) = handshake(&mut r);
    match closed_reason(&je) {
        Some(CloseReason::Error(Error::Trust(TrustError::PinChanged { old, .. }))) => {
            assert_eq!(old, first.peer_spki_sha256)
        }
        other => panic!("{other:?}"),
    }
}

/// One pin store for the endpoint and the application (and the server
/// check, which takes the same `SharedPins`): a key pinned on first use is
/// in it, forgetting the pin reaches the application's storage, and pins
/// given both in the configuration and as a store are refused.
#[test]
fn shared_pins_serve_the_endpoint_and_forgetting_reaches_the_storage() {
    use xmpptls::SharedPins as Shared;
    let storage = SharedPins::default();
    let shared = Shared::with_storage(Box::new(storage.clone()));
    let mut juliet = endpoint(JULIET, TrustMode::TrustOnFirstUse(PinStore::new()));
    juliet.share_pins(shared.clone()).unwrap();
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::TrustOnFirstUse(PinStore::new())),
        juliet,
    ]);
    let (_, je) = handshake(&mut r);
    let first = established_info(&je).unwrap();
    assert_eq!(
        shared.with(|s| s.pins("romeo@montague.lit")),
        std::slice::from_ref(&first.peer_spki_sha256)
    );
    // The user accepts Romeo's new key: forgetting his pin empties the
    // application's storage too, so the next tunnel is a first use again.
    let j = r.get_mut(&jid(JULIET)).unwrap();
    assert!(j.forget_pin("romeo@montague.lit"));
    assert!(storage
        .0
        .lock()
        .unwrap()
        .get("romeo@montague.lit")
        .is_empty());
    assert!(
        !j.forget_pin("romeo@montague.lit"),
        "nothing left to forget"
    );

    let mut given = PinStore::new();
    given.add("romeo@montague.lit", &"ab".repeat(32));
    let mut pinned = endpoint(JULIET, TrustMode::Pinned(given));
    assert!(matches!(
        pinned.share_pins(Shared::in_memory(PinStore::new())),
        Err(Error::Config(_))
    ));
}

#[test]
fn offer_hash_mismatch_is_refused() {
    // Mallory replaces Juliet's announced hash with her own in transit; the
    // real certificate then does not match the offer.
    let mut romeo = endpoint(ROMEO, TrustMode::TrustOnFirstUse(PinStore::new()));
    let mut juliet = endpoint(JULIET, TrustMode::TrustOnFirstUse(PinStore::new()));
    romeo.open(&jid(JULIET), now()).unwrap();
    let start = romeo.poll_transmit().unwrap();
    juliet.handle_incoming(start.as_bytes(), now()).unwrap();
    let proceed = juliet.poll_transmit().unwrap();
    let real = juliet.offer_fingerprint().unwrap().to_owned();
    let forged = proceed.replace(&real, &"ab".repeat(32));
    assert_ne!(forged, proceed);
    romeo.handle_incoming(forged.as_bytes(), now()).unwrap();
    // Run the handshake by hand.
    let mut romeo_err = None;
    for _ in 0..10 {
        while let Some(s) = romeo.poll_transmit() {
            let _ = juliet.handle_incoming(s.as_bytes(), now());
        }
        while let Some(s) = juliet.poll_transmit() {
            if let Err(e) = romeo.handle_incoming(s.as_bytes(), now()) {
                romeo_err = Some(e);
            }
        }
    }
    assert_eq!(
        romeo_err,
        Some(Error::Trust(TrustError::FingerprintMismatch))
    );
    assert_eq!(romeo.tunnel_state(&jid(JULIET)), None);
    assert!(
        romeo.pins().get("juliet@capulet.lit").is_empty(),
        "nothing pinned from a failed handshake"
    );
}

#[test]
fn pkix_mode_checks_chain_and_xmppaddr() {
    let ca = TestCa::new("Verona CA");
    let roots = TrustMode::Pkix(vec![ca.cert.clone()]);
    let good = |who: &str, name: &str| {
        endpoint_with_identity(jid(who), ca.issue(name, 2025, 2030), roots.clone(), |c| {
            c.send_offer = false
        })
    };
    let mut r = router(vec![
        good(ROMEO, "romeo@montague.lit"),
        good(JULIET, "juliet@capulet.lit"),
    ]);
    let (re, je) = handshake(&mut r);
    assert_eq!(
        established_info(&re).unwrap().peer_auth,
        PeerAuth::Pkix {
            matched: Matched::XmppAddr("juliet@capulet.lit".into())
        }
    );
    assert_eq!(
        established_info(&je).unwrap().peer_auth,
        PeerAuth::Pkix {
            matched: Matched::XmppAddr("romeo@montague.lit".into())
        }
    );

    // A valid certificate for someone else is refused.
    let mut r = router(vec![
        good(ROMEO, "romeo@montague.lit"),
        good(JULIET, "nurse@capulet.lit"),
    ]);
    let (re, _) = handshake(&mut r);
    assert_eq!(
        closed_reason(&re),
        Some(CloseReason::Error(Error::Trust(
            TrustError::IdentityMismatch {
                expected: "juliet@capulet.lit".into()
            }
        )))
    );

    // Expired, or from another CA: refused.
    let other = TestCa::new("Mantua CA");
    for bad in [
        ca.issue("juliet@capulet.lit", 2020, 2021),
        other.issue("juliet@capulet.lit", 2025, 2030),
    ] {
        let mut r = router(vec![
            good(ROMEO, "romeo@montague.lit"),
            endpoint_with_identity(jid(JULIET), bad, roots.clone(), |_| {}),
        ]);
        let (re, _) = handshake(&mut r);
        assert!(
            matches!(
                closed_reason(&re),
                Some(CloseReason::Error(Error::Trust(TrustError::Pkix(_))))
            ),
            "{re:?}"
        );
    }
}

/// Romeo and Juliet with certificates from `ca` valid 2025–2030, each
/// trusting `ca` as the only PKIX root.
fn pkix_router(ca: &TestCa) -> MemoryRouter {
    let roots = TrustMode::Pkix(vec![ca.cert.clone()]);
    let with_cert = |j: &str, bare: &str| {
        endpoint_with_identity(jid(j), ca.issue(bare, 2025, 2030), roots.clone(), |_| {})
    };
    router(vec![
        with_cert(ROMEO, "romeo@montague.lit"),
        with_cert(JULIET, "juliet@capulet.lit"),
    ])
}

#[test]
fn the_clock_is_the_callers() {
    // The same certificates fail when the caller says it is 2031.
    let ca = TestCa::new("Verona CA");
    let mut r = pkix_router(&ca);
    let later = UnixTime::since_unix_epoch(Duration::from_secs(1_924_992_000)); // 2031
    open(&mut r, ROMEO, JULIET, later);
    r.run(later).unwrap();
    assert!(matches!(
        closed_reason(&events(&mut r, ROMEO)),
        Some(CloseReason::Error(Error::Trust(TrustError::Pkix(_))))
    ));
}

#[test]
fn peer_unavailable_tears_down() {
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Offer),
        endpoint(NURSE, TrustMode::Offer),
    ]);
    handshake(&mut r);
    open(&mut r, NURSE, JULIET, now());
    r.run(now()).unwrap();
    let _ = events(&mut r, JULIET);
    // Bare JID: every resource of romeo.
    r.get_mut(&jid(JULIET))
        .unwrap()
        .peer_unavailable(&jid("romeo@montague.lit"));
    assert_eq!(
        closed_reason(&events(&mut r, JULIET)),
        Some(CloseReason::PeerUnavailable)
    );
    assert_eq!(
        r.get(&jid(JULIET)).unwrap().tunnel_state(&jid(NURSE)),
        Some(TunnelState::Established)
    );
    // Juliet goes offline; the server bounces romeo's data with
    // service-unavailable, which ends his tunnel.
    r.remove(&jid(JULIET));
    send(&mut r, ROMEO, JULIET, "hello?");
    r.run(now()).unwrap();
    assert_refused(&events(&mut r, ROMEO), Condition::ServiceUnavailable);
}

#[test]
fn outgoing_routing_must_match_the_tunnel() {
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Offer),
    ]);
    handshake(&mut r);
    let romeo = r.get_mut(&jid(ROMEO)).unwrap();
    let to_nurse = format!("<message to='{NURSE}'><body>x</body></message>");
    assert!(matches!(
        romeo.send(&jid(JULIET), to_nurse.as_bytes(), now()),
        Err(Error::RoutingMismatch { .. })
    ));
    let forged = format!("<message from='{NURSE}'><body>x</body></message>");
    assert!(matches!(
        romeo.send(&jid(JULIET), forged.as_bytes(), now()),
        Err(Error::RoutingMismatch { .. })
    ));
    assert!(matches!(
        romeo.send(&jid(JULIET), b"<query xmlns='x'/>", now()),
        Err(Error::NotAStanza(_))
    ));
    // Bare JIDs are consistent with the tunnel and accepted.
    let bare =
        "<message to='juliet@capulet.lit' from='romeo@montague.lit'><body>ok</body></message>";
    romeo.send(&jid(JULIET), bare.as_bytes(), now()).unwrap();
    r.run(now()).unwrap();
    let got = stanzas(&events(&mut r, JULIET));
    assert_eq!(got.len(), 1);
    // Stripped before encryption, restored from the carrying IQ.
    assert_eq!(parse(&got[0]).attr("to"), Some(JULIET));
}

#[test]
fn buffered_plaintext_is_bounded() {
    let mut romeo = endpoint_with(ROMEO, TrustMode::Offer, |c| {
        c.limits.max_stanza_bytes = 5_000;
        c.limits.max_buffered_bytes = 10_000;
    });
    romeo.open(&jid(JULIET), now()).unwrap();
    let s = format!("<message><body>{}</body></message>", "y".repeat(4000));
    romeo.send(&jid(JULIET), s.as_bytes(), now()).unwrap();
    romeo.send(&jid(JULIET), s.as_bytes(), now()).unwrap();
    assert_eq!(
        romeo.send(&jid(JULIET), s.as_bytes(), now()),
        Err(Error::BufferFull { limit: 10_000 })
    );
}

#[test]
fn tunnel_limit_is_enforced() {
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::Offer),
        endpoint_with(JULIET, TrustMode::Offer, |c| c.limits.max_tunnels = 1),
        endpoint(NURSE, TrustMode::Offer),
    ]);
    handshake(&mut r);
    open(&mut r, NURSE, JULIET, now());
    r.run(now()).unwrap();
    assert_refused(&events(&mut r, NURSE), Condition::ResourceConstraint);
    assert!(r
        .errors
        .iter()
        .any(|(j, e)| j.as_str() == JULIET && *e == Error::TooManyTunnels { limit: 1 }));
    let mut lone = endpoint_with(ROMEO, TrustMode::Offer, |c| c.limits.max_tunnels = 1);
    lone.open(&jid(JULIET), now()).unwrap();
    assert_eq!(
        lone.open(&jid(NURSE), now()),
        Err(Error::TooManyTunnels { limit: 1 })
    );
    assert_eq!(lone.open(&jid(JULIET), now()), Err(Error::DuplicateStart));
}

#[test]
fn tunnel_events_carry_the_connection_report() {
    use xmpptls::policy::{Policy, Verdict};
    let mut r = router(vec![
        endpoint(ROMEO, TrustMode::TrustOnFirstUse(PinStore::new())),
        endpoint_with(JULIET, TrustMode::Offer, |c| c.policy = Policy::strict()),
    ]);
    let (re, je) = handshake(&mut r);
    let (ri, ji) = (
        established_info(&re).unwrap(),
        established_info(&je).unwrap(),
    );
    // Romeo (default xtls policy, TOFU): a clean pass, key pinned now.
    assert_eq!(ri.report.evaluation.verdict, Verdict::Pass);
    let v: serde_json::Value = serde_json::from_str(&ri.report.to_json()).unwrap();
    assert_eq!(v["peer"], JULIET);
    assert_eq!(v["tls_version"], "TLSv1.3");
    assert_eq!(v["cipher_suite"], ri.cipher_suite.as_str());
    assert_eq!(v["authentication"], "pinned");
    assert_eq!(v["pin"]["status"], "new");
    assert_eq!(
        v["certificate"]["san"]["xmpp_addr"][0],
        "juliet@capulet.lit"
    );
    // Juliet asked for the strict policy, which does not accept the offer
    // hash as authentication: her report says so.
    assert_eq!(ji.report.evaluation.verdict, Verdict::Fail);
    assert!(ji
        .report
        .evaluation
        .findings
        .iter()
        .any(|f| f.code == "auth-method-not-allowed"));
    // Re-open: the pin now matches, the session is resumed.
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .close(&jid(JULIET), now())
        .unwrap();
    r.run(now()).unwrap();
    let (re, _) = handshake(&mut r);
    let v = established_info(&re).unwrap().report.to_json_value();
    assert_eq!(
        (v["pin"]["status"].as_str(), v["resumed"].as_bool()),
        (Some("match"), Some(true))
    );
}

#[test]
fn pkix_tunnel_report_names_the_identity() {
    let ca = TestCa::new("Verona CA");
    let mut r = pkix_router(&ca);
    let (re, _) = handshake(&mut r);
    let v = established_info(&re).unwrap().report.to_json_value();
    assert_eq!(v["authentication"], "pkix");
    assert_eq!(v["identity"]["type"], "XmppAddr");
    assert_eq!(v["identity"]["presented"], "juliet@capulet.lit");
    assert_eq!(v["certificate"]["issuer"], "CN=Verona CA");
    assert_eq!(v["verdict"], "pass");
}

#[test]
fn pkix_tunnel_respects_name_constraints() {
    // The CA may only vouch for montague.lit: juliet@capulet.lit's
    // certificate from it is refused, romeo's is fine.
    let ca = TestCa::with_constraints("Montague CA", &["montague.lit"]);
    let mut r = pkix_router(&ca);
    let (re, _) = handshake(&mut r);
    match closed_reason(&re) {
        Some(CloseReason::Error(Error::Trust(TrustError::Pkix(why)))) => {
            assert!(why.contains("do not permit capulet.lit"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}

/// What a server may do to stanzas it routes: write them its own way. The
/// data path's fast readers take only the exact shapes the endpoint writes;
/// everything here goes through the general reader and must work the same.
fn reserialise(stanza: &str) -> String {
    let mut el = parse(stanza);
    el.attrs.reverse();
    for child in el.children.iter_mut() {
        if let xmpptls::xml::Node::Element(data) = child {
            if data.name == "data" {
                // MIME-style line breaks in the base64 (RFC 2045 §6.8).
                let b64 = data.take_text();
                let lines: Vec<&str> = b64
                    .as_bytes()
                    .chunks(76)
                    .map(|c| std::str::from_utf8(c).unwrap())
                    .collect();
                *data = data.clone().with_text(&format!("\n{}\n", lines.join("\n")));
            }
        }
    }
    let xml = el.to_xml();
    // An empty result as a start and an end tag.
    match xml.strip_suffix("/>") {
        Some(open) if el.children.is_empty() => format!("{open}></iq>"),
        _ => xml,
    }
}

#[test]
fn stanzas_rewritten_by_a_server_still_work() {
    let jj = jid(JULIET);
    let mut romeo = endpoint(ROMEO, TrustMode::Offer);
    let mut juliet = endpoint(JULIET, TrustMode::Offer);
    romeo.open(&jj, now()).unwrap();
    let big = format!("<message><body>{}</body></message>", "x".repeat(40_000));
    romeo.send(&jj, big.as_bytes(), now()).unwrap();
    let mut delivered = Vec::new();
    let mut rewritten = 0;
    loop {
        let mut moved = false;
        while let Some(s) = romeo.poll_transmit() {
            let s = reserialise(&s);
            rewritten += usize::from(s.contains("\n"));
            juliet.handle_incoming(s.as_bytes(), now()).unwrap();
            moved = true;
        }
        while let Some(s) = juliet.poll_transmit() {
            romeo
                .handle_incoming(reserialise(&s).as_bytes(), now())
                .unwrap();
            moved = true;
        }
        while let Some(ev) = juliet.poll_event() {
            if let Event::Stanza { stanza, .. } = ev {
                delivered.push(stanza);
            }
        }
        while romeo.poll_event().is_some() {}
        if !moved {
            break;
        }
    }
    assert!(
        rewritten >= 2,
        "the handshake and the message were rewritten"
    );
    assert_eq!(delivered.len(), 1);
    assert!(delivered[0].ends_with(&format!("{}</body></message>", "x".repeat(40_000))));
    assert_eq!(romeo.tunnel_state(&jj), Some(TunnelState::Established));
}

/// A client on a c2s stream may leave `from` to its server, which stamps
/// it on everything it routes (RFC 6120 §8.1.2.1): with `send_from` off no
/// IQ we write names us (data, acknowledgements, close), and the tunnel
/// works through a router that stamps as a server does.
#[test]
fn without_from_the_server_stamps_it_and_the_tunnel_works() {
    let no_from = |c: &mut xmpptls::EndpointConfig| c.send_from = false;
    let mut r = router(vec![
        endpoint_with(ROMEO, TrustMode::Offer, no_from),
        endpoint_with(JULIET, TrustMode::Offer, no_from),
    ]);
    let (re, je) = handshake(&mut r);
    assert!(established_info(&re).is_some() && established_info(&je).is_some());
    // Each side's raw output, routed by hand: none of it names its sender.
    let step = |r: &mut MemoryRouter, who: &str, to: &str| {
        let mut n = 0;
        while let Some(out) = r.get_mut(&jid(who)).unwrap().poll_transmit() {
            assert!(!out.contains("from="), "{out}");
            r.inject(who, &jid(to), &out, now()).unwrap();
            n += 1;
        }
        n
    };
    send(&mut r, ROMEO, JULIET, "But soft!");
    assert!(step(&mut r, ROMEO, JULIET) > 0, "a data IQ");
    assert!(step(&mut r, JULIET, ROMEO) > 0, "its acknowledgement");
    assert_eq!(stanzas(&events(&mut r, JULIET)).len(), 1);
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .close(&jid(JULIET), now())
        .unwrap();
    while step(&mut r, ROMEO, JULIET) + step(&mut r, JULIET, ROMEO) > 0 {}
    assert!(matches!(
        closed_reason(&events(&mut r, JULIET)),
        Some(CloseReason::Peer)
    ));
}
