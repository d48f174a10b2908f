//! Every answer a tunnel waits for has a deadline (`poll_timeout` /
//! `handle_timeout`, quinn-proto's shape); on expiry the tunnel closes with
//! a typed reason and hands back what the peer did not acknowledge. Also
//! the hints that keep round trips at a real server's speed: the answer
//! carrying the reply (`<piggyback/>`) or travelling behind the data, the
//! keepalive hint, and stanzas of one turn sharing a data IQ.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use xmpptls::xtls::router::MemoryRouter;
use xmpptls::{CloseReason, Endpoint, Event, TrustMode, TunnelState, UnixTime, Wait};
use xmpptls_integration::*;

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(now().as_secs() + secs))
}

fn msg(body: &str) -> String {
    format!("<message><body>{body}</body></message>")
}

fn pair() -> (Endpoint, Endpoint) {
    (
        endpoint(ROMEO, TrustMode::Offer),
        endpoint(JULIET, TrustMode::Offer),
    )
}

fn drain(ep: &mut Endpoint) -> Vec<Event> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

fn closed(evs: &[Event]) -> Option<(CloseReason, Vec<(String, bool)>)> {
    evs.iter().find_map(|e| match e {
        Event::Closed {
            reason, returned, ..
        } => Some((
            reason.clone(),
            returned
                .iter()
                .map(|r| (r.stanza.clone(), r.maybe_delivered))
                .collect(),
        )),
        _ => None,
    })
}

fn established() -> (Endpoint, Endpoint) {
    let (mut r, mut j) = pair();
    r.open(&jid(JULIET), now()).unwrap();
    pump(&mut r, &mut j, now());
    let _ = (drain(&mut r), drain(&mut j));
    let _ = (r.poll_keepalive(), j.poll_keepalive());
    (r, j)
}

#[test]
fn an_unanswered_start_times_out_and_hands_back_what_waited() {
    let (mut r, _) = pair();
    assert_eq!(r.poll_timeout(), None, "nothing to wait for");
    r.open(&jid(JULIET), now()).unwrap();
    r.send(&jid(JULIET), msg("early").as_bytes(), now())
        .unwrap();
    // The start is lost on the way.
    while r.poll_transmit().is_some() {}
    assert_eq!(r.poll_timeout(), Some(at(30)));
    r.handle_timeout(at(29));
    assert_eq!(r.tunnel_state(&jid(JULIET)), Some(TunnelState::Starting));
    r.handle_timeout(at(30));
    assert_eq!(r.tunnel_count(), 0);
    let (reason, returned) = closed(&drain(&mut r)).unwrap();
    assert_eq!(reason, CloseReason::Timeout(Wait::Proceed));
    assert_eq!(returned.len(), 1);
    assert!(
        returned[0].0.contains("early") && !returned[0].1,
        "never left"
    );
    // The peer is told, in case the start did arrive.
    let close = parse(&r.poll_transmit().unwrap());
    assert!(close.elements().any(|c| c.name == "close"));
    assert_eq!(r.poll_timeout(), None);
    assert_eq!(r.pending_answers(), 0);
}

#[test]
fn a_stalled_handshake_times_out_on_both_sides() {
    let (mut r, mut j) = pair();
    r.open(&jid(JULIET), now()).unwrap();
    // start → juliet, proceed → romeo, then romeo's ClientHello is lost.
    let start = r.poll_transmit().unwrap();
    j.handle_incoming(start.as_bytes(), now()).unwrap();
    let proceed = j.poll_transmit().unwrap();
    r.handle_incoming(proceed.as_bytes(), at(1)).unwrap();
    while r.poll_transmit().is_some() {}
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Handshaking));
    // Juliet answered a start whose ClientHello never came: a half-open
    // tunnel, given up after the short `half_open_timeout` (10 s).
    assert_eq!(j.half_open_count(), 1);
    assert_eq!(j.poll_timeout(), Some(at(10)));
    // Romeo's ClientHello waits for its acknowledgement and the handshake:
    // both 30 s from when it went out.
    assert_eq!(r.poll_timeout(), Some(at(31)));
    j.handle_timeout(at(10));
    assert_eq!(
        closed(&drain(&mut j)).unwrap().0,
        CloseReason::Timeout(Wait::Handshake)
    );
    r.handle_timeout(at(31));
    let reason = closed(&drain(&mut r)).unwrap().0;
    assert!(
        matches!(reason, CloseReason::Timeout(Wait::Handshake | Wait::Ack)),
        "{reason:?}"
    );
}

