//! Deterministic output: the same scripted scenario, run twice with the
//! same identities and times, gives the same stanzas in the same order and
//! the same events in the same order, byte for byte once what is random by
//! design is left out: the TLS octets (fresh keys in every handshake) and
//! each endpoint's random IQ id prefix (numbered in order of appearance). With several
//! tunnels at once, an endpoint that kept them in a hash map would order
//! its transmits and its `Closed` events differently from one instance to
//! the next (quinn-proto keeps connections in a slab for the same reason).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use xmpptls::{Endpoint, EndpointConfig, Event, Identity, Jid, TrustMode, UnixTime};
use xmpptls_integration::*;

const HUB: &str = "romeo@montague.lit/orchard";
const PEERS: [&str; 6] = [
    "juliet@capulet.lit/balcony",
    "mercutio@montague.lit/street",
    "benvolio@montague.lit/square",
    "tybalt@capulet.lit/duel",
    "nurse@capulet.lit/kitchen",
    "friar@verona.lit/cell",
];

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(now().as_secs() + secs))
}

/// A stanza with the base64 of every `<data/>` left out, and the value of
/// each `ack` offset (a TLS stream length: signatures vary in length from
/// one handshake to the next).
fn without_tls(s: &str) -> String {
    let out = without_base64(s);
    let mut clean = String::new();
    let mut rest = out.as_str();
    while let Some(i) = rest.find(" ack='") {
        let start = i + " ack='".len();
        clean.push_str(&rest[..start]);
        clean.push('n');
        rest = rest[start..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    clean.push_str(rest);
    clean
}

/// A stanza with the base64 of every `<data/>` left out.
fn without_base64(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("<data") {
        let Some(open_end) = rest[i..].find('>') else {
            break;
        };
        let body = i + open_end + 1;
        out.push_str(&rest[..body]);
        if rest[i..body].ends_with("/>") {
            rest = &rest[body..];
            continue;
        }
        match rest[body..].find("</data>") {
            Some(close) => rest = &rest[body + close..],
            None => {
                rest = &rest[body..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `xtls-<random>-N` ids with each random prefix replaced by its number in
/// order of first appearance.
fn canonical_ids(line: &str, prefixes: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find("id='xtls-") {
        let start = i + "id='xtls-".len();
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail.find('-').unwrap_or(tail.len());
        let prefix = &tail[..end];
        let n = match prefixes.iter().position(|p| p == prefix) {
            Some(n) => n,
            None => {
                prefixes.push(prefix.to_owned());
                prefixes.len() - 1
            }
        };
        out.push_str(&format!("p{n}"));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn event_line(e: &Event) -> String {
    match e {
        Event::Established { peer, .. } => format!("established {peer}"),
        Event::Stanza { peer, stanza } => format!("stanza {peer} {stanza}"),
        Event::StanzaRejected { peer, error } => format!("rejected {peer} {error}"),
        Event::Closed {
            peer,
            reason,
            returned,
        } => {
            format!("closed {peer} {reason:?} returned {}", returned.len())
        }
        other => format!("{other:?}"),
    }
}

/// The hub opens a tunnel to every peer in one turn, sends each a message,
/// the peers answer, then the peers go silent with stanzas in flight and
/// every tunnel times out at the same moment. Returns every stanza the hub
/// wrote (TLS octets left out) and every event it reported, in order.
fn scenario(ids: &[Identity]) -> Vec<String> {
    let mk = |j: &str, id: &Identity| {
        let cfg = EndpointConfig::new(Jid::parse(j).unwrap(), id.clone(), TrustMode::Offer);
        Endpoint::new(cfg).unwrap()
    };
    let mut hub = mk(HUB, &ids[0]);
    let mut peers: Vec<Endpoint> = PEERS
        .iter()
        .zip(&ids[1..])
        .map(|(j, id)| mk(j, id))
        .collect();
    let mut log = Vec::new();
    let route = |hub: &mut Endpoint, peers: &mut [Endpoint], t: UnixTime, log: &mut Vec<String>| loop {
        let mut moved = false;
        while let Some(s) = hub.poll_transmit() {
            log.push(format!("out {}", without_tls(&s)));
            let to = xmpptls::xml::parse(s.as_bytes(), &Default::default())
                .unwrap()
                .attr("to")
                .map(str::to_owned)
                .unwrap();
            if let Some(p) = peers.iter_mut().find(|p| p.local_jid().to_string() == to) {
                let _ = p.handle_incoming(s.as_bytes(), t);
            }
            moved = true;
        }
        for p in peers.iter_mut() {
            while let Some(s) = p.poll_transmit() {
                let _ = hub.handle_incoming(s.as_bytes(), t);
                moved = true;
            }
        }
        while let Some(e) = hub.poll_event() {
            log.push(event_line(&e));
        }
        if !moved {
            return;
        }
    };
    for p in PEERS {
        hub.open(&jid(p), at(0)).unwrap();
    }
    route(&mut hub, &mut peers, at(0), &mut log);
    for p in PEERS {
        let m = format!("<message type='chat'><body>to {p}</body></message>");
        hub.send(&jid(p), m.as_bytes(), at(1)).unwrap();
    }
    route(&mut hub, &mut peers, at(1), &mut log);
    for (p, ep) in PEERS.iter().zip(peers.iter_mut()) {
        let m = format!("<message type='chat'><body>from {p}</body></message>");
        ep.send(&jid(HUB), m.as_bytes(), at(2)).unwrap();
    }
    route(&mut hub, &mut peers, at(2), &mut log);
    // The peers go silent: what the hub sends now is never answered.
    for p in PEERS {
        let m = format!("<message type='chat'><body>lost to {p}</body></message>");
        hub.send(&jid(p), m.as_bytes(), at(3)).unwrap();
    }
    while let Some(s) = hub.poll_transmit() {
        log.push(format!("out {}", without_tls(&s)));
    }
    let deadline = hub.poll_timeout().expect("a deadline");
    hub.handle_timeout(deadline);
    while let Some(s) = hub.poll_transmit() {
        log.push(format!("out {}", without_tls(&s)));
    }
    while let Some(e) = hub.poll_event() {
        log.push(event_line(&e));
    }
    let mut prefixes = Vec::new();
    log.iter()
        .map(|l| canonical_ids(l, &mut prefixes))
        .collect()
}

#[test]
fn the_same_scenario_gives_the_same_output() {
    let mut ids = vec![Identity::self_signed(&jid(HUB)).unwrap()];
    ids.extend(
        PEERS
            .iter()
            .map(|p| Identity::self_signed(&jid(p)).unwrap()),
    );
    let first = scenario(&ids);
    assert!(
        first.iter().filter(|l| l.starts_with("closed ")).count() == PEERS.len(),
        "every tunnel timed out: {first:#?}"
    );
    assert!(
        first
            .iter()
            .filter(|l| l.starts_with("established "))
            .count()
            == PEERS.len()
    );
    for run in 0..3 {
        let again = scenario(&ids);
        assert_eq!(first, again, "run {run}");
    }
}
