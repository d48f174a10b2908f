#![allow(missing_docs, clippy::unwrap_used)]
use std::time::Duration;
use xmpptls::*;
fn now() -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(1_795_305_600))
}
fn pump(a: &mut Endpoint, b: &mut Endpoint) {
    loop {
        let mut m = false;
        while let Some(s) = a.poll_transmit() {
            b.handle_incoming(s.as_bytes(), now()).unwrap();
            m = true;
        }
        while let Some(s) = b.poll_transmit() {
            a.handle_incoming(s.as_bytes(), now()).unwrap();
            m = true;
        }
        while b.poll_event().is_some() {}
        while a.poll_event().is_some() {}
        if !m {
            break;
        }
    }
}
fn main() {
    let mk = |j: &str| {
        let j = Jid::parse(j).unwrap();
        let id = Identity::self_signed(&j).unwrap();
        Endpoint::new(EndpointConfig::new(j, id, TrustMode::Offer)).unwrap()
    };
    let mut r = mk("romeo@montague.lit/orchard");
    let mut j = mk("juliet@capulet.lit/balcony");
    let jj = Jid::parse("juliet@capulet.lit/balcony").unwrap();
    r.open(&jj, now()).unwrap();
    pump(&mut r, &mut j);
    let mut s = String::from("<message type='chat'><body>");
    s.push_str(&"x".repeat(16 * 1024 - 44));
    s.push_str("</body></message>");
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    for _ in 0..n {
        r.send(&jj, s.as_bytes()).unwrap();
        pump(&mut r, &mut j);
    }
}
