//! A simulated XMPP server between two endpoints, with time: what the
//! in-memory router lacks to test deadlines against real paths.
//!
//! - **Shaping**, like ejabberd's `c2s_shaper`: the server reads each
//!   client's stream through a token bucket (`rate` octets a second after a
//!   `burst`), so a stanza reaches the other client once its last octet has
//!   been read. The server writes to clients unshaped.
//! - **A held session**, like XEP-0198 stream management: while a client's
//!   connection is down, the server keeps what is addressed to it (no
//!   error), and delivers it in order when the client resumes.
//! - **A silent path**: everything to and from a client is dropped, with
//!   no error (a connection that died without a FIN).
//!
//! Time runs in milliseconds from the test's `now()`; the endpoints see
//! whole seconds, as the bindings give them. The run is event-driven and
//! bounded (in simulated time and in steps), so a test never hangs.

use std::collections::VecDeque;
use std::time::Duration;

use xmpptls::{Endpoint, Event, UnixTime};

use crate::now;

/// One client's upstream: a token bucket and the time it is busy until.
#[derive(Debug, Clone)]
pub struct Shaper {
    /// Octets a second after the burst (`None`: unshaped).
    pub rate: Option<u64>,
    /// Octets the bucket holds when full.
    pub burst: u64,
    tokens: f64,
    /// When the last octet queued so far has been read, in ms.
    busy_until: u64,
    /// When `tokens` was last brought up to date, in ms.
    updated: u64,
}

impl Shaper {
    /// Unshaped.
    pub fn open() -> Self {
        Shaper::new(None, 0)
    }

    /// `rate` octets a second after a burst of `burst` octets.
    pub fn shaped(rate: u64, burst: u64) -> Self {
        Shaper::new(Some(rate), burst)
    }

    fn new(rate: Option<u64>, burst: u64) -> Self {
        Shaper {
            rate,
            burst,
            tokens: burst as f64,
            busy_until: 0,
            updated: 0,
        }
    }

    /// A stanza of `len` octets written at `t` ms: when its last octet is
    /// read.
    fn pass(&mut self, t: u64, len: usize) -> u64 {
        let Some(rate) = self.rate else {
            return t;
        };
        let start = t.max(self.busy_until);
        // Refill the bucket from the last update to `start`.
        let refill = (start - self.updated) as f64 * rate as f64 / 1000.0;
        self.tokens = (self.tokens + refill).min(self.burst as f64);
        self.updated = start;
        let len = len as f64;
        let done = if self.tokens >= len {
            self.tokens -= len;
            start
        } else {
            let wait = (len - self.tokens) * 1000.0 / rate as f64;
            self.tokens = 0.0;
            start + wait.ceil() as u64
        };
        self.busy_until = done;
        self.updated = self.updated.max(done);
        done
    }
}

/// What the server does with stanzas to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Delivered.
    Up,
    /// Kept for the client, delivered when it resumes (XEP-0198).
    Held,
    /// Dropped both ways, silently.
    Silent,
}

/// A stanza on its way: when it arrives, and to which side (0 or 1).
#[derive(Debug)]
struct InTransit {
    at: u64,
    to: usize,
    stanza: String,
}

/// Two endpoints, a server between them, and a clock.
pub struct Path {
    pub eps: [Endpoint; 2],
    pub shapers: [Shaper; 2],
    pub links: [Link; 2],
    /// Events each side's application received, with the time in ms.
    pub events: [Vec<(u64, Event)>; 2],
    /// Octets each side wrote to its stream.
    pub written: [u64; 2],
    /// The clock, in ms since the test's `now()`.
    pub t: u64,
    in_transit: Vec<InTransit>,
    held: [VecDeque<String>; 2],
    steps: u64,
}

/// Most steps one [`Path::run_until`] takes: a bound so a protocol loop
/// shows up as a failure, not a hang.
pub const MAX_STEPS: u64 = 10_000_000;

impl Path {
    pub fn new(a: Endpoint, b: Endpoint, shapers: [Shaper; 2]) -> Self {
        Path {
            eps: [a, b],
            shapers,
            links: [Link::Up, Link::Up],
            events: [Vec::new(), Vec::new()],
            written: [0, 0],
            t: 0,
            in_transit: Vec::new(),
            held: [VecDeque::new(), VecDeque::new()],
            steps: 0,
        }
    }

