//! Post-quantum tunnels (draft-ietf-tls-ecdhe-mlkem): two endpoints agree
//! on X25519MLKEM768 by default, in one ClientHello that fits the first
//! data IQ; a classical-only peer (an older libxmpptls, or `classical`)
//! still connects without a HelloRetryRequest, graded with the
//! `classical-key-exchange` finding; `post-quantum-required` refuses it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use xmpptls::xtls::router::MemoryRouter;
use xmpptls::{CloseReason, Error, Event, KeyExchange, Limits, TlsVersions, TrustMode, TunnelInfo};
use xmpptls_integration::*;

fn with_kx(j: &str, kx: KeyExchange, versions: TlsVersions) -> xmpptls::Endpoint {
    endpoint_with(j, TrustMode::Offer, |c| {
        c.key_exchange = kx;
        c.versions = versions;
    })
}

/// Opens ROMEO → JULIET; both sides' events, and the router with its log.
fn open_tunnel(
    a: xmpptls::Endpoint,
    b: xmpptls::Endpoint,
) -> (Vec<Event>, Vec<Event>, MemoryRouter) {
    let mut r = router(vec![a, b]);
    open(&mut r, ROMEO, JULIET, now());
    r.run(now()).unwrap();
    (events(&mut r, ROMEO), events(&mut r, JULIET), r)
}

/// The stanzas carrying TLS octets (data IQs, and results carrying data;
/// an empty `<data ack='…'/>` carries none) each side sent during the
/// handshake: a HelloRetryRequest would add one round trip, so one more
/// from the initiator.
fn data_iqs(r: &MemoryRouter, from: &str) -> Vec<String> {
    r.log
        .iter()
        .filter(|w| w.from.starts_with(from) && w.stanza.contains("<data"))
        .filter(|w| !w.stanza.contains("/></iq>"))
        .map(|w| w.stanza.clone())
        .collect()
}

/// ROMEO (key exchange `romeo`) opens a tunnel to JULIET (`juliet`), both
/// with the default TLS versions.
fn open_with(romeo: KeyExchange, juliet: KeyExchange) -> (Vec<Event>, Vec<Event>, MemoryRouter) {
    open_tunnel(
        with_kx(ROMEO, romeo, TlsVersions::default()),
        with_kx(JULIET, juliet, TlsVersions::default()),
    )
}

fn codes(info: &TunnelInfo) -> Vec<&'static str> {
    info.report
        .evaluation
        .findings
        .iter()
        .map(|f| f.code)
        .collect()
}

/// The default on both sides: the hybrid, in both reports, no
/// classical-key-exchange finding, stanzas both ways; the ClientHello
/// with both key shares (hybrid 1,216 octets and X25519 32) travels in
/// the first data IQ, within the default `max_data_bytes`.
#[test]
fn default_peers_agree_on_the_hybrid() {
    let (re, je, mut r) = open_with(KeyExchange::PostQuantum, KeyExchange::PostQuantum);
    let (ri, ji) = (
        established_info(&re).unwrap(),
        established_info(&je).unwrap(),
    );
    assert_eq!(
        (ri.kx_group.as_str(), ji.kx_group.as_str()),
        ("X25519MLKEM768", "X25519MLKEM768")
    );
    assert_eq!(
        ri.report.negotiated.kx_group.as_deref(),
        Some("X25519MLKEM768")
    );
    assert!(
        !codes(&ri).contains(&"classical-key-exchange"),
        "{:?}",
        codes(&ri)
    );
    assert!(ri
        .report
        .to_json()
        .contains("\"key_exchange\":\"X25519MLKEM768\""));
    // ClientHello, then Finished: no HelloRetryRequest round.
    let from_romeo = data_iqs(&r, ROMEO);
    assert_eq!(from_romeo.len(), 2, "{from_romeo:#?}");
    let first = &from_romeo[0];
    let payload = first
        .split_once("<data")
        .and_then(|(_, d)| d.split_once('>'))
        .and_then(|(_, d)| d.split_once("</data>"))
        .map(|(b64, _)| base64_decode(b64))
        .unwrap();
    assert!(
        payload.len() > 1216 + 32,
        "both key shares: {} octets",
        payload.len()
    );
    assert!(payload.len() <= Limits::default().max_data_bytes);

    let msg = "<message type='chat'><body>after the quantum computer</body></message>";
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .send(&jid(JULIET), msg.as_bytes(), now())
        .unwrap();
    r.get_mut(&jid(JULIET))
        .unwrap()
        .send(&jid(ROMEO), msg.as_bytes(), now())
        .unwrap();
    r.run(now()).unwrap();
    assert_eq!(stanzas(&events(&mut r, JULIET)).len(), 1);
    assert_eq!(stanzas(&events(&mut r, ROMEO)).len(), 1);
}

