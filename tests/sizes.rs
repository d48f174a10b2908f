//! Stanzas of the sizes applications send, both ways, and sending that is
//! atomic and bounded (issue "XTLS on real servers", bug 1: stanzas over
//! ~64 KiB broke the tunnel silently, and so did more than 64 KiB sent
//! before the handshake).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use xmpptls::xml::{self, XmlLimits};
use xmpptls::xtls::router::MemoryRouter;
use xmpptls::{Error, Event, Limits, TrustMode, TunnelState};
use xmpptls_integration::*;

/// A message of exactly `size` octets.
fn message(size: usize, fill: char) -> String {
    let (open, close) = ("<message><body>", "</body></message>");
    let body: String = std::iter::repeat_n(fill, size - open.len() - close.len()).collect();
    let s = format!("{open}{body}{close}");
    assert_eq!(s.len(), size);
    s
}

/// The body of a delivered message (routing restored, so compare bodies;
/// restoring it can take a stanza past `max_stanza_bytes`).
fn body(stanza: &str) -> String {
    let limits = XmlLimits {
        max_bytes: 1 << 20,
        ..XmlLimits::default()
    };
    xml::parse(stanza.as_bytes(), &limits)
        .unwrap()
        .elements()
        .find(|e| e.name == "body")
        .map(|b| b.text())
        .unwrap_or_default()
}

fn pair(tweak: impl Fn(&mut Limits) + Copy) -> MemoryRouter {
    let mut r = router(vec![
        endpoint_with(ROMEO, TrustMode::Offer, |c| tweak(&mut c.limits)),
        endpoint_with(JULIET, TrustMode::Offer, |c| tweak(&mut c.limits)),
    ]);
    r.record = false;
    r
}

fn established(tweak: impl Fn(&mut Limits) + Copy) -> MemoryRouter {
    let mut r = pair(tweak);
    open(&mut r, ROMEO, JULIET, now());
    r.run(now()).unwrap();
    let _ = (events(&mut r, ROMEO), events(&mut r, JULIET));
    r
}

