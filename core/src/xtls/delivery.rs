//! What a tunnel owes the application for every stanza it sent: the stanza
//! is kept from `send` until the peer acknowledges the `<data/>` IQ that
//! carried its last TLS octet (XTLS §4.3), so that a tunnel that ends early
//! hands back exactly the stanzas that may not have arrived. Also the window
//! of data IQs in flight, since acknowledgements are what confirm delivery.
//!
//! Positions are offsets in the tunnel's outgoing TLS stream: a data IQ
//! covers the octets up to its end offset, a stanza is confirmed once every
//! data IQ up to the offset just past its last octet is acknowledged.

use std::collections::VecDeque;
use std::io::IoSlice;

use rustls_pki_types::UnixTime;

use super::pacing::PathEstimate;
use super::resend::{self, Copy};
use crate::error::Error;

/// A data IQ sent and not yet answered.
#[derive(Debug)]
struct InFlight {
    id: String,
    /// The TLS stream offset just past its last octet.
    end: u64,
    /// TLS octets it carries.
    octets: usize,
    sent_at: UnixTime,
    /// Octets acknowledged (by any IQ) when it was sent: the start of its
    /// delivery-rate sample.
    delivered_before: u64,
    acked: bool,
    /// It went in an IQ-result (piggyback): the peer confirms it with the
    /// `ack` of its next data, not promptly, and no IQ id answers it.
    in_result: bool,
}

/// One stanza the application sent, until the peer confirms it.
#[derive(Debug)]
struct Outgoing {
    /// The TLS stream offset just past its last octet (once written).
    end: u64,
    /// Its number among the stanzas written to this tunnel's TLS stream
    /// (once written), counted from 0 by both ends.
    seq: u64,
    stanza: Vec<u8>,
    /// The earlier copies of a stanza sent again after a tunnel handed it
    /// back, and their `<resent/>` marker, written to TLS just before it.
    resent: Option<(Vec<Copy>, Box<[u8]>)>,
}

/// Which IQs in flight an acknowledgement confirms.
#[derive(Debug, Clone, Copy)]
enum Cover {
    /// The one at this position.
    Only(usize),
    /// Everything up to this position.
    Through(usize),
    /// Everything with octets that ends at or before this stream offset.
    Offset(u64),
}

/// A stanza handed back when a tunnel ends.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Undelivered {
    pub stanza: Vec<u8>,
    /// It left in a data IQ that was neither acknowledged nor refused.
    pub maybe_delivered: bool,
    /// Its number in the tunnel's stream, when it was written to TLS.
    pub seq: Option<u64>,
    /// Earlier copies of it, when it was a stanza sent again.
    pub copies: Vec<Copy>,
}

/// The outgoing side of one tunnel: stanzas waiting, stanzas unconfirmed,
/// and the data IQs in flight with what their acknowledgements showed of
/// the path ([`PathEstimate`]).
#[derive(Debug, Default)]
pub(crate) struct Delivery {
    /// Every stanza not confirmed, oldest first: the first `written` were
    /// written to TLS; the rest wait (for the handshake, or for room in the
    /// window).
    stanzas: VecDeque<Outgoing>,
    written: usize,
    /// Plaintext octets in `stanzas`.
    bytes: usize,
    /// Plaintext octets of the stanzas not written to TLS yet (kept as
    /// stanzas come and go: coalescing asks for it on every flush).
    queued: usize,
    /// Data IQs sent and not acknowledged, oldest first.
    in_flight: VecDeque<InFlight>,
    /// TLS octets put into data IQs so far.
    sent: u64,
    /// TLS octets acknowledged so far.
    delivered: u64,
    /// When the latest acknowledgement came.
    last_ack: Option<UnixTime>,
    /// The TLS stream offset from which the peer provably received
    /// nothing: the start of a data IQ answered with an error.
    refused_from: Option<u64>,
    /// Stanzas written to TLS so far.
    next_seq: u64,
    path: PathEstimate,
}