#[test]
fn a_lost_acknowledgement_times_out_and_hands_back_the_stanzas() {
    let (mut r, mut j) = established();
    r.send(&jid(JULIET), msg("one").as_bytes(), at(5)).unwrap();
    r.send(&jid(JULIET), msg("two").as_bytes(), at(5)).unwrap();
    // Both share one data IQ; juliet gets it, her acknowledgement is lost.
    let data = r.poll_transmit().unwrap();
    assert!(r.poll_transmit().is_none(), "one data IQ for the turn");
    j.handle_incoming(data.as_bytes(), at(6)).unwrap();
    assert_eq!(stanzas(&drain(&mut j)).len(), 2);
    while j.poll_transmit().is_some() {}
    assert_eq!(r.poll_timeout(), Some(at(35)));
    r.handle_timeout(at(35));
    let (reason, returned) = closed(&drain(&mut r)).unwrap();
    assert_eq!(reason, CloseReason::Timeout(Wait::Ack));
    // Both may have arrived (they did): the application decides.
    assert_eq!(returned.len(), 2);
    assert!(returned.iter().all(|(_, maybe)| *maybe));
    assert!(returned[0].0.contains("one") && returned[1].0.contains("two"));
    // Juliet drops her side on romeo's <close/>.
    let close = r.poll_transmit().unwrap();
    j.handle_incoming(close.as_bytes(), at(35)).unwrap();
    assert_eq!(closed(&drain(&mut j)).unwrap().0, CloseReason::Peer);
}

#[test]
fn an_unanswered_close_times_out() {
    let (mut r, _) = established();
    r.close(&jid(JULIET), at(3)).unwrap();
    while r.poll_transmit().is_some() {}
    // close_notify in a data IQ first: its acknowledgement, then <closed/>,
    // are awaited.
    assert_eq!(r.poll_timeout(), Some(at(33)));
    r.handle_timeout(at(33));
    assert_eq!(
        closed(&drain(&mut r)).unwrap().0,
        CloseReason::Timeout(Wait::Ack)
    );
}

#[test]
fn a_close_answered_by_nothing_but_the_ack_times_out_on_closed() {
    let (mut r, mut j) = established();
    r.close(&jid(JULIET), at(3)).unwrap();
    // close_notify arrives and is acknowledged; the <close/> then is lost.
    let data = r.poll_transmit().unwrap();
    j.handle_incoming(data.as_bytes(), at(3)).unwrap();
    let ack = j.poll_transmit().unwrap();
    r.handle_incoming(ack.as_bytes(), at(4)).unwrap();
    let close = r.poll_transmit().unwrap();
    assert!(close.contains("<close "), "{close}");
    assert_eq!(r.poll_timeout(), Some(at(14)));
    r.handle_timeout(at(14));
    assert_eq!(
        closed(&drain(&mut r)).unwrap().0,
        CloseReason::Timeout(Wait::Closed)
    );
    assert_eq!(r.pending_answers(), 0);
}

#[test]
fn an_idle_established_tunnel_has_no_deadline() {
    let (mut r, mut j) = established();
    assert_eq!((r.poll_timeout(), j.poll_timeout()), (None, None));
    r.send(&jid(JULIET), msg("x").as_bytes(), at(1)).unwrap();
    pump(&mut r, &mut j, at(1));
    assert_eq!((r.poll_timeout(), j.poll_timeout()), (None, None));
    r.handle_timeout(at(10_000));
    assert_eq!(r.tunnel_state(&jid(JULIET)), Some(TunnelState::Established));
}

#[test]
fn late_answers_after_a_timeout_are_absorbed() {
    let (mut r, mut j) = pair();
    r.open(&jid(JULIET), now()).unwrap();
    let start = r.poll_transmit().unwrap();
    r.handle_timeout(at(30));
    let _ = drain(&mut r);
    while r.poll_transmit().is_some() {}
    // The start arrives late; juliet's proceed reaches a romeo who gave up.
    j.handle_incoming(start.as_bytes(), at(31)).unwrap();
    let proceed = j.poll_transmit().unwrap();
    assert_eq!(
        r.handle_incoming(proceed.as_bytes(), at(31)),
        Ok(xmpptls::Incoming::Handled)
    );
    assert_eq!(r.tunnel_count(), 0);
    // Juliet's side goes when its own handshake deadline passes.
    j.handle_timeout(at(61));
    assert_eq!(j.tunnel_count(), 0);
}

