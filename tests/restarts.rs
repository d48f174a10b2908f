//! Restarts told by content, not by id, and slots a flood cannot hold.
//!
//! RFC 6120 §8.1.3 makes IQ ids unique within one stream only: a client
//! that restarts may count from 1 again (libstrophe hosts do). A `<start/>`
//! from a peer that has a tunnel with us is a restart unless it is provably
//! a copy (same id, same offer: XEP-0198 resends, a server's retry); a
//! ClientHello where our TLS server already read one is a restart, whatever
//! its id. And a flood of starts that never handshake only pushes out its
//! own half-open tunnels: an honest peer gets in at once, and established
//! tunnels are never evicted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use xmpptls::xml::{self, XmlLimits};
use xmpptls::{
    CloseReason, Endpoint, Error, Event, Identity, Jid, TrustMode, TunnelState, UnixTime,
};
use xmpptls_integration::*;

/// Gives one side's IQ-sets ids counted from `first` (as a client that
/// numbers its IQs itself would), and maps the answers back.
struct Renumber {
    next: u64,
    original: HashMap<String, String>,
}

impl Renumber {
    fn from(first: u64) -> Self {
        Renumber {
            next: first,
            original: HashMap::new(),
        }
    }

    fn outgoing(&mut self, stanza: &str) -> String {
        let mut el = xml::parse(stanza.as_bytes(), &XmlLimits::default()).unwrap();
        if el.name == "iq" && el.attr("type") == Some("set") {
            let id = format!("xtls_{}", self.next);
            self.next += 1;
            self.original
                .insert(id.clone(), el.attr("id").unwrap().to_owned());
            el.set_attr("id", &id);
        }
        el.to_xml()
    }

    fn answer(&self, stanza: &str) -> String {
        let mut el = xml::parse(stanza.as_bytes(), &XmlLimits::default()).unwrap();
        if let Some(orig) = el.attr("id").and_then(|id| self.original.get(id)) {
            let orig = orig.clone();
            el.set_attr("id", &orig);
        }
        el.to_xml()
    }
}

/// Moves stanzas between romeo (renumbered) and juliet until quiet;
/// returns what each sent, as delivered.
fn pump_renumbered(r: &mut Endpoint, ids: &mut Renumber, j: &mut Endpoint, t: UnixTime) {
    loop {
        let mut moved = false;
        while let Some(s) = r.poll_transmit() {
            let _ = j.handle_incoming(ids.outgoing(&s).as_bytes(), t);
            moved = true;
        }
        while let Some(s) = j.poll_transmit() {
            let _ = r.handle_incoming(ids.answer(&s).as_bytes(), t);
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

fn drain(ep: &mut Endpoint) -> Vec<Event> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

fn closes(evs: &[Event]) -> Vec<CloseReason> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Closed { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

fn romeo_with(identity: &Identity) -> Endpoint {
    endpoint_with_identity(jid(ROMEO), identity.clone(), TrustMode::Offer, |_| {})
}

fn say(from: &mut Endpoint, to: &str, body: &str) {
    let m = format!("<message><body>{body}</body></message>");
    from.send(&jid(to), m.as_bytes(), now()).unwrap();
}

/// The old tunnel was opened by the peer that restarts (`by_peer`) or by
/// us; the restarted peer counts its ids from 1 again (`reused`) or not.
fn restart(by_peer: bool, reused: bool) {
    restart_with(by_peer, reused, false);
}

/// [`restart`], where the restarted peer may also have a new key
/// (`new_key`: it lost its stored identity too).
fn restart_with(by_peer: bool, reused: bool, new_key: bool) {
    let identity = Identity::self_signed(&jid(ROMEO)).unwrap();
    let mut j = endpoint(JULIET, TrustMode::Offer);
    let mut r1 = romeo_with(&identity);
    let mut ids1 = Renumber::from(1);
    if by_peer {
        r1.open(&jid(JULIET), now()).unwrap();
    } else {
        j.open(&jid(ROMEO), now()).unwrap();
    }
    pump_renumbered(&mut r1, &mut ids1, &mut j, now());
    say(&mut r1, JULIET, "before");
    pump_renumbered(&mut r1, &mut ids1, &mut j, now());
    assert_eq!(stanzas(&drain(&mut j)).len(), 1);
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Established));

    // Romeo's client restarts with its stored identity and nothing else.
    drop(r1);
    let identity = if new_key {
        Identity::self_signed(&jid(ROMEO)).unwrap()
    } else {
        identity
    };
    let mut r2 = romeo_with(&identity);
    let mut ids2 = Renumber::from(if reused { 1 } else { 1000 });
    r2.open(&jid(JULIET), now()).unwrap();
    say(&mut r2, JULIET, "after");
    pump_renumbered(&mut r2, &mut ids2, &mut j, now());

    let je = drain(&mut j);
    assert_eq!(
        closes(&je),
        vec![CloseReason::PeerRestarted],
        "by_peer {by_peer}, reused {reused}"
    );
    let got = stanzas(&je);
    assert_eq!(got.len(), 1, "by_peer {by_peer}, reused {reused}");
    assert!(got[0].contains("after"));
    assert_eq!(
        r2.tunnel_state(&jid(JULIET)),
        Some(TunnelState::Established)
    );
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Established));
    // Both ways, and nothing waits.
    say(&mut j, ROMEO, "back");
    pump_renumbered(&mut r2, &mut ids2, &mut j, now());
    assert_eq!(stanzas(&drain(&mut r2)).len(), 1);
    assert_eq!((j.poll_timeout(), r2.poll_timeout()), (None, None));
}

