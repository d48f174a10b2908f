//! Request/response through the tunnel as real hosts drive it (README,
//! "Hosting a tunnel on a real server"): one side sends requests with 1 or
//! 16 in flight, the other answers each in the event that delivered it, and
//! each host writes either once per read or after every send, while a
//! server forwards each side's stanzas in order, a few at a time. Whatever
//! the batching (`<piggyback/>`, Nagle's algorithm, the window), every
//! request gets its answer: a host style that stalls the tunnel fails here,
//! not in a benchmark that waits forever.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;

use xmpptls::{Endpoint, Event, TrustMode};
use xmpptls_integration::*;

/// How a host writes what its endpoint has.
#[derive(Clone, Copy, Debug)]
enum Style {
    /// Once per read, after acting on the events.
    PerRead,
    /// After every send (and after each read).
    PerSend,
}

struct Host {
    ep: Endpoint,
    /// Stanzas written towards the other host, not yet read by it.
    wire: VecDeque<String>,
}

impl Host {
    /// The application sends a stanza; a host that writes after every send
    /// writes.
    fn send(&mut self, peer: &xmpptls::Jid, stanza: &str, style: Style) {
        self.ep.send(peer, stanza.as_bytes(), now()).unwrap();
        if let Style::PerSend = style {
            self.write();
        }
    }

    fn write(&mut self) {
        while let Some(s) = self.ep.poll_transmit() {
            self.wire.push_back(s);
        }
    }
}

/// Runs `total` requests with `in_flight` outstanding; the server hands
/// each host at most `batch` stanzas per read. Returns the number of reads
/// it took, and panics when the tunnel stalls.
fn run(style: Style, in_flight: usize, total: usize, batch: usize, body: usize) -> usize {
    let mut client = Host {
        ep: endpoint(ROMEO, TrustMode::Offer),
        wire: VecDeque::new(),
    };
    let mut server = Host {
        ep: endpoint(JULIET, TrustMode::Offer),
        wire: VecDeque::new(),
    };
    let peer_of_client = jid(JULIET);
    let peer_of_server = jid(ROMEO);
    client.ep.open(&peer_of_client, now()).unwrap();
    let pad = "x".repeat(body);
    let request = |n: usize| format!("<iq type='get' id='q{n}'><q xmlns='bench'>{pad}</q></iq>");
    let mut sent = 0;
    let mut answered = 0;
    for _ in 0..in_flight {
        client.send(&peer_of_client, &request(sent), style);
        sent += 1;
    }
    client.write();
    let mut reads = 0;
    while answered < total {
        reads += 1;
        assert!(reads < 100_000, "{style:?}: no end");
        let moved = !client.wire.is_empty() || !server.wire.is_empty();
        assert!(
            moved,
            "{style:?} × {in_flight}, batch {batch}: stalled after {answered} answers \
             (client holds {:?} octets, server {:?})",
            client.ep.buffered_bytes(&peer_of_client),
            server.ep.buffered_bytes(&peer_of_server)
        );
        // The server reads.
        let incoming: Vec<String> = client.wire.drain(..client.wire.len().min(batch)).collect();
        for s in incoming {
            server.ep.handle_incoming(s.as_bytes(), now()).unwrap();
            while let Some(e) = server.ep.poll_event() {
                if let Event::Stanza { stanza, .. } = e {
                    let id = stanza
                        .split("id='")
                        .nth(1)
                        .unwrap()
                        .split('\'')
                        .next()
                        .unwrap();
                    let answer = format!("<iq type='result' id='{id}'/>");
                    server.send(&peer_of_server, &answer, style);
                }
            }
        }
        server.write();
        // The client reads what the server wrote before this turn.
        let incoming: Vec<String> = server.wire.drain(..server.wire.len().min(batch)).collect();
        for s in incoming {
            client.ep.handle_incoming(s.as_bytes(), now()).unwrap();
            while let Some(e) = client.ep.poll_event() {
                if let Event::Stanza { .. } = e {
                    answered += 1;
                    if sent < total {
                        client.send(&peer_of_client, &request(sent), style);
                        sent += 1;
                    }
                }
                if let Event::Closed { reason, .. } = e {
                    panic!("{style:?}: closed: {reason:?}");
                }
            }
        }
        client.write();
    }
    reads
}

#[test]
fn every_request_is_answered_in_both_host_styles() {
    for style in [Style::PerRead, Style::PerSend] {
        for in_flight in [1, 16] {
            for batch in [1, 2, 3, 5, 16] {
                for body in [64, 4096] {
                    run(style, in_flight, 200, batch, body);
                }
            }
        }
    }
}