#[test]
fn a_restarted_peer_replaces_the_tunnel_and_gets_the_stanzas_back() {
    let (_romeo, mut j) = established();
    // Juliet sends; romeo's client restarts before acknowledging.
    j.send(&jid(ROMEO), msg("are you there").as_bytes(), at(1))
        .unwrap();
    while j.poll_transmit().is_some() {}
    let mut r2 = endpoint(ROMEO, TrustMode::Offer);
    r2.open(&jid(JULIET), at(2)).unwrap();
    r2.send(&jid(JULIET), msg("back again").as_bytes(), at(2))
        .unwrap();
    pump(&mut r2, &mut j, at(2));
    let je = drain(&mut j);
    let (reason, returned) = closed(&je).unwrap();
    assert_eq!(reason, CloseReason::PeerRestarted);
    assert_eq!(returned.len(), 1);
    assert!(returned[0].0.contains("are you there") && returned[0].1);
    assert!(stanzas(&je)[0].contains("back again"));
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Established));
}

/// Piggyback: an answer sent in the same turn rides in the IQ result that
/// acknowledges the request, two stanzas per exchange instead of four. The
/// requester confirms it with the `ack` offset of its next data, or, when
/// its output after the read has none, with an empty `<data ack='…'/>`.
#[test]
fn the_answer_of_the_same_turn_rides_in_the_acknowledgement() {
    let (mut r, mut j) = established();
    r.send(&jid(JULIET), msg("ping").as_bytes(), at(1)).unwrap();
    let data = r.poll_transmit().unwrap();
    j.handle_incoming(data.as_bytes(), at(1)).unwrap();
    // Juliet answers in the same turn, before polling her output.
    assert_eq!(stanzas(&drain(&mut j)).len(), 1);
    j.send(&jid(ROMEO), msg("pong").as_bytes(), at(1)).unwrap();
    let out: Vec<String> = std::iter::from_fn(|| j.poll_transmit()).collect();
    assert_eq!(out.len(), 1, "{out:?}");
    let result = parse(&out[0]);
    assert_eq!(result.attr("type"), Some("result"));
    assert_eq!(result.attr("id"), parse(&data).attr("id"));
    assert!(result
        .elements()
        .any(|d| d.name == "data" && !d.text().is_empty()));
    r.handle_incoming(out[0].as_bytes(), at(1)).unwrap();
    assert!(stanzas(&drain(&mut r))[0].contains("pong"));
    // Romeo's request is confirmed; juliet's answer waits for his ack.
    assert_eq!(r.buffered_bytes(&jid(JULIET)), Some(0));
    assert_eq!(j.buffered_bytes(&jid(ROMEO)), Some(msg("pong").len()));
    // His next request, sent in the same turn, carries the ack.
    r.send(&jid(JULIET), msg("ping 2").as_bytes(), at(1))
        .unwrap();
    let next: Vec<String> = std::iter::from_fn(|| r.poll_transmit()).collect();
    assert_eq!(next.len(), 1, "{next:?}");
    assert!(next[0].contains(" ack='"), "{}", next[0]);
    j.handle_incoming(next[0].as_bytes(), at(1)).unwrap();
    assert_eq!(j.buffered_bytes(&jid(ROMEO)), Some(0));
    // Nothing from romeo after juliet's next answer: the ack goes alone,
    // at once, and carries no TLS octets.
    j.send(&jid(ROMEO), msg("pong 2").as_bytes(), at(1))
        .unwrap();
    let answer = j.poll_transmit().unwrap();
    r.handle_incoming(answer.as_bytes(), at(1)).unwrap();
    let alone = r.poll_transmit().unwrap();
    assert!(
        alone.contains("<data xmlns='urn:xmpp:tmp:xtls' ack='") && alone.ends_with("/></iq>"),
        "{alone}"
    );
    assert!(r.poll_transmit().is_none());
    j.handle_incoming(alone.as_bytes(), at(1)).unwrap();
    assert_eq!(j.buffered_bytes(&jid(ROMEO)), Some(0));
    pump(&mut r, &mut j, at(1));
    assert_eq!((r.poll_timeout(), j.poll_timeout()), (None, None));
    assert_eq!((r.pending_answers(), j.pending_answers()), (0, 0));
}