    /// The endpoints' clock at `ms`: whole seconds.
    pub fn unix(ms: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(now().as_secs() + ms / 1000))
    }

    /// The endpoints' clock now.
    pub fn now(&self) -> UnixTime {
        Self::unix(self.t)
    }

    /// Moves everything each endpoint has to send onto the path.
    fn collect(&mut self) {
        for side in 0..2 {
            while let Some(s) = self.eps[side].poll_transmit() {
                self.written[side] += s.len() as u64;
                if self.links[side] == Link::Silent {
                    continue;
                }
                let at = self.shapers[side].pass(self.t, s.len());
                self.in_transit.push(InTransit {
                    at,
                    to: 1 - side,
                    stanza: s,
                });
            }
            while let Some(e) = self.eps[side].poll_event() {
                self.events[side].push((self.t, e));
            }
        }
    }

    /// Delivers what arrived by now (in the order it was read), or keeps
    /// it for a held client.
    fn deliver_due(&mut self) {
        let mut due: Vec<InTransit> = Vec::new();
        let mut rest = Vec::new();
        for m in self.in_transit.drain(..) {
            if m.at <= self.t {
                due.push(m);
            } else {
                rest.push(m);
            }
        }
        self.in_transit = rest;
        due.sort_by_key(|m| m.at);
        for m in due {
            match self.links[m.to] {
                Link::Up => {
                    let at = self.now();
                    let _ = self.eps[m.to].handle_incoming(m.stanza.as_bytes(), at);
                }
                Link::Held => self.held[m.to].push_back(m.stanza),
                Link::Silent => {}
            }
        }
    }

    /// Sets how the server treats `side`; a held side that comes back up
    /// gets what was kept for it first, in order (a resumed stream).
    pub fn set_link(&mut self, side: usize, link: Link) {
        let was = self.links[side];
        self.links[side] = link;
        if was == Link::Held && link == Link::Up {
            let at = self.now();
            while let Some(s) = self.held[side].pop_front() {
                let _ = self.eps[side].handle_incoming(s.as_bytes(), at);
            }
        }
        self.collect();
    }

    /// Runs until `end_ms` or until `done` says so (checked after every
    /// step), waking endpoints at their deadlines. `app` runs after every
    /// step with the path, for an application's sends.
    pub fn run_until(
        &mut self,
        end_ms: u64,
        mut app: impl FnMut(&mut Path),
        mut done: impl FnMut(&Path) -> bool,
    ) {
        loop {
            self.steps += 1;
            assert!(self.steps < MAX_STEPS, "the simulation does not settle");
            self.deliver_due();
            for side in 0..2 {
                let at = self.now();
                if self.eps[side].poll_timeout().is_some_and(|d| d <= at) {
                    self.eps[side].handle_timeout(at);
                }
            }
            self.collect();
            app(self);
            self.collect();
            if done(self) || self.t >= end_ms {
                return;
            }
            // The next thing that happens: an arrival or a deadline.
            let arrival = self.in_transit.iter().map(|m| m.at).min();
            if arrival.is_some_and(|a| a <= self.t) {
                continue; // written just now to an unshaped upstream
            }
            let deadline = self
                .eps
                .iter()
                .filter_map(Endpoint::poll_timeout)
                .map(|d| (d.as_secs() - now().as_secs()) * 1000)
                .filter(|&d| d > self.t)
                .min();
            self.t = [arrival, deadline, Some(end_ms)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(end_ms);
        }
    }

    /// The stanzas `side`'s application received, in order.
    pub fn stanzas(&self, side: usize) -> Vec<String> {
        self.events[side]
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Stanza { stanza, .. } => Some(stanza.clone()),
                _ => None,
            })
            .collect()
    }

    /// The `Closed` events `side` received, with their time in ms.
    pub fn closes(&self, side: usize) -> Vec<(u64, &Event)> {
        self.events[side]
            .iter()
            .filter(|(_, e)| matches!(e, Event::Closed { .. }))
            .map(|(t, e)| (*t, e))
            .collect()
    }
}