#[test]
fn a_restarted_peer_reusing_its_ids_opens_a_new_tunnel() {
    restart(true, true);
}

/// Its start has the old id but a new offer (a new certificate hash): not
/// a copy, so the new tunnel is checked against the new offer.
#[test]
fn a_restarted_peer_with_a_new_key_reusing_its_ids_opens_a_new_tunnel() {
    restart_with(true, true, true);
}

#[test]
fn a_restarted_peer_with_fresh_ids_opens_a_new_tunnel() {
    restart(true, false);
}

#[test]
fn a_restarted_peer_replaces_a_tunnel_we_opened_reused_ids() {
    restart(false, true);
}

#[test]
fn a_restarted_peer_replaces_a_tunnel_we_opened_fresh_ids() {
    restart(false, false);
}

/// XEP-0198 resends what the client did not acknowledge: juliet gets
/// romeo's start and ClientHello twice, the second time after the tunnel is
/// established. Both are answered again; nothing restarts.
#[test]
fn a_start_and_data_delivered_twice_are_answered_again_not_a_restart() {
    let mut r = endpoint(ROMEO, TrustMode::Offer);
    let mut j = endpoint(JULIET, TrustMode::Offer);
    r.open(&jid(JULIET), now()).unwrap();
    let start = r.poll_transmit().unwrap();
    j.handle_incoming(start.as_bytes(), now()).unwrap();
    let proceed = j.poll_transmit().unwrap();
    r.handle_incoming(proceed.as_bytes(), now()).unwrap();
    let hello = r.poll_transmit().unwrap();
    j.handle_incoming(hello.as_bytes(), now()).unwrap();
    pump(&mut r, &mut j, now());
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Established));
    let _ = (drain(&mut r), drain(&mut j));

    for copy in [&start, &hello] {
        j.handle_incoming(copy.as_bytes(), now()).unwrap();
        let answer = parse(&j.poll_transmit().unwrap());
        assert_eq!(answer.attr("type"), Some("result"), "{copy}");
        assert!(j.poll_transmit().is_none());
    }
    assert!(drain(&mut j).is_empty(), "no restart, no event");
    say(&mut r, JULIET, "still here");
    pump(&mut r, &mut j, now());
    assert_eq!(stanzas(&drain(&mut j)).len(), 1);
}

fn start_from(from: &str, id: &str) -> String {
    format!("<iq type='set' id='{id}' from='{from}' to='{JULIET}'><start xmlns='urn:xmpp:tmp:xtls'/></iq>")
}