/// Piggyback is negotiated: `<piggyback/>` in the start, echoed in the
/// proceed only when the responder has it on too; the server's handshake
/// flight then rides in the answer to the ClientHello.
#[test]
fn piggyback_is_used_only_when_both_ends_offer_it() {
    for (r_on, j_on) in [(true, true), (true, false), (false, true)] {
        let mut r = endpoint_with(ROMEO, TrustMode::Offer, |c| c.piggyback = r_on);
        let mut j = endpoint_with(JULIET, TrustMode::Offer, |c| c.piggyback = j_on);
        r.open(&jid(JULIET), now()).unwrap();
        let start = r.poll_transmit().unwrap();
        assert_eq!(start.contains("<piggyback/>"), r_on, "{start}");
        j.handle_incoming(start.as_bytes(), now()).unwrap();
        let proceed = j.poll_transmit().unwrap();
        assert_eq!(proceed.contains("<piggyback/>"), r_on && j_on, "{proceed}");
        r.handle_incoming(proceed.as_bytes(), now()).unwrap();
        let hello = r.poll_transmit().unwrap();
        j.handle_incoming(hello.as_bytes(), now()).unwrap();
        let flight = j.poll_transmit().unwrap();
        let answer = parse(&flight);
        if r_on && j_on {
            assert_eq!(answer.attr("type"), Some("result"), "{flight}");
            assert_eq!(answer.attr("id"), parse(&hello).attr("id"));
        } else {
            assert_eq!(answer.attr("type"), Some("set"), "{flight}");
        }
        assert!(flight.contains("<data"));
        r.handle_incoming(flight.as_bytes(), now()).unwrap();
        pump(&mut r, &mut j, now());
        assert_eq!(r.tunnel_state(&jid(JULIET)), Some(TunnelState::Established));
        assert_eq!((r.pending_answers(), j.pending_answers()), (0, 0));
    }
}

/// A stream resumed with XEP-0198 delivers an answer that carried data a
/// second time: the copy is absorbed by id, its octets are not read again.
/// An answer whose data is not TLS closes the tunnel: the stream lost
/// octets, and a result gets no error to say so.
#[test]
fn an_answer_with_data_is_read_once_and_bad_data_in_one_closes() {
    let (mut r, mut j) = established();
    r.send(&jid(JULIET), msg("ping").as_bytes(), at(1)).unwrap();
    let data = r.poll_transmit().unwrap();
    j.handle_incoming(data.as_bytes(), at(1)).unwrap();
    j.send(&jid(ROMEO), msg("pong").as_bytes(), at(1)).unwrap();
    let answer = j.poll_transmit().unwrap();
    for _ in 0..2 {
        assert_eq!(
            r.handle_incoming(answer.as_bytes(), at(1)),
            Ok(xmpptls::Incoming::Handled)
        );
    }
    assert_eq!(stanzas(&drain(&mut r)).len(), 1);
    assert_eq!(r.tunnel_state(&jid(JULIET)), Some(TunnelState::Established));
    pump(&mut r, &mut j, at(1));

    r.send(&jid(JULIET), msg("ping 2").as_bytes(), at(2))
        .unwrap();
    let data = parse(&r.poll_transmit().unwrap());
    let id = data.attr("id").unwrap();
    let garbage = format!(
        "<iq type='result' id='{id}' from='{JULIET}' to='{ROMEO}'><data xmlns='urn:xmpp:tmp:xtls'>AAECAwQFBgc=</data></iq>"
    );
    assert!(r.handle_incoming(garbage.as_bytes(), at(2)).is_err());
    let (reason, returned) = closed(&drain(&mut r)).unwrap();
    assert!(matches!(reason, CloseReason::Error(_)), "{reason:?}");
    assert!(
        returned.is_empty(),
        "the answer confirmed ping 2: {returned:?}"
    );
    let close = r.poll_transmit().unwrap();
    assert!(close.contains("<close "), "{close}");
}

