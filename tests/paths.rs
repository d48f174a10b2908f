//! Deadlines that follow the path (`xtls::pacing`): through a simulated
//! server that shapes what it reads from each client (ejabberd's shipped
//! `c2s_shaper`) or holds a client's session (XEP-0198 stream management),
//! a slow path is never mistaken for a dead one, a dead one is noticed
//! within `ack_timeout` of the last acknowledgement, and "send again what
//! came back" never delivers a stanza twice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use xmpptls::{CloseReason, Event, Limits, TrustMode, TunnelState, Wait};
use xmpptls_integration::path::{Link, Path, Shaper};
use xmpptls_integration::*;

const A: usize = 0;
const B: usize = 1;

fn message(i: usize, size: usize) -> String {
    let head = format!("<message id='m{i}'><body>");
    let body = "x".repeat(size.saturating_sub(head.len() + 17));
    format!("{head}{body}</body></message>")
}

fn path(shapers: [Shaper; 2]) -> Path {
    Path::new(
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Offer),
        shapers,
    )
}

/// Romeo opens a tunnel to Juliet and both see it established.
fn establish(p: &mut Path) {
    p.eps[A].open(&jid(JULIET), p.now()).unwrap();
    let end = p.t + 60_000;
    let both = |p: &Path| {
        p.eps[A].tunnel_state(&jid(JULIET)) == Some(TunnelState::Established)
            && p.eps[B].tunnel_state(&jid(ROMEO)) == Some(TunnelState::Established)
    };
    p.run_until(end, |_| {}, both);
    assert!(both(p), "not established");
    // And quiet: every answer (the session tickets' acknowledgements) in.
    let end = p.t + 60_000;
    p.run_until(
        end,
        |_| {},
        |p| p.eps[A].pending_answers() == 0 && p.eps[B].pending_answers() == 0,
    );
}

/// Sends `stanzas` from Romeo as the buffer takes them (an application
/// that waits when `send` says the buffer is full), until all are sent.
fn sender(stanzas: Vec<String>) -> impl FnMut(&mut Path) {
    let mut next = 0;
    move |p: &mut Path| {
        while next < stanzas.len() {
            let at = p.now();
            match p.eps[A].send(&jid(JULIET), stanzas[next].as_bytes(), at) {
                Ok(()) => next += 1,
                Err(xmpptls::Error::BufferFull { .. }) => break,
                Err(e) => panic!("send: {e}"),
            }
        }
    }
}

/// 1 MiB through a hop of 1,000 B/s takes about 23 minutes: with a fixed
/// deadline per data IQ (or a window of 16 full data IQs) the first
/// acknowledgement would take longer than `ack_timeout`.
#[test]
fn a_path_of_1000_octets_a_second_carries_a_mebibyte_without_a_timeout() {
    let mut p = path([Shaper::shaped(1_000, 0), Shaper::shaped(1_000, 0)]);
    establish(&mut p);
    let stanzas: Vec<String> = (0..16).map(|i| message(i, 64 * 1024)).collect();
    let total: usize = stanzas.iter().map(String::len).sum();
    assert!(total >= 1024 * 1024);
    let started = p.t;
    p.run_until(3 * 3_600_000, sender(stanzas.clone()), |p| {
        p.stanzas(B).len() == 16 && p.eps[A].buffered_bytes(&jid(JULIET)) == Some(0)
    });
    assert!(p.closes(A).is_empty() && p.closes(B).is_empty());
    let got = p.stanzas(B);
    assert_eq!(got.len(), 16);
    for (i, s) in got.iter().enumerate() {
        assert!(s.contains(&format!("id='m{i}'")), "in order");
    }
    // It took as long as the hop needs for the base64 text, and not much
    // longer: the window kept the hop busy.
    let secs = (p.t - started) / 1000;
    let wire = total as u64 * 4 / 3 / 1000;
    assert!(secs >= wire, "{secs} s for {wire} s of base64");
    assert!(secs <= wire * 13 / 10, "{secs} s for {wire} s of base64");
    // What Romeo learned of the path: about 750 TLS octets a second.
    let rate = p.eps[A].path_rate(&jid(JULIET)).unwrap();
    assert!((400..1000).contains(&rate), "{rate}");
    assert_eq!(p.eps[A].buffered_bytes(&jid(JULIET)), Some(0));
}