/// 1,000 starts from distinct JIDs that never send a handshake: the
/// half-open slots hold 16 of them at most, the established tunnel with
/// the nurse survives, and romeo opens a tunnel at once afterwards.
#[test]
fn a_flood_of_starts_does_not_lock_out_an_honest_peer() {
    // TrustMode::Offer refuses a start without an offer: the flood uses
    // trust on first use, where a bare start is accepted.
    let tofu = || TrustMode::TrustOnFirstUse(Default::default());
    let mut r = router(vec![
        endpoint(ROMEO, tofu()),
        endpoint(JULIET, tofu()),
        endpoint(NURSE, tofu()),
    ]);
    open(&mut r, NURSE, JULIET, now());
    r.run(now()).unwrap();
    let _ = events(&mut r, JULIET);
    for i in 0..1000 {
        let from = format!("mallory{i}@evil.example/x");
        r.inject(&from, &jid(JULIET), &start_from(&from, "s1"), now())
            .unwrap();
        r.run(now()).unwrap();
    }
    let j = r.get(&jid(JULIET)).unwrap();
    assert_eq!(j.half_open_count(), 16);
    assert_eq!(j.tunnel_count(), 17, "16 half-open and the nurse's");
    assert_eq!(j.tunnel_state(&jid(NURSE)), Some(TunnelState::Established));
    // 984 were evicted, each told with an event.
    let evicted = events(&mut r, JULIET)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                Event::Closed {
                    reason: CloseReason::Error(Error::TooManyTunnels { limit: 16 }),
                    ..
                }
            )
        })
        .count();
    assert_eq!(evicted, 984);

    open(&mut r, ROMEO, JULIET, now());
    r.run(now()).unwrap();
    assert_eq!(
        r.get(&jid(ROMEO)).unwrap().tunnel_state(&jid(JULIET)),
        Some(TunnelState::Established)
    );
    // The nurse's tunnel still carries stanzas.
    let m = "<message><body>still</body></message>";
    r.get_mut(&jid(NURSE))
        .unwrap()
        .send(&jid(JULIET), m.as_bytes(), now())
        .unwrap();
    r.run(now()).unwrap();
    assert_eq!(stanzas(&events(&mut r, JULIET)).len(), 1);
    // The half-open ones give up after half_open_timeout.
    let later = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now().as_secs() + 10));
    r.get_mut(&jid(JULIET)).unwrap().handle_timeout(later);
    let j = r.get(&jid(JULIET)).unwrap();
    assert_eq!(j.half_open_count(), 0);
    assert_eq!(j.tunnel_count(), 2);
}

/// One account's resources share `max_half_open_per_peer` (2) slots.
#[test]
fn one_account_holds_at_most_two_half_open_tunnels() {
    let mut j = endpoint(JULIET, TrustMode::TrustOnFirstUse(Default::default()));
    for i in 0..10 {
        let from = format!("mallory@evil.example/r{i}");
        j.handle_incoming(start_from(&from, "s").as_bytes(), now())
            .unwrap();
    }
    assert_eq!(j.half_open_count(), 2);
    assert!(j.tunnel_state(&jid("mallory@evil.example/r9")).is_some());
    assert!(j.tunnel_state(&jid("mallory@evil.example/r8")).is_some());
}

/// A restricted gate answers strangers `service-unavailable` before any
/// TLS state is made, and admits listed JIDs and domains.
#[test]
fn the_start_gate_refuses_strangers_before_any_state() {
    let mut j = endpoint(JULIET, TrustMode::TrustOnFirstUse(Default::default()));
    j.restrict_starts(true);
    j.allow_starts_from(&jid("romeo@montague.lit"));
    j.allow_starts_from(&Jid::parse("capulet.lit").unwrap());
    let r = j.handle_incoming(start_from("mallory@evil.example/x", "s").as_bytes(), now());
    assert_eq!(r, Err(Error::Disabled));
    let answer = parse(&j.poll_transmit().unwrap());
    assert_eq!(answer.attr("type"), Some("error"));
    assert!(answer
        .elements()
        .any(|e| e.elements().any(|c| c.name == "service-unavailable")));
    assert_eq!(j.tunnel_count(), 0);
    for ok in [ROMEO, NURSE] {
        j.handle_incoming(start_from(ok, "s").as_bytes(), now())
            .unwrap();
    }
    assert_eq!(j.tunnel_count(), 2);
    assert!(j.revoke_starts_from(&jid("romeo@montague.lit")));
}