/// Without piggyback (either side off): every data IQ gets an empty
/// answer, behind the data the same input produced, so it travels in the
/// same write instead of alone.
#[test]
fn without_piggyback_acknowledgements_travel_behind_the_data_of_the_same_turn() {
    for (r_on, j_on) in [(false, true), (true, false)] {
        let mut r = endpoint_with(ROMEO, TrustMode::Offer, |c| c.piggyback = r_on);
        let mut j = endpoint_with(JULIET, TrustMode::Offer, |c| c.piggyback = j_on);
        r.open(&jid(JULIET), now()).unwrap();
        pump(&mut r, &mut j, now());
        assert_eq!((r.poll_timeout(), j.poll_timeout()), (None, None));
        let _ = (drain(&mut r), drain(&mut j), r.poll_keepalive());
        r.send(&jid(JULIET), msg("ping").as_bytes(), at(1)).unwrap();
        let data = r.poll_transmit().unwrap();
        assert!(!data.contains(" ack="), "{data}");
        j.handle_incoming(data.as_bytes(), at(1)).unwrap();
        assert_eq!(stanzas(&drain(&mut j)).len(), 1);
        j.send(&jid(ROMEO), msg("pong").as_bytes(), at(1)).unwrap();
        let out: Vec<String> = std::iter::from_fn(|| j.poll_transmit()).collect();
        assert_eq!(out.len(), 2);
        assert!(out[0].contains("<data "), "data first: {}", out[0]);
        assert!(
            out[1].starts_with("<iq type='result'") && !out[1].contains("<data"),
            "ack last: {}",
            out[1]
        );
        // Romeo got his acknowledgement and the reply: he answers the
        // reply's data IQ, so no keepalive is needed.
        for s in &out {
            r.handle_incoming(s.as_bytes(), at(1)).unwrap();
        }
        assert!(r.poll_transmit().is_some());
        while r.poll_transmit().is_some() {}
        assert!(!r.poll_keepalive());
    }
}

#[test]
fn the_keepalive_hint_comes_when_handled_stanzas_got_no_answer() {
    let (mut r, mut j) = established();
    assert!(!r.poll_keepalive(), "nothing handled");
    r.send(&jid(JULIET), msg("hi").as_bytes(), at(1)).unwrap();
    let data = r.poll_transmit().unwrap();
    j.handle_incoming(data.as_bytes(), at(1)).unwrap();
    let ack = j.poll_transmit().unwrap();
    assert!(!j.poll_keepalive(), "juliet answered with an ack");
    // Romeo handles the ack and has nothing to send: he should write a
    // whitespace keepalive so the server's held write is released.
    r.handle_incoming(ack.as_bytes(), at(1)).unwrap();
    assert!(r.poll_transmit().is_none());
    assert!(r.poll_keepalive());
    assert!(!r.poll_keepalive(), "once");
    // A stanza that is not XTLS is the host's business.
    r.handle_incoming(b"<message from='a@b/c'><body>x</body></message>", at(1))
        .unwrap();
    assert!(!r.poll_keepalive());
}

#[test]
fn stanzas_of_one_turn_share_a_data_iq_and_a_record() {
    let (mut r, mut j) = established();
    for i in 0..16 {
        r.send(&jid(JULIET), msg(&format!("request {i}")).as_bytes(), at(1))
            .unwrap();
    }
    let out: Vec<String> = std::iter::from_fn(|| r.poll_transmit()).collect();
    assert_eq!(out.len(), 1, "16 small stanzas, one data IQ");
    j.handle_incoming(out[0].as_bytes(), at(1)).unwrap();
    let got = stanzas(&drain(&mut j));
    assert_eq!(got.len(), 16);
    assert!(got[15].contains("request 15"));
    // One TLS 1.3 record: 16 stanzas of ~40 octets, plus 22 octets of
    // record overhead, base64 in one <data/>.
    let b64 = parse(&out[0]).elements().next().unwrap().text();
    let tls_len = b64.len() / 4 * 3;
    let plain: usize = (0..16).map(|i| msg(&format!("request {i}")).len()).sum();
    assert!(tls_len <= plain + 22 + 2, "{tls_len} vs {plain}");
}

