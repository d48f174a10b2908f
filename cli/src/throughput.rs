//! `xmpptls throughput`: the native side of the npm package's benchmark
//! (`scripts/bench-wasm.sh`). The same loop as `bindings-wasm/bench`: two
//! endpoints handing stanzas to each other directly, `count` stanzas of
//! `size` octets from romeo to juliet through an established tunnel.

use std::time::{Duration, Instant};

use serde_json::json;
use xmpptls::{Endpoint, Event, UnixTime};

/// Both directions until quiet.
fn pump(a: &mut Endpoint, b: &mut Endpoint, now: UnixTime) -> Result<usize, xmpptls::Error> {
    let mut delivered = 0;
    loop {
        let mut moved = false;
        while let Some(s) = a.poll_transmit() {
            b.handle_incoming(s.as_bytes(), now)?;
            moved = true;
        }
        while let Some(s) = b.poll_transmit() {
            a.handle_incoming(s.as_bytes(), now)?;
            moved = true;
        }
        while let Some(e) = b.poll_event() {
            delivered += usize::from(matches!(e, Event::Stanza { .. }));
        }
        while a.poll_event().is_some() {}
        if !moved {
            return Ok(delivered);
        }
    }
}

/// Runs the benchmark and prints one JSON line.
pub fn run(size: usize, count: usize) -> Result<(), xmpptls::Error> {
    let now = UnixTime::now();
    let (mut romeo, mut juliet) = (
        crate::demo::endpoint("romeo@montague.lit/orchard")?,
        crate::demo::endpoint("juliet@capulet.lit/balcony")?,
    );
    let to = juliet.local_jid().clone();
    romeo.open(&to, now)?;
    pump(&mut romeo, &mut juliet, now)?;
    let body = "x".repeat(size.saturating_sub(60));
    let stanza = format!("<message type='chat'><body>{body}</body></message>");
    let start = Instant::now();
    let mut delivered = 0;
    for _ in 0..count {
        romeo.send(&to, stanza.as_bytes(), now)?;
        delivered += pump(&mut romeo, &mut juliet, now)?;
    }
    let secs = start.elapsed().max(Duration::from_nanos(1)).as_secs_f64();
    println!(
        "{}",
        json!({
            "runtime": "native",
            "stanza_bytes": stanza.len(),
            "stanzas": delivered,
            "seconds": secs,
            "mb_per_s": (stanza.len() * delivered) as f64 / secs / 1e6,
        })
    );
    Ok(())
}