/// A classical-only peer (what every libxmpptls before this one offers:
/// X25519, secp256r1, secp384r1) on either side: X25519 without a
/// HelloRetryRequest, since the default sends an X25519 key share next to
/// the hybrid one; the reports carry the information finding.
#[test]
fn a_classical_peer_still_connects_on_either_side() {
    for classical_opens in [true, false] {
        let (pq, old) = (KeyExchange::PostQuantum, KeyExchange::Classical);
        let (a, b) = if classical_opens {
            (old, pq)
        } else {
            (pq, old)
        };
        let (re, je, r) = open_with(a, b);
        let (ri, ji) = (
            established_info(&re).unwrap(),
            established_info(&je).unwrap(),
        );
        assert_eq!(
            (ri.kx_group.as_str(), ji.kx_group.as_str()),
            ("X25519", "X25519")
        );
        assert_eq!(data_iqs(&r, ROMEO).len(), 2, "no HelloRetryRequest round");
        for info in [&ri, &ji] {
            let f = info
                .report
                .evaluation
                .findings
                .iter()
                .find(|f| f.code == "classical-key-exchange")
                .expect("the finding");
            assert_eq!(f.severity, xmpptls::policy::Severity::Info);
        }
        assert_eq!(ri.report.evaluation.verdict, xmpptls::policy::Verdict::Pass);
    }
}

/// A TLS 1.2-only peer has no hybrid to offer: a classical curve over
/// TLS 1.2 under the default.
#[test]
fn tls12_is_classical() {
    let (re, _, _) = open_tunnel(
        with_kx(ROMEO, KeyExchange::PostQuantum, TlsVersions::default()),
        with_kx(JULIET, KeyExchange::PostQuantum, TlsVersions::Tls12Only),
    );
    let ri = established_info(&re).unwrap();
    assert_eq!(ri.tls_version, "TLSv1.2");
    assert_eq!(ri.kx_group, "X25519");
}

/// `post-quantum-required` against a classical peer, on either side: no
/// tunnel, a TLS error on both sides, nothing established; against a
/// default peer, the hybrid.
#[test]
fn required_refuses_a_classical_peer() {
    for required_opens in [true, false] {
        let (req, old) = (KeyExchange::PostQuantumRequired, KeyExchange::Classical);
        let (a, b) = if required_opens {
            (req, old)
        } else {
            (old, req)
        };
        let (re, je, _) = open_with(a, b);
        assert!(established_info(&re).is_none() && established_info(&je).is_none());
        for evs in [&re, &je] {
            match closed_reason(evs) {
                Some(CloseReason::Error(Error::Tls(_)))
                | Some(CloseReason::Error(Error::PeerRefused(_))) => {}
                other => panic!("required_opens={required_opens}: {other:?}"),
            }
        }
    }
    let (re, _, _) = open_tunnel(
        with_kx(
            ROMEO,
            KeyExchange::PostQuantumRequired,
            TlsVersions::default(),
        ),
        with_kx(JULIET, KeyExchange::PostQuantum, TlsVersions::default()),
    );
    assert_eq!(established_info(&re).unwrap().kx_group, "X25519MLKEM768");
}

/// Required makes the endpoint TLS 1.3 only; with TLS 1.2 only it is a
/// configuration error when the endpoint is made.
#[test]
fn required_needs_tls13() {
    let mut cfg = xmpptls::EndpointConfig::new(
        jid(ROMEO),
        xmpptls::Identity::self_signed(&jid(ROMEO)).unwrap(),
        TrustMode::Offer,
    );
    cfg.key_exchange = KeyExchange::PostQuantumRequired;
    cfg.versions = TlsVersions::Tls12Only;
    match xmpptls::Endpoint::new(cfg) {
        Err(Error::Config(m)) => assert!(m.contains("TLS 1.3"), "{m}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
    let (re, _, _) = open_tunnel(
        with_kx(
            ROMEO,
            KeyExchange::PostQuantumRequired,
            TlsVersions::Tls12And13,
        ),
        with_kx(JULIET, KeyExchange::PostQuantum, TlsVersions::Tls12And13),
    );
    assert_eq!(established_info(&re).unwrap().tls_version, "TLSv1.3");
}
