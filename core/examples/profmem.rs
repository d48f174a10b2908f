#![allow(missing_docs, clippy::unwrap_used, unsafe_code)]
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::time::Duration;
use xmpptls::*;
struct C;
static LIVE: AtomicIsize = AtomicIsize::new(0);
unsafe impl GlobalAlloc for C {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}
#[global_allocator]
static A: C = C;
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
        let mut c = EndpointConfig::new(j, id, TrustMode::Offer);
        c.limits.resumption_sessions = 0;
        Endpoint::new(c).unwrap()
    };
    let mut r = mk("romeo@montague.lit/orchard");
    let mut j = mk("juliet@capulet.lit/balcony");
    let jj = Jid::parse("juliet@capulet.lit/balcony").unwrap();
    let rj = r.local_jid().clone();
    for round in 0..4 {
        let l0 = LIVE.load(Relaxed);
        r.open(&jj, now()).unwrap();
        pump(&mut r, &mut j);
        let l1 = LIVE.load(Relaxed);
        r.peer_unavailable(&jj);
        while r.poll_event().is_some() {}
        let l2 = LIVE.load(Relaxed);
        j.peer_unavailable(&rj);
        while j.poll_event().is_some() {}
        let l3 = LIVE.load(Relaxed);
        println!(
            "round {round}: established {} (romeo {} + juliet {}), endpoints kept {}",
            l1 - l0,
            l1 - l2,
            l2 - l3,
            l3 - l0
        );
    }
}