#[test]
fn the_same_data_iq_twice_is_acknowledged_twice_and_read_once() {
    let (mut r, mut j) = established();
    r.send(&jid(JULIET), msg("once").as_bytes(), at(1)).unwrap();
    let data = r.poll_transmit().unwrap();
    j.handle_incoming(data.as_bytes(), at(1)).unwrap();
    let ack1 = j.poll_transmit().unwrap();
    // A resumed stream delivers it again.
    j.handle_incoming(data.as_bytes(), at(1)).unwrap();
    let ack2 = j.poll_transmit().unwrap();
    assert_eq!(ack1, ack2);
    assert_eq!(stanzas(&drain(&mut j)).len(), 1);
    assert_eq!(j.tunnel_state(&jid(ROMEO)), Some(TunnelState::Established));
    for a in [ack1, ack2] {
        assert_eq!(
            r.handle_incoming(a.as_bytes(), at(1)),
            Ok(xmpptls::Incoming::Handled)
        );
    }
    assert!(drain(&mut r).is_empty());
    assert_eq!(r.poll_timeout(), None);
}

/// The router's "server" answers IQs to a JID that went offline with
/// `service-unavailable` (RFC 6120 §10.5.3.2): the tunnel closes with the
/// stanzas handed back.
#[test]
fn an_offline_peer_gets_the_stanzas_handed_back() {
    let mut net = MemoryRouter::new();
    net.add(endpoint(ROMEO, TrustMode::Offer));
    net.add(endpoint(JULIET, TrustMode::Offer));
    open(&mut net, ROMEO, JULIET, now());
    net.run(now()).unwrap();
    net.remove(&jid(JULIET));
    let romeo = net.get_mut(&jid(ROMEO)).unwrap();
    romeo
        .send(&jid(JULIET), msg("hello?").as_bytes(), now())
        .unwrap();
    net.run(now()).unwrap();
    let evs = events(&mut net, ROMEO);
    let (reason, returned) = closed(&evs).unwrap();
    assert!(matches!(reason, CloseReason::Error(_)), "{reason:?}");
    assert_eq!(returned.len(), 1);
    assert!(returned[0].0.contains("hello?"));
}

/// Acknowledgements wait behind data IQs, never behind a `<close/>`: the
/// peer's last stanza, which arrived before we closed, must be confirmed to
/// it before the close ends its tunnel.
#[test]
fn a_close_never_overtakes_an_earlier_acknowledgement() {
    let (mut r, mut j) = established();
    // Juliet's message crosses romeo's close.
    j.send(&jid(ROMEO), msg("wait!").as_bytes(), at(1)).unwrap();
    r.close(&jid(JULIET), at(1)).unwrap();
    pump(&mut r, &mut j, at(1));
    let (jr, returned) = closed(&drain(&mut j)).unwrap();
    assert_eq!(jr, CloseReason::Peer);
    assert!(returned.is_empty(), "{returned:?}");
    assert_eq!(stanzas(&drain(&mut r)).len(), 1);
}

/// Servers answer an IQ to a resource that is gone in the peer's name,
/// some from its full JID, some from its bare JID or its domain (RFC 6120
/// §10.5.3.2 leaves it to them). Each is matched to the waiting data IQ by
/// id: the tunnel closes at once, and the stanza comes back as not
/// delivered (the error proves it did not arrive). An error from anyone
/// else does not touch the tunnel.
#[test]
fn an_error_from_the_peers_bare_jid_or_domain_closes_at_once_as_not_delivered() {
    for from in [JULIET, "juliet@capulet.lit", "capulet.lit"] {
        let (mut r, _j) = established();
        r.send(&jid(JULIET), msg("gone?").as_bytes(), at(1))
            .unwrap();
        let data = parse(&r.poll_transmit().unwrap());
        let id = data.attr("id").unwrap().to_owned();
        let error = |from: &str| {
            format!(
                "<iq type='error' id='{id}' from='{from}' to='{ROMEO}'><error type='cancel'>\
                 <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
            )
        };
        // The nurse (another account of the same domain) cannot end it.
        let _ = r.handle_incoming(error("nurse@capulet.lit").as_bytes(), at(2));
        assert_eq!(r.tunnel_state(&jid(JULIET)), Some(TunnelState::Established));
        r.handle_incoming(error(from).as_bytes(), at(2)).unwrap();
        assert_eq!(r.tunnel_count(), 0, "{from}");
        let (reason, returned) = closed(&drain(&mut r)).unwrap();
        assert!(matches!(reason, CloseReason::Error(_)), "{reason:?}");
        assert_eq!(returned.len(), 1);
        assert!(returned[0].0.contains("gone?"));
        assert!(!returned[0].1, "refused, so not delivered ({from})");
    }
}