/// A TLS 1.3 HelloRetryRequest makes a legitimate client send a second
/// ClientHello during the handshake (RFC 8446 §4.1.4): not a restart. Here
/// the initiator is a plain rustls client whose first key share is P-256,
/// so Juliet (X25519 first) asks again for X25519.
#[test]
fn a_second_client_hello_after_a_hello_retry_request_is_not_a_restart() {
    use rustls::crypto::ring as ring_provider;
    use rustls::pki_types::ServerName;
    use rustls::{ClientConfig, ClientConnection};
    use std::sync::Arc;

    /// A group no server here supports (ffdhe8192 in name only): its key
    /// share makes Juliet ask for another.
    #[derive(Debug)]
    struct Unsupported;
    struct Share(Vec<u8>);
    impl rustls::crypto::ActiveKeyExchange for Share {
        fn complete(
            self: Box<Self>,
            _: &[u8],
        ) -> Result<rustls::crypto::SharedSecret, rustls::Error> {
            Err(rustls::Error::General("never chosen".into()))
        }
        fn pub_key(&self) -> &[u8] {
            &self.0
        }
        fn group(&self) -> rustls::NamedGroup {
            rustls::NamedGroup::FFDHE8192
        }
    }
    impl rustls::crypto::SupportedKxGroup for Unsupported {
        fn start(&self) -> Result<Box<dyn rustls::crypto::ActiveKeyExchange>, rustls::Error> {
            Ok(Box::new(Share(vec![7; 64])))
        }
        fn name(&self) -> rustls::NamedGroup {
            rustls::NamedGroup::FFDHE8192
        }
    }

    let romeo_id = Identity::self_signed(&jid(ROMEO)).unwrap();
    let mut provider = ring_provider::default_provider();
    provider.kx_groups = vec![&Unsupported, ring_provider::kx_group::X25519];
    let config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(ring_provider::default_provider())))
        .with_client_auth_cert(romeo_id.chain().to_vec(), romeo_id.key().clone_key())
        .unwrap();
    let mut client = ClientConnection::new(
        Arc::new(config),
        ServerName::try_from("juliet.invalid").unwrap(),
    )
    .unwrap();

    let mut j = endpoint(JULIET, TrustMode::TrustOnFirstUse(Default::default()));
    j.handle_incoming(start_from(ROMEO, "s1").as_bytes(), now())
        .unwrap();
    while j.poll_transmit().is_some() {}
    let mut hellos = 0;
    for round in 0..6 {
        let mut out = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut out).unwrap();
        }
        if out.is_empty() {
            break;
        }
        // A client without middlebox compatibility mode (RFC 8446 §D.4)
        // sends no ChangeCipherSpec: its second ClientHello starts the
        // flight, as a restarted peer's would. Count the ClientHellos.
        let mut records = Vec::new();
        let mut at = 0;
        while let Some(h) = out.get(at..at + 5) {
            let end = at + 5 + usize::from(u16::from_be_bytes([h[3], h[4]]));
            if h[0] != 20 {
                if h[0] == 22 && out.get(at + 5) == Some(&1) {
                    hellos += 1;
                }
                records.extend_from_slice(&out[at..end]);
            }
            at = end;
        }
        let out = records;
        let method = if round == 0 { " method='x509'" } else { "" };
        let data = format!(
            "<iq type='set' id='d{round}' from='{ROMEO}' to='{JULIET}'><data xmlns='urn:xmpp:tmp:xtls'{method}>{}</data></iq>",
            base64_encode(&out)
        );
        j.handle_incoming(data.as_bytes(), now()).unwrap();
        while let Some(s) = j.poll_transmit() {
            let el = parse(&s);
            let text = el.elements().find(|e| e.name == "data").map(|d| d.text());
            if let Some(text) = text {
                let tls = base64_decode(&text);
                client.read_tls(&mut tls.as_slice()).unwrap();
                client.process_new_packets().unwrap();
            }
        }
    }
    assert_eq!(hellos, 2, "the client answered a HelloRetryRequest");
    assert!(!client.is_handshaking());
    let evs = drain(&mut j);
    assert!(closes(&evs).is_empty(), "no restart: {:?}", closes(&evs));
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Established));
}