/// ejabberd's shipped configuration reads 3,000 B/s after a 20,000 B burst
/// (PEERS.md): 48 stanzas of 4 KiB sent at once, and one of 100,000 B,
/// all arrive, with no close and nothing handed back (issue 19's failures
/// with a fixed 30 s deadline).
#[test]
fn ejabberds_shaper_delivers_a_burst_and_a_large_stanza_with_no_close() {
    let ejabberd = || Shaper::shaped(3_000, 20_000);
    let mut p = path([ejabberd(), ejabberd()]);
    establish(&mut p);
    let mut stanzas: Vec<String> = (0..48).map(|i| message(i, 4096)).collect();
    stanzas.push(message(48, 100_000));
    p.run_until(3_600_000, sender(stanzas), |p| p.stanzas(B).len() == 49);
    assert_eq!(p.stanzas(B).len(), 49);
    assert!(p.closes(A).is_empty() && p.closes(B).is_empty());
    // And a new tunnel opens at once afterwards (nothing stale queued).
    p.eps[A].close(&jid(JULIET), p.now()).unwrap();
    p.run_until(p.t + 60_000, |_| {}, |p| p.eps[A].tunnel_count() == 0);
    let closed_at = p.t;
    establish(&mut p);
    assert!(p.t - closed_at < 5_000, "{} ms to open", p.t - closed_at);
}

/// A path that goes silent (no FIN, no error) is noticed `ack_timeout`
/// after the last acknowledgement, whether it was fast or shaped.
#[test]
fn a_path_that_goes_silent_is_noticed_within_the_ack_timeout() {
    let deadline = Limits::default().ack_timeout.as_secs() * 1000;
    for shaped in [false, true] {
        let shaper = || {
            if shaped {
                Shaper::shaped(3_000, 20_000)
            } else {
                Shaper::open()
            }
        };
        let mut p = path([shaper(), shaper()]);
        establish(&mut p);
        let stanzas: Vec<String> = (0..200).map(|i| message(i, 4096)).collect();
        // Juliet's connection dies once 20 stanzas have arrived.
        let mut silent_at = None;
        let mut send = sender(stanzas);
        p.run_until(
            3_600_000,
            |p| {
                send(p);
                if silent_at.is_none() && p.stanzas(B).len() >= 20 {
                    p.set_link(B, Link::Silent);
                    silent_at = Some(p.t);
                }
            },
            |p| !p.closes(A).is_empty(),
        );
        let silent_at = silent_at.unwrap();
        let closes = p.closes(A);
        let [(
            at,
            Event::Closed {
                reason, returned, ..
            },
        )] = &closes[..]
        else {
            panic!("{closes:?}");
        };
        assert_eq!(*reason, CloseReason::Timeout(Wait::Ack));
        // Within the deadline of the last sign of life (the last
        // acknowledgement came at or before the silence), whole seconds.
        assert!(
            *at <= silent_at + deadline + 1000,
            "shaped {shaped}: {at} vs {silent_at}"
        );
        assert!(*at >= silent_at, "shaped {shaped}");
        // Everything not acknowledged came back, nothing was lost.
        let arrived = p.stanzas(B).len();
        assert!(
            arrived + returned.len() >= 200,
            "{arrived} + {}",
            returned.len()
        );
    }
}

/// A path that slows down in the middle of a transfer (a shaper's burst
/// used up, a congested link): what the window allowed at the earlier
/// speed is queued at the slow hop, so the oldest data IQ waits far longer
/// than `ack_timeout` for its acknowledgement. Acknowledgements keep
/// coming, so the tunnel is not dead and does not time out.
#[test]
fn a_path_that_slows_down_keeps_its_tunnel_while_acknowledgements_come() {
    let mut p = path([Shaper::open(), Shaper::open()]);
    establish(&mut p);
    let stanzas: Vec<String> = (0..120).map(|i| message(i, 16 * 1024)).collect();
    let mut send = sender(stanzas);
    let mut slowed = false;
    p.run_until(
        3_600_000,
        |p| {
            send(p);
            // Once the window has grown past several data IQs, the hop
            // slows to 3,000 B/s.
            if !slowed && p.stanzas(B).len() >= 20 {
                p.shapers[A] = Shaper::shaped(3_000, 0);
                slowed = true;
            }
        },
        |p| p.stanzas(B).len() == 120,
    );
    assert!(slowed);
    assert_eq!(p.stanzas(B).len(), 120);
    assert!(p.closes(A).is_empty() && p.closes(B).is_empty());
}