/// A server that resends IQs (XEP-0198) can deliver one copy of a data IQ
/// and bounce another with `service-unavailable` before the first copy's
/// answer comes back. The stanza is handed back as not delivered (what the
/// error says), and sending it again is still safe: it goes behind a
/// `<resent/>` marker naming its copy, and the peer, which has it, drops it.
#[test]
fn a_stanza_refused_after_a_copy_arrived_is_not_delivered_twice_when_sent_again() {
    let (mut r, mut j) = established();
    r.send(&jid(JULIET), msg("once").as_bytes(), at(1)).unwrap();
    let data = r.poll_transmit().unwrap();
    let id = parse(&data).attr("id").unwrap().to_owned();
    j.handle_incoming(data.as_bytes(), at(1)).unwrap();
    assert_eq!(stanzas(&drain(&mut j)).len(), 1);
    // Juliet's answer is still on its way when the bounced copy arrives.
    let late: Vec<String> = std::iter::from_fn(|| j.poll_transmit()).collect();
    let error = format!(
        "<iq type='error' id='{id}' from='{JULIET}' to='{ROMEO}'><error type='cancel'>\
         <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    );
    r.handle_incoming(error.as_bytes(), at(2)).unwrap();
    let (_, returned) = closed(&drain(&mut r)).unwrap();
    assert_eq!(returned.len(), 1);
    assert!(!returned[0].1, "the error says not delivered");
    for s in late {
        let _ = r.handle_incoming(s.as_bytes(), at(2));
    }
    // The application sends it again, through a new tunnel.
    r.open(&jid(JULIET), at(3)).unwrap();
    r.send(&jid(JULIET), returned[0].0.as_bytes(), at(3))
        .unwrap();
    pump(&mut r, &mut j, at(3));
    let evs = drain(&mut j);
    assert_eq!(r.tunnel_state(&jid(JULIET)), Some(TunnelState::Established));
    assert!(stanzas(&evs).is_empty(), "juliet has it already: {evs:?}");
    assert!(closed(&drain(&mut r)).is_none(), "the copy is acknowledged");
}

/// The peer closes and logs out at once: its TLS close_notify arrives, the
/// `<close/>` that should follow never does. No state without a deadline:
/// the tunnel ends `close_timeout` later.
#[test]
fn a_peer_that_closes_and_leaves_does_not_leave_our_tunnel_open() {
    let (mut r, mut j) = established();
    j.close(&jid(ROMEO), at(1)).unwrap();
    // Juliet's close_notify reaches romeo; then she is gone.
    while let Some(s) = j.poll_transmit() {
        r.handle_incoming(s.as_bytes(), at(1)).unwrap();
    }
    while r.poll_transmit().is_some() {}
    assert_eq!(r.tunnel_state(&jid(JULIET)), Some(TunnelState::Established));
    assert_eq!(r.poll_timeout(), Some(at(11)));
    r.handle_timeout(at(11));
    assert_eq!(r.tunnel_count(), 0);
    let (reason, _) = closed(&drain(&mut r)).unwrap();
    assert_eq!(reason, CloseReason::Timeout(Wait::Closed));
    // She is told, in case she is still there.
    let close = parse(&r.poll_transmit().unwrap());
    assert!(close.elements().any(|c| c.name == "close"));
}

/// `poll_write`: all the stanzas of a turn in one string, and the
/// keepalive space exactly when the handled input got no answer.
#[test]
fn poll_write_gives_the_stanzas_and_the_keepalive_in_one_string() {
    let (mut r, mut j) = established();
    assert_eq!(r.poll_write(), None);
    r.send(&jid(JULIET), msg("one").as_bytes(), at(1)).unwrap();
    let out = r.poll_write().unwrap();
    assert!(
        out.starts_with("<iq") && out.ends_with("</iq>"),
        "no keepalive: {out}"
    );
    j.handle_incoming(out.as_bytes(), at(1)).unwrap();
    // Juliet answers with an acknowledgement: no keepalive needed.
    let ack = j.poll_write().unwrap();
    assert!(ack.ends_with("/>") || ack.ends_with("</iq>"), "{ack}");
    r.handle_incoming(ack.as_bytes(), at(1)).unwrap();
    // Romeo handled an acknowledgement and has nothing to say: one space.
    assert_eq!(r.poll_write().as_deref(), Some(" "));
    assert_eq!(r.poll_write(), None);
}

/// Nagle's algorithm for data IQs (`Limits::coalesce_bytes`): a host that
/// writes after every send still sends the stanzas of one turn together.
/// The first goes at once; the next wait while it is in flight and go in
/// one data IQ when its acknowledgement comes, or as soon as a full
/// record's worth is waiting. One request at a time never waits.
#[test]
fn small_sends_while_a_stanza_is_in_flight_share_one_data_iq() {
    // A wide window, so that only the coalescing rule holds anything.
    let mut r = endpoint_with(ROMEO, TrustMode::Offer, |c| {
        c.limits.initial_window_bytes = 256 * 1024
    });
    let mut j = endpoint(JULIET, TrustMode::Offer);
    r.open(&jid(JULIET), now()).unwrap();
    pump(&mut r, &mut j, now());
    let _ = (drain(&mut r), drain(&mut j));
    r.send(&jid(JULIET), msg("0").as_bytes(), at(1)).unwrap();
    let first = r.poll_write().unwrap();
    for i in 1..16 {
        r.send(&jid(JULIET), msg(&i.to_string()).as_bytes(), at(1))
            .unwrap();
        assert_eq!(r.poll_write(), None, "send {i} waits");
    }
    j.handle_incoming(first.as_bytes(), at(1)).unwrap();
    r.handle_incoming(j.poll_write().unwrap().as_bytes(), at(1))
        .unwrap();
    // The acknowledgement: the fifteen waiting go in one data IQ.
    let rest = r.poll_write().unwrap();
    assert_eq!(rest.matches("<data ").count(), 1, "{rest}");
    j.handle_incoming(rest.as_bytes(), at(1)).unwrap();
    assert_eq!(stanzas(&drain(&mut j)).len(), 16);

    // A full record's worth goes at once, in flight or not.
    r.handle_incoming(j.poll_write().unwrap().as_bytes(), at(1))
        .unwrap();
    r.send(&jid(JULIET), msg("a").as_bytes(), at(1)).unwrap();
    assert!(r.poll_write().is_some());
    let big = msg(&"b".repeat(17_000));
    r.send(&jid(JULIET), big.as_bytes(), at(1)).unwrap();
    assert!(r.poll_write().is_some(), "over coalesce_bytes: not held");

    // Off: every send in its own data IQ.
    let (mut r, _j) = {
        let (mut r, mut j) = (
            endpoint_with(ROMEO, TrustMode::Offer, |c| c.limits.coalesce_bytes = 0),
            endpoint(JULIET, TrustMode::Offer),
        );
        r.open(&jid(JULIET), now()).unwrap();
        pump(&mut r, &mut j, now());
        (r, j)
    };
    for i in 0..3 {
        r.send(&jid(JULIET), msg(&i.to_string()).as_bytes(), at(1))
            .unwrap();
        assert!(r.poll_write().is_some(), "send {i} at once");
    }
}

/// A data IQ is built when the host polls. `poll_transmit_at` stamps it
/// with the time it leaves, so the wait for its acknowledgement counts from
/// then; `poll_transmit` stamps it with the last input's time.
#[test]
fn data_built_when_polled_waits_from_the_poll() {
    let deadline = |poll: &dyn Fn(&mut Endpoint) -> Option<String>| {
        let (mut r, _j) = established();
        r.send(&jid(JULIET), msg("later").as_bytes(), at(1))
            .unwrap();
        let data = poll(&mut r).unwrap();
        assert!(data.contains("<data"), "{data}");
        r.poll_timeout().unwrap()
    };
    let at_input = deadline(&|r| r.poll_transmit());
    let at_poll = deadline(&|r| r.poll_transmit_at(at(20)));
    assert_eq!(at_poll.as_secs() - at_input.as_secs(), 19);
}
