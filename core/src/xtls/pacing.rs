//! Deadlines that follow the path: what one tunnel has learned of the path
//! its data IQs take (through both XMPP servers, their shapers and queues),
//! from the acknowledgements that came back.
//!
//! The model, after TCP's (RFC 6298 for timing out on silence, RFC 5681 and
//! BBR's delivery-rate samples for sizing what is in flight):
//!
//! - **Progress, not age, decides a timeout.** A tunnel waiting for
//!   acknowledgements times out only after [`Limits::ack_timeout`] without
//!   *any* acknowledgement (counted from the latest acknowledgement, or from
//!   the sending of the oldest waiting IQ when that is later). Each
//!   acknowledgement extends the deadline of everything still waiting, so a
//!   shaped server that passes one data IQ every 15 s keeps the tunnel open
//!   for as long as the transfer takes, and a dead peer is still noticed
//!   `ack_timeout` after the last sign of life.
//! - **What is in flight is what the path has shown it carries in a quarter
//!   of that deadline.** Each acknowledgement gives a delivery-rate sample:
//!   the TLS octets acknowledged while that IQ was in flight, divided by the
//!   time it was in flight plus one second. `now` has whole seconds, so the
//!   true time in flight is always less than the difference plus one: every
//!   sample is a lower bound of the path's rate. The estimate follows a
//!   faster sample at once and moves towards a slower one by at most half
//!   per acknowledgement. The window is then
//!   `max(initial_window_bytes, estimate × ack_timeout / 4)` octets, and no
//!   data IQ is larger than the window. So the time between two
//!   acknowledgements (one IQ passing the slowest hop) stays under a
//!   quarter of the deadline once the rate is known, leaving the rest for
//!   the acknowledgements' own way back and for other traffic sharing the
//!   hop; and after a tunnel ends, what it left in a server's queue drains
//!   in that quarter too, so a new `<start/>` is not stuck behind it.
//! - **Before the first acknowledgement** the window is
//!   [`Limits::initial_window_bytes`], by default one full TLS record
//!   (16,413 octets: 22 KB of base64 and XML, 22 s through a 1,000 B/s
//!   hop), which is also its floor: a data IQ always carries whole records,
//!   so the receiver decrypts each as it arrives, and a new IQ is started
//!   while others are in flight only when a whole record fits the window.
//!   A path slower than the floor per `ack_timeout` (about 730 B/s with
//!   the defaults) cannot be told from a dead one; every faster path is
//!   never timed out while it moves.
//!
//! On a fast path (a server on the same continent, no shaper), the first
//! sample already allows more than [`Limits::max_in_flight`] full data IQs,
//! so the window costs nothing there: a sample of 16 KiB in under a second
//! gives a window of 120 KiB, the next one several hundred.
//!
//! [`Limits::ack_timeout`]: super::Limits::ack_timeout
//! [`Limits::initial_window_bytes`]: super::Limits::initial_window_bytes
//! [`Limits::max_in_flight`]: super::Limits::max_in_flight

use std::time::Duration;

use rustls_pki_types::UnixTime;

/// The divisor of [`Limits::ack_timeout`](super::Limits::ack_timeout)
/// that sizes the window: what is in flight passes the slowest hop in a
/// quarter of the deadline.
pub const WINDOW_DEADLINE_DIVISOR: u64 = 4;

/// A tunnel's estimate of its path's delivery rate.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PathEstimate {
    /// TLS octets per second the path has shown it delivers (a lower
    /// bound); 0 before the first acknowledgement.
    rate: u64,
}

impl PathEstimate {
    /// One acknowledgement: `octets` were acknowledged while an IQ was in
    /// flight from `sent` to `now`.
    pub(crate) fn sample(&mut self, octets: u64, sent: UnixTime, now: UnixTime) {
        let elapsed = now.as_secs().saturating_sub(sent.as_secs()) + 1;
        let sample = octets / elapsed;
        self.rate = sample.max(self.rate / 2);
    }

    /// TLS octets per second the path has shown (0: not known yet).
    pub(crate) fn rate(&self) -> u64 {
        self.rate
    }

    /// TLS octets that may be in flight at once.
    pub(crate) fn window(&self, initial: usize, deadline: Duration) -> usize {
        let shown = self.rate.saturating_mul(deadline.as_secs().max(1)) / WINDOW_DEADLINE_DIVISOR;
        usize::try_from(shown).unwrap_or(usize::MAX).max(initial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(s))
    }

    #[test]
    fn the_window_starts_at_the_floor_and_follows_the_samples() {
        let mut p = PathEstimate::default();
        let deadline = Duration::from_secs(30);
        assert_eq!(p.window(12_288, deadline), 12_288);
        // A fast path: 12 KiB acknowledged within the same second.
        p.sample(12_288, t(10), t(10));
        assert_eq!(p.window(12_288, deadline), 12_288 * 30 / 4);
        // A shaped one: 2,250 octets a second (3,000 B/s of base64) show
        // as 16 KiB in 7 s; the estimate comes down by halves.
        for _ in 0..8 {
            p.sample(16_384, t(10), t(17));
        }
        assert_eq!(p.rate(), 2048);
        assert_eq!(p.window(12_288, deadline), 15_360);
        // Never below the floor.
        p.sample(100, t(0), t(99));
        for _ in 0..32 {
            p.sample(1, t(0), t(99));
        }
        assert_eq!(p.window(12_288, deadline), 12_288);
    }
}