/// A `<close/>` for an old tunnel that reaches us while our new start is
/// not answered yet does not end the new tunnel.
#[test]
fn a_late_close_of_an_old_tunnel_does_not_end_the_new_one() {
    let mut r = endpoint(ROMEO, TrustMode::Offer);
    r.open(&jid(JULIET), now()).unwrap();
    let start = parse(&r.poll_transmit().unwrap());
    assert!(start.elements().any(|e| e.name == "start"));
    let close = format!(
        "<iq type='set' id='old-close' from='{JULIET}' to='{ROMEO}'><close xmlns='urn:xmpp:tmp:xtls'/></iq>"
    );
    r.handle_incoming(close.as_bytes(), now()).unwrap();
    let answer = parse(&r.poll_transmit().unwrap());
    assert_eq!(answer.attr("type"), Some("result"));
    assert!(answer.elements().any(|e| e.name == "closed"));
    assert_eq!(r.tunnel_state(&jid(JULIET)), Some(TunnelState::Starting));
    assert!(r.poll_event().is_none());
}

/// Sends again, through a new tunnel, everything a closed tunnel handed
/// back: what issue 19's README told hosts to do.
fn resender() -> impl FnMut(&mut Path) {
    let mut seen = 0;
    move |p: &mut Path| {
        let closes: Vec<Vec<String>> = p.events[A][seen..]
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Closed { returned, .. } => {
                    Some(returned.iter().map(|r| r.stanza.clone()).collect())
                }
                _ => None,
            })
            .collect();
        seen = p.events[A].len();
        for back in closes {
            if back.is_empty() {
                continue;
            }
            let at = p.now();
            if p.eps[A].tunnel_state(&jid(JULIET)).is_none() {
                p.eps[A].open(&jid(JULIET), at).unwrap();
            }
            for s in back {
                p.eps[A].send(&jid(JULIET), s.as_bytes(), at).unwrap();
            }
        }
    }
}

/// Juliet's stanzas, after checking that each of the first `n` sent
/// (`id='m0'`…) arrived exactly once.
fn each_arrived_once(p: &Path, n: usize) -> Vec<String> {
    let got = p.stanzas(B);
    for i in 0..n {
        let times = got
            .iter()
            .filter(|s| s.contains(&format!("id='m{i}'")))
            .count();
        assert_eq!(times, 1, "stanza {i} arrived {times} times");
    }
    got
}

/// An established, quiet tunnel; then Juliet's session is held by the
/// server and Romeo sends five stanzas.
fn held_with_five_sent() -> Path {
    let mut p = path([Shaper::open(), Shaper::open()]);
    establish(&mut p);
    p.set_link(B, Link::Held);
    for i in 0..5 {
        p.eps[A]
            .send(&jid(JULIET), message(i, 200).as_bytes(), p.now())
            .unwrap();
    }
    p
}

/// Juliet's connection drops with stream management on: the server holds
/// her session for two minutes and then she resumes. Romeo's tunnel times
/// out (a held session looks dead), hands the stanzas back, and Romeo sends
/// them again through new tunnels, again and again while she is away.
/// She receives every stanza exactly once.
#[test]
fn a_held_session_that_resumes_receives_every_stanza_once() {
    let mut p = held_with_five_sent();
    let mut resend = resender();
    let back_at = p.t + 120_000;
    p.run_until(back_at, &mut resend, |_| false);
    let timeouts = p.closes(A).len();
    assert!(
        timeouts >= 2,
        "the tunnel and a reopened one timed out: {timeouts}"
    );
    assert!(p.stanzas(B).is_empty());
    p.set_link(B, Link::Up);
    p.run_until(p.t + 300_000, &mut resend, |_| false);
    let got = each_arrived_once(&p, 5);
    assert_eq!(got.len(), 5);
    // Juliet's application saw nothing it must ignore.
    assert!(!p.events[B]
        .iter()
        .any(|(_, e)| matches!(e, Event::StanzaRejected { .. })));
    assert_eq!(p.eps[A].buffered_bytes(&jid(JULIET)), Some(0));
}

/// The same, but Juliet's session is not resumed: the server drops it and
/// answers what it held with `service-unavailable` (here: it never
/// delivers it, and Juliet starts afresh with a new endpoint). Every
/// stanza Romeo sends again arrives once.
#[test]
fn a_held_session_that_is_lost_receives_the_stanzas_sent_again() {
    let mut p = held_with_five_sent();
    let mut resend = resender();
    p.run_until(p.t + 45_000, &mut resend, |_| false);
    // Juliet's client restarts: a new endpoint, nothing of the old one.
    p.eps[B] = endpoint(JULIET, TrustMode::Offer);
    p.set_link(B, Link::Silent);
    p.set_link(B, Link::Up);
    p.run_until(p.t + 300_000, &mut resend, |_| false);
    each_arrived_once(&p, 5);
}