impl Delivery {
    /// Takes a stanza (with its earlier `copies`, when it is sent again),
    /// or refuses it whole when it would hold more than `limit` plaintext
    /// octets.
    pub(crate) fn accept(
        &mut self,
        stanza: Vec<u8>,
        copies: Option<Vec<Copy>>,
        limit: usize,
    ) -> Result<(), Error> {
        if self.bytes.saturating_add(stanza.len()) > limit {
            return Err(Error::BufferFull { limit });
        }
        self.bytes += stanza.len();
        self.queued += stanza.len();
        self.stanzas.push_back(Outgoing {
            end: 0,
            seq: 0,
            stanza,
            resent: copies.map(|c| {
                let m = resend::marker(&c);
                (c, m)
            }),
        });
        Ok(())
    }

    /// Plaintext octets held (waiting or unconfirmed).
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The stanzas waiting to be written to TLS.
    fn waiting(&self) -> impl Iterator<Item = &Outgoing> {
        self.stanzas.iter().skip(self.written)
    }

    /// How many waiting stanzas to write to TLS now: whole stanzas until
    /// `budget` octets are reached (the last one may pass it), none for a
    /// budget of 0.
    pub(crate) fn batch(&self, budget: usize) -> usize {
        let mut n = 0;
        let mut total = 0;
        for s in self.waiting() {
            if total >= budget {
                break;
            }
            total += s.stanza.len() + s.resent.as_ref().map_or(0, |(_, m)| m.len());
            n += 1;
        }
        n
    }

