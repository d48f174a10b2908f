//! An endpoint fed arbitrary stanza sequences (split on NUL bytes), after a
//! real start from a peer, with the peer's real handshake traffic mixed in
//! and time passing: no panic, no hang, bounded state, and never an answer
//! awaited without a deadline.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use xmpptls::{Endpoint, EndpointConfig, Identity, Jid, TrustMode, UnixTime};

/// Key generation is slow next to the code under test: one identity per JID
/// for the whole run.
fn identity(jid: &Jid) -> Identity {
    static IDS: OnceLock<[Identity; 2]> = OnceLock::new();
    let ids = IDS.get_or_init(|| {
        ["romeo@montague.lit", "juliet@capulet.lit"]
            .map(|j| Identity::self_signed(&Jid::parse(j).expect("jid")).expect("identity"))
    });
    ids[usize::from(jid.bare_str().starts_with("juliet"))].clone()
}

fn endpoint(jid: &str) -> Endpoint {
    let jid = Jid::parse(jid).expect("jid");
    let id = identity(&jid);
    let mut cfg = EndpointConfig::new(jid, id, TrustMode::Offer);
    cfg.limits.max_tunnels = 4;
    cfg.limits.max_stanza_bytes = 8192;
    Endpoint::new(cfg).expect("endpoint")
}

fuzz_target!(|data: &[u8]| {
    let mut now = UnixTime::since_unix_epoch(Duration::from_secs(1_795_305_600));
    let mut romeo = endpoint("romeo@montague.lit/orchard");
    let mut juliet = endpoint("juliet@capulet.lit/balcony");
    let _ = romeo.open(&Jid::parse("juliet@capulet.lit/balcony").expect("jid"), now);
    for (i, stanza) in data.split(|&b| b == 0).enumerate() {
        // Interleave: a fuzzed stanza, then whatever romeo has to say.
        let _ = juliet.handle_incoming(stanza, now);
        if i % 2 == 0 {
            while let Some(s) = romeo.poll_transmit() {
                let _ = juliet.handle_incoming(s.as_bytes(), now);
            }
            while let Some(s) = juliet.poll_transmit() {
                let _ = romeo.handle_incoming(s.as_bytes(), now);
            }
        }
        while juliet.poll_transmit().is_some() {}
        while juliet.poll_event().is_some() {}
        assert!(juliet.tunnel_count() <= 4);
        for ep in [&romeo, &juliet] {
            assert!(ep.pending_answers() == 0 || ep.poll_timeout().is_some());
        }
        if i % 5 == 4 {
            // Time passes: deadlines fire.
            now = UnixTime::since_unix_epoch(Duration::from_secs(now.as_secs() + 17));
            romeo.handle_timeout(now);
            juliet.handle_timeout(now);
        }
    }
});