/// The sizes that matter: the smallest stanzas, every TLS record boundary
/// (16 KiB of plaintext) and data IQ boundary (32 KiB of TLS) with the
/// record overhead around them, 64 KiB ± one record (where rustls's own
/// buffer used to cut stanzas), 100 KB, and the largest allowed.
fn sizes(max: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (32..=40).collect();
    for k in [1usize, 2, 3, 4, 5, 6, 7, 8] {
        for d in [-30i64, -29, -22, -1, 0, 1, 22, 29] {
            v.push((k as i64 * 16384 + d) as usize);
        }
    }
    v.extend([
        65536 - 16384,
        65_500,
        65_600,
        65536 + 16384,
        100_000,
        max - 1,
        max,
    ]);
    v.retain(|&s| (32..=max).contains(&s));
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn every_size_up_to_max_stanza_bytes_arrives_whole_both_ways() {
    let max = Limits::default().max_stanza_bytes;
    for in_flight in [16usize, 1] {
        let mut r = established(|l| l.max_in_flight = in_flight);
        for (from, to) in [(ROMEO, JULIET), (JULIET, ROMEO)] {
            for size in sizes(max) {
                let m = message(size, 'a');
                r.get_mut(&jid(from))
                    .unwrap()
                    .send(&jid(to), m.as_bytes(), now())
                    .unwrap();
                r.run(now()).unwrap();
                let got = stanzas(&events(&mut r, to));
                assert_eq!(got.len(), 1, "{size} octets, window {in_flight}");
                assert_eq!(body(&got[0]), body(&m), "{size} octets");
            }
        }
        for j in [ROMEO, JULIET] {
            let ep = r.get(&jid(j)).unwrap();
            let peer = jid(if j == ROMEO { JULIET } else { ROMEO });
            assert_eq!(ep.tunnel_state(&peer), Some(TunnelState::Established));
            assert_eq!(ep.buffered_bytes(&peer), Some(0), "all acknowledged");
        }
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }
}

#[test]
fn sizes_sent_in_one_turn_arrive_in_order() {
    let mut r = established(|_| {});
    let all: Vec<String> = sizes(Limits::default().max_stanza_bytes)
        .into_iter()
        .enumerate()
        .map(|(i, s)| message(s, char::from(b'a' + (i % 26) as u8)))
        .collect();
    // Without routing in between: they wait for the window, in order
    // (about 2 MB, sent in pieces of what the buffer takes).
    let mut sent = 0;
    for chunk in all.chunks(8) {
        for m in chunk {
            r.get_mut(&jid(ROMEO))
                .unwrap()
                .send(&jid(JULIET), m.as_bytes(), now())
                .unwrap();
        }
        sent += chunk.len();
        r.run(now()).unwrap();
    }
    let got = stanzas(&events(&mut r, JULIET));
    assert_eq!(got.len(), sent);
    for (g, m) in got.iter().zip(&all) {
        assert_eq!(body(g), body(m));
    }
}

#[test]
fn a_mebibyte_sent_before_the_handshake_is_delivered_in_order() {
    let mut r = pair(|_| {});
    open(&mut r, ROMEO, JULIET, now());
    let limit = Limits::default().max_buffered_bytes;
    let romeo = r.get_mut(&jid(ROMEO)).unwrap();
    // 1,048,576 octets exactly: 1,024 stanzas of 1,024.
    let all: Vec<String> = (0..1024)
        .map(|i| message(1024, char::from(b'a' + (i % 26) as u8)))
        .collect();
    for m in &all {
        romeo.send(&jid(JULIET), m.as_bytes(), now()).unwrap();
    }
    assert_eq!(romeo.buffered_bytes(&jid(JULIET)), Some(limit));
    // One more octet is refused whole; nothing already queued changes.
    assert_eq!(
        romeo.send(&jid(JULIET), message(32, 'z').as_bytes(), now()),
        Err(Error::BufferFull { limit })
    );
    assert_eq!(romeo.buffered_bytes(&jid(JULIET)), Some(limit));
    r.run(now()).unwrap();
    let got = stanzas(&events(&mut r, JULIET));
    assert_eq!(got.len(), all.len());
    assert!(got.iter().zip(&all).all(|(g, m)| body(g) == body(m)));
    assert_eq!(
        r.get(&jid(ROMEO)).unwrap().buffered_bytes(&jid(JULIET)),
        Some(0)
    );
    // And the tunnel goes on.
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .send(&jid(JULIET), message(40, 'q').as_bytes(), now())
        .unwrap();
    r.run(now()).unwrap();
    assert_eq!(stanzas(&events(&mut r, JULIET)).len(), 1);
}

/// Stanzas sent before the handshake share records: 70 stanzas of 1 KB
/// (bug 1's reproduction) travel in a handful of data IQs, not 70.
#[test]
fn early_stanzas_share_records_and_data_iqs() {
    let mut r = pair(|_| {});
    r.record = true;
    open(&mut r, ROMEO, JULIET, now());
    for i in 0..70 {
        let m = message(1000, char::from(b'a' + (i % 26) as u8));
        r.get_mut(&jid(ROMEO))
            .unwrap()
            .send(&jid(JULIET), m.as_bytes(), now())
            .unwrap();
    }
    r.run(now()).unwrap();
    assert_eq!(stanzas(&events(&mut r, JULIET)).len(), 70);
    let data_iqs = r
        .log
        .iter()
        .filter(|w| w.from == ROMEO && w.stanza.contains("<data "))
        .count();
    // ClientHello, client Finished + 70 KB of stanzas in data IQs of one
    // 6 KiB record each (DEFAULT_DATA_BYTES): 14 at most, not 70.
    assert!(data_iqs <= 14, "{data_iqs} data IQs");
}

#[test]
fn a_send_over_a_limit_fails_whole_and_later_sends_arrive() {
    let max = Limits::default().max_stanza_bytes;
    let mut r = established(|l| l.max_buffered_bytes = 200_000);
    let romeo = r.get_mut(&jid(ROMEO)).unwrap();
    // Larger than max_stanza_bytes: refused before anything is written.
    assert_eq!(
        romeo.send(&jid(JULIET), message(max + 1, 'x').as_bytes(), now()),
        Err(Error::PayloadTooLarge {
            size: max + 1,
            limit: max
        })
    );
    assert_eq!(romeo.buffered_bytes(&jid(JULIET)), Some(0));
    // Over the buffer: the second 128 KiB stanza does not fit beside the
    // first (nothing is routed, so nothing is acknowledged).
    romeo
        .send(&jid(JULIET), message(max, 'a').as_bytes(), now())
        .unwrap();
    assert_eq!(
        romeo.send(&jid(JULIET), message(max, 'b').as_bytes(), now()),
        Err(Error::BufferFull { limit: 200_000 })
    );
    romeo
        .send(&jid(JULIET), message(1000, 'c').as_bytes(), now())
        .unwrap();
    r.run(now()).unwrap();
    let got = stanzas(&events(&mut r, JULIET));
    let bodies: Vec<char> = got
        .iter()
        .map(|g| body(g).chars().next().unwrap())
        .collect();
    assert_eq!(bodies, vec!['a', 'c'], "the refused stanza left no trace");
    assert_eq!(
        r.get(&jid(JULIET)).unwrap().tunnel_state(&jid(ROMEO)),
        Some(TunnelState::Established)
    );
    // Once acknowledged, the room is back.
    let romeo = r.get_mut(&jid(ROMEO)).unwrap();
    assert_eq!(romeo.buffered_bytes(&jid(JULIET)), Some(0));
    romeo
        .send(&jid(JULIET), message(max, 'b').as_bytes(), now())
        .unwrap();
    r.run(now()).unwrap();
    assert_eq!(stanzas(&events(&mut r, JULIET)).len(), 1);
}

/// What the receiver delivers is never a piece of a stanza: a stanza cut by
/// a broken tunnel is dropped with the tunnel, and every stanza that is
/// delivered is whole.
#[test]
fn a_tunnel_that_breaks_mid_stanza_delivers_nothing_partial() {
    let mut r = established(|_| {});
    let big = message(100_000, 'p');
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .send(&jid(JULIET), big.as_bytes(), now())
        .unwrap();
    // Deliver only romeo's first data IQ (32 KiB of the 100 KB), then the
    // peer goes away.
    let first = r.get_mut(&jid(ROMEO)).unwrap().poll_transmit().unwrap();
    r.get_mut(&jid(JULIET))
        .unwrap()
        .handle_incoming(first.as_bytes(), now())
        .unwrap();
    assert!(stanzas(&events(&mut r, JULIET)).is_empty());
    r.get_mut(&jid(JULIET))
        .unwrap()
        .peer_unavailable(&jid(ROMEO));
    let evs = events(&mut r, JULIET);
    assert!(stanzas(&evs).is_empty());
    assert!(matches!(&evs[..], [Event::Closed { .. }]));
    // Romeo's side hands the stanza back when it learns of it.
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .peer_unavailable(&jid(JULIET));
    match &events(&mut r, ROMEO)[..] {
        [Event::Closed { returned, .. }] => {
            assert_eq!(returned.len(), 1);
            assert!(returned[0].maybe_delivered);
            assert_eq!(body(&returned[0].stanza), body(&big));
            assert!(returned[0].stanza.contains(&format!("to='{JULIET}'")));
        }
        other => panic!("{other:?}"),
    }
}

/// Every data IQ carries whole TLS records when they fit: the receiver can
/// decrypt each IQ as it arrives instead of waiting for the next one.
#[test]
fn data_iqs_carry_whole_records() {
    let mut r = established(|_| {});
    r.record = true;
    for size in [100_000, 40_000, 128 * 1024] {
        r.get_mut(&jid(ROMEO))
            .unwrap()
            .send(&jid(JULIET), message(size, 'r').as_bytes(), now())
            .unwrap();
    }
    r.run(now()).unwrap();
    assert_eq!(stanzas(&events(&mut r, JULIET)).len(), 3);
    let mut checked = 0;
    for w in r
        .log
        .iter()
        .filter(|w| w.from == ROMEO && w.stanza.contains("<data "))
    {
        let b64 = parse(&w.stanza).elements().next().unwrap().text();
        let tls = base64_decode(&b64);
        let mut at = 0;
        while at < tls.len() {
            assert!(at + 5 <= tls.len(), "a record header cut at {at}");
            let len = usize::from(u16::from_be_bytes([tls[at + 3], tls[at + 4]]));
            at += 5 + len;
        }
        assert_eq!(at, tls.len(), "a record cut at the end of a data IQ");
        assert!(tls.len() <= Limits::default().max_data_bytes);
        checked += 1;
    }
    assert!(checked >= 9, "{checked} data IQs");
}

/// Limits no tunnel could work with are refused when the endpoint is made,
/// not found out as a tunnel that never sends.
#[test]
fn unworkable_limits_are_refused() {
    for tweak in [
        |l: &mut Limits| l.max_data_bytes = 29,
        |l: &mut Limits| l.max_in_flight = 0,
        |l: &mut Limits| l.max_buffered_bytes = l.max_stanza_bytes - 1,
        |l: &mut Limits| l.max_tunnels = 0,
    ] {
        let mut cfg = xmpptls::EndpointConfig::new(
            jid(ROMEO),
            xmpptls::Identity::self_signed(&jid(ROMEO)).unwrap(),
            TrustMode::Offer,
        );
        tweak(&mut cfg.limits);
        assert!(matches!(xmpptls::Endpoint::new(cfg), Err(Error::Config(_))));
    }
    // The smallest workable data IQ still carries a 128 KiB stanza.
    let mut r = established(|l| l.max_data_bytes = 256);
    let m = message(128 * 1024, 's');
    r.get_mut(&jid(ROMEO))
        .unwrap()
        .send(&jid(JULIET), m.as_bytes(), now())
        .unwrap();
    r.run(now()).unwrap();
    assert_eq!(stanzas(&events(&mut r, JULIET)).len(), 1);
}