    /// The first `n` waiting stanzas (each after its marker), for one
    /// vectored write: stanzas written together share TLS records.
    pub(crate) fn slices(&self, n: usize) -> Vec<IoSlice<'_>> {
        let mut out = Vec::with_capacity(n);
        for s in self.waiting().take(n) {
            if let Some((_, m)) = &s.resent {
                out.push(IoSlice::new(m));
            }
            out.push(IoSlice::new(&s.stanza));
        }
        out
    }

    /// The first `n` waiting stanzas were written to TLS, ending before
    /// stream offset `end`.
    pub(crate) fn written(&mut self, n: usize, end: u64) {
        let n = n.min(self.stanzas.len() - self.written);
        for s in self.stanzas.range_mut(self.written..self.written + n) {
            s.end = end;
            s.seq = self.next_seq;
            self.next_seq += 1;
            self.queued -= s.stanza.len();
        }
        self.written += n;
    }

    /// Moves stanzas waiting in `other` (a tunnel abandoned before it sent
    /// anything) in front of ours.
    pub(crate) fn adopt(&mut self, other: &mut Delivery) {
        if other.written == 0 {
            while let Some(s) = other.stanzas.pop_back() {
                self.bytes += s.stanza.len();
                self.queued += s.stanza.len();
                self.stanzas.push_front(s);
            }
            other.bytes = 0;
            other.queued = 0;
        }
    }

    /// A data IQ (or, `in_result`, an IQ-result) with `octets` TLS octets
    /// was sent at `now`.
    pub(crate) fn sent_iq(&mut self, id: String, octets: usize, now: UnixTime, in_result: bool) {
        self.sent += octets as u64;
        self.in_flight.push_back(InFlight {
            id,
            end: self.sent,
            octets,
            sent_at: now,
            delivered_before: self.delivered,
            acked: false,
            in_result,
        });
    }

    /// TLS octets are in flight in a data IQ-set unanswered, so small
    /// sends may wait for its answer (Nagle). Octets in an IQ-result hold
    /// nothing back: measured through Prosody, a host that writes after
    /// every send went from 0.76 to 0.58 of the plain rate (16 requests of
    /// 64 B in flight) when small sends waited behind them too, since the
    /// answers of one read then left one at a time. An empty
    /// `<data ack='…'/>` carries no octets and holds nothing back either.
    pub(crate) fn set_in_flight(&self) -> bool {
        self.in_flight
            .iter()
            .any(|f| !f.acked && !f.in_result && f.octets > 0)
    }

    /// TLS octets put into data IQs so far.
    pub(crate) fn sent(&self) -> u64 {
        self.sent
    }

    /// Data IQs in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// TLS octets the window lets the next data IQ carry now (see
    /// [`pacing`](super::pacing)), at most `max_iq`: what remains of the
    /// window; with nothing in flight, never less than `min_iq`, so that
    /// one whole TLS record always fits.
    pub(crate) fn room(
        &self,
        initial: usize,
        deadline: std::time::Duration,
        min_iq: usize,
        max_iq: usize,
    ) -> usize {
        let window = self.path.window(initial, deadline);
        let unacked: usize = self
            .in_flight
            .iter()
            .filter(|f| !f.acked)
            .map(|f| f.octets)
            .sum();
        let left = window.saturating_sub(unacked).min(max_iq);
        if unacked == 0 {
            left.max(min_iq.min(max_iq))
        } else {
            left
        }
    }

    /// TLS octets per second the path has shown (0: not known yet).
    pub(crate) fn path_rate(&self) -> u64 {
        self.path.rate()
    }

    /// Stanzas were written to TLS and are not confirmed yet: application
    /// data is in flight (or staged behind the window).
    pub(crate) fn has_unconfirmed(&self) -> bool {
        self.written > 0
    }

    /// Plaintext octets of the stanzas waiting to be written to TLS.
    pub(crate) fn waiting_bytes(&self) -> usize {
        self.queued
    }

    /// Stanzas waiting to be written to TLS.
    pub(crate) fn has_queued(&self) -> bool {
        self.stanzas.len() > self.written
    }

    /// The acknowledgement of data IQ-set `id` at `now`. The peer's TLS
    /// reads its stream in order (a record out of order fails its AEAD
    /// check, RFC 8446 §5.3), so everything sent before that IQ arrived
    /// too and is confirmed with it (unless it carried no TLS octets: an
    /// empty `<data ack='…'/>` is read whatever was lost before it). False
    /// when `id` is not in flight.
    pub(crate) fn ack(&mut self, id: &str, now: UnixTime, retire: &mut dyn FnMut(&str)) -> bool {
        let Some(last) = self
            .in_flight
            .iter()
            .position(|f| f.id == id && !f.acked && !f.in_result)
        else {
            return false;
        };
        // An empty `<data ack='…'/>` needs no TLS read: its answer says
        // nothing of what went before it.
        if self.in_flight[last].octets == 0 {
            return self.confirm(Cover::Only(last), now, retire);
        }
        self.confirm(Cover::Through(last), now, retire)
    }

    /// The peer has read our TLS stream up to `offset` (an `ack`
    /// attribute): a delivery-rate sample, and every stanza whose octets
    /// are now all acknowledged is confirmed and dropped. False when that
    /// confirms nothing new. `retire` gets the id of every data IQ-set
    /// confirmed this way: its own answer is no longer awaited (it may have
    /// been lost while later ones arrived; the peer sent it, carrying data
    /// or not, before the offset that covers it). An empty
    /// `<data ack='…'/>` of ours is not covered by an offset (its end is
    /// the previous IQ's, which says nothing of whether it was read): only
    /// its own answer, or a later one's, confirms it.
    pub(crate) fn ack_to(
        &mut self,
        offset: u64,
        now: UnixTime,
        retire: &mut dyn FnMut(&str),
    ) -> bool {
        self.confirm(Cover::Offset(offset), now, retire)
    }

    /// Confirms the entries in flight that `cover` says the peer read.
    fn confirm(&mut self, cover: Cover, now: UnixTime, retire: &mut dyn FnMut(&str)) -> bool {
        let mut newest = None;
        for (i, f) in self.in_flight.iter_mut().enumerate() {
            let covered = match cover {
                Cover::Only(last) => i == last,
                Cover::Through(last) => i <= last,
                // An empty IQ ends where the one before it does: an offset
                // says nothing of whether it was read.
                Cover::Offset(offset) => f.end <= offset && f.octets > 0,
            };
            if f.acked || !covered {
                continue;
            }
            f.acked = true;
            // The answered IQ itself is no longer waited for already.
            let answered = matches!(cover, Cover::Only(l) | Cover::Through(l) if l == i);
            if !f.in_result && !answered {
                retire(&f.id);
            }
            self.delivered += f.octets as u64;
            newest = Some((f.delivered_before, f.sent_at));
        }
        let Some((before, sent_at)) = newest else {
            return false;
        };
        self.path.sample(self.delivered - before, sent_at, now);
        self.last_ack = Some(now);
        let mut confirmed = None;
        while self.in_flight.front().is_some_and(|f| f.acked) {
            confirmed = self.in_flight.pop_front().map(|f| f.end);
        }
        let Some(end) = confirmed else {
            return true;
        };
        while self.written > 0 && self.stanzas.front().is_some_and(|s| s.end <= end) {
            if let Some(s) = self.stanzas.pop_front() {
                self.bytes -= s.stanza.len();
                self.written -= 1;
            }
        }
        // Everything acknowledged: an idle tunnel keeps no queue buffers
        // (a quarter of what it holds beyond its TLS connection; one small
        // allocation per round trip brings them back).
        if self.in_flight.is_empty() {
            self.in_flight = VecDeque::new();
        }
        if self.stanzas.is_empty() {
            self.stanzas = VecDeque::new();
        }
        true
    }

    /// Data IQ `id` was answered with an error: the peer read nothing from
    /// its first octet on, so no stanza ending after that is delivered.
    pub(crate) fn refused(&mut self, id: &str) {
        if let Some(f) = self.in_flight.iter().find(|f| f.id == id) {
            let start = f.end - f.octets as u64;
            self.refused_from = Some(self.refused_from.map_or(start, |r| r.min(start)));
        }
    }

    /// Since when the tunnel has waited for an acknowledgement without any
    /// coming: the latest acknowledgement, or the sending of the oldest IQ
    /// still waiting when that is later. `None` when nothing waits.
    pub(crate) fn waiting_since(&self) -> Option<UnixTime> {
        let oldest = self.in_flight.iter().find(|f| !f.acked)?.sent_at;
        Some(self.last_ack.map_or(oldest, |a| a.max(oldest)))
    }

    /// Nothing waits and nothing is in flight.
    pub(crate) fn is_settled(&self) -> bool {
        !self.has_queued() && self.in_flight.is_empty()
    }

    /// Everything not confirmed, emptied out of the tunnel, oldest first:
    /// each with whether the peer may have it (written, and not in or
    /// after a refused IQ) and its number in the stream.
    pub(crate) fn take_undelivered(&mut self) -> Vec<Undelivered> {
        let written = std::mem::take(&mut self.written);
        let refused_from = self.refused_from.take();
        self.bytes = 0;
        self.queued = 0;
        self.in_flight.clear();
        self.stanzas
            .drain(..)
            .enumerate()
            .map(|(i, s)| Undelivered {
                maybe_delivered: i < written && refused_from.is_none_or(|r| s.end <= r),
                seq: (i < written).then_some(s.seq),
                copies: s.resent.map(|(c, _)| c).unwrap_or_default(),
                stanza: s.stanza,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t(s: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(s))
    }

    #[test]
    fn a_stanza_is_confirmed_when_the_iq_with_its_last_octet_is_acked() {
        let mut d = Delivery::default();
        for s in [&b"aaaa"[..], b"bb", b"c"] {
            d.accept(s.to_vec(), None, 100).unwrap();
        }
        assert_eq!(d.bytes(), 7);
        assert_eq!(d.waiting_bytes(), 7);
        // "aaaa" and "bb" go together into TLS: 30 octets of records, sent
        // in two IQs of 20 and 10.
        assert_eq!(d.batch(5), 2);
        d.written(2, 30);
        assert_eq!(d.waiting_bytes(), 1, "only \"c\" waits");
        d.sent_iq("1".into(), 20, t(1), false);
        d.sent_iq("2".into(), 10, t(2), false);
        assert_eq!(d.waiting_since(), Some(t(1)));
        assert!(!d.ack("nope", t(3), &mut |_| {}));
        // The peer read the stream in order: the second IQ's answer
        // confirms the first too.
        assert!(d.ack("2", t(3), &mut |_| {}));
        assert!(!d.ack("1", t(3), &mut |_| {}), "already confirmed");
        assert_eq!(d.bytes(), 1);
        assert_eq!(d.in_flight(), 0);
        assert_eq!(
            d.take_undelivered(),
            vec![Undelivered {
                stanza: b"c".to_vec(),
                maybe_delivered: false,
                seq: None,
                copies: Vec::new(),
            }]
        );
    }

    #[test]
    fn unacknowledged_and_unsent_stanzas_are_handed_back_in_order() {
        let mut d = Delivery::default();
        for s in [&b"one"[..], b"two", b"three"] {
            d.accept(s.to_vec(), None, 100).unwrap();
        }
        d.written(1, 10);
        d.sent_iq("a".into(), 10, t(1), false);
        d.written(1, 20);
        d.sent_iq("b".into(), 10, t(1), false);
        assert!(d.ack("a", t(2), &mut |_| {}));
        let back: Vec<_> = d
            .take_undelivered()
            .into_iter()
            .map(|u| (u.stanza, u.maybe_delivered, u.seq))
            .collect();
        assert_eq!(
            back,
            vec![
                (b"two".to_vec(), true, Some(1)),
                (b"three".to_vec(), false, None)
            ]
        );
        assert!(d.is_settled() && d.bytes() == 0);
    }

    #[test]
    fn octets_in_results_are_confirmed_by_offset_and_hold_nothing_back() {
        let mut d = Delivery::default();
        for s in [&b"request"[..], b"more"] {
            d.accept(s.to_vec(), None, 100).unwrap();
        }
        d.written(1, 30);
        d.sent_iq("their-id".into(), 30, t(1), true);
        assert!(!d.set_in_flight(), "a result holds nothing back");
        // The peer's id is not ours to match.
        assert!(!d.ack("their-id", t(2), &mut |_| {}));
        d.written(1, 50);
        d.sent_iq("ours".into(), 20, t(2), false);
        assert!(d.set_in_flight());
        assert!(
            !d.ack_to(29, t(3), &mut |_| {}),
            "short of the result's end"
        );
        assert!(d.ack_to(30, t(3), &mut |_| {}));
        assert_eq!(d.bytes(), 4, "the first stanza is confirmed");
        // An empty IQ (an ack of ours) ends where the one before it does:
        // an offset never covers it, its own answer does.
        d.sent_iq("empty".into(), 0, t(2), false);
        assert!(d.ack_to(1_000, t(3), &mut |_| {}));
        assert_eq!((d.in_flight(), d.bytes()), (1, 0));
        assert!(d.ack("empty", t(3), &mut |_| {}));
        assert!(d.is_settled());
        // Nor does its answer confirm what went before it: the peer reads
        // an empty one even when an earlier data IQ was lost.
        d.accept(b"lost?".to_vec(), None, 100).unwrap();
        d.written(1, 80);
        d.sent_iq("lost".into(), 30, t(4), false);
        d.sent_iq("empty 2".into(), 0, t(4), false);
        assert!(d.ack("empty 2", t(5), &mut |_| {}));
        assert_eq!(d.bytes(), 5, "not confirmed");
    }

    #[test]
    fn a_stanza_over_the_limit_is_refused_whole() {
        let mut d = Delivery::default();
        d.accept(vec![0; 60], None, 100).unwrap();
        assert!(matches!(
            d.accept(vec![0; 41], None, 100),
            Err(Error::BufferFull { limit: 100 })
        ));
        d.accept(vec![0; 40], None, 100).unwrap();
        assert_eq!((d.bytes(), d.batch(usize::MAX)), (100, 2));
        assert_eq!(d.batch(0), 0);
    }
}
