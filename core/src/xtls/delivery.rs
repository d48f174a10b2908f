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

use crate::error::Error;

/// A data IQ sent and not yet answered.
#[derive(Debug)]
struct InFlight {
    id: String,
    /// The TLS stream offset just past its last octet.
    end: u64,
    sent_at: UnixTime,
    acked: bool,
}

/// The outgoing side of one tunnel: stanzas waiting, stanzas unconfirmed,
/// and the data IQs in flight.
#[derive(Debug, Default)]
pub(crate) struct Delivery {
    /// Every stanza not confirmed, oldest first: the first `written` were
    /// written to TLS, each with the stream offset just past its last octet;
    /// the rest wait (for the handshake, or for room in the window).
    stanzas: VecDeque<(u64, Vec<u8>)>,
    written: usize,
    /// Plaintext octets in `stanzas`.
    bytes: usize,
    /// Data IQs sent and not acknowledged, oldest first.
    in_flight: VecDeque<InFlight>,
    /// TLS octets put into data IQs so far.
    sent: u64,
}

impl Delivery {
    /// Takes a stanza, or refuses it whole when it would hold more than
    /// `limit` plaintext octets.
    pub(crate) fn accept(&mut self, stanza: Vec<u8>, limit: usize) -> Result<(), Error> {
        if self.bytes.saturating_add(stanza.len()) > limit {
            return Err(Error::BufferFull { limit });
        }
        self.bytes += stanza.len();
        self.stanzas.push_back((0, stanza));
        Ok(())
    }

    /// Plaintext octets held (waiting or unconfirmed).
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The stanzas waiting to be written to TLS.
    fn waiting(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.stanzas.iter().skip(self.written).map(|(_, s)| s)
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
            total += s.len();
            n += 1;
        }
        n
    }

    /// The first `n` waiting stanzas, for one vectored write: stanzas written
    /// together share TLS records.
    pub(crate) fn slices(&self, n: usize) -> Vec<IoSlice<'_>> {
        self.waiting().take(n).map(|s| IoSlice::new(s)).collect()
    }

    /// The first `n` waiting stanzas were written to TLS, ending before
    /// stream offset `end`.
    pub(crate) fn written(&mut self, n: usize, end: u64) {
        let n = n.min(self.stanzas.len() - self.written);
        for (e, _) in self.stanzas.range_mut(self.written..self.written + n) {
            *e = end;
        }
        self.written += n;
    }

    /// Moves stanzas waiting in `other` (a tunnel abandoned before it sent
    /// anything) in front of ours.
    pub(crate) fn adopt(&mut self, other: &mut Delivery) {
        if other.written == 0 {
            while let Some(s) = other.stanzas.pop_back() {
                self.bytes += s.1.len();
                self.stanzas.push_front(s);
            }
            other.bytes = 0;
        }
    }

    /// A data IQ with `octets` TLS octets was sent at `now`.
    pub(crate) fn sent_iq(&mut self, id: String, octets: usize, now: UnixTime) {
        self.sent += octets as u64;
        self.in_flight.push_back(InFlight {
            id,
            end: self.sent,
            sent_at: now,
            acked: false,
        });
    }

    /// TLS octets put into data IQs so far.
    pub(crate) fn sent(&self) -> u64 {
        self.sent
    }

    /// Data IQs in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Stanzas waiting to be written to TLS.
    pub(crate) fn has_queued(&self) -> bool {
        self.stanzas.len() > self.written
    }

    /// The acknowledgement of data IQ `id`: every stanza whose octets are
    /// now all acknowledged is confirmed and dropped. False when `id` is not
    /// in flight.
    pub(crate) fn ack(&mut self, id: &str) -> bool {
        let Some(entry) = self.in_flight.iter_mut().find(|f| f.id == id) else {
            return false;
        };
        entry.acked = true;
        let mut confirmed = None;
        while self.in_flight.front().is_some_and(|f| f.acked) {
            confirmed = self.in_flight.pop_front().map(|f| f.end);
        }
        let Some(end) = confirmed else {
            return true;
        };
        while self.written > 0 && self.stanzas.front().is_some_and(|(e, _)| *e <= end) {
            if let Some((_, s)) = self.stanzas.pop_front() {
                self.bytes -= s.len();
                self.written -= 1;
            }
        }
        true
    }

    /// When the oldest unanswered data IQ was sent.
    pub(crate) fn oldest_unanswered(&self) -> Option<UnixTime> {
        self.in_flight.front().map(|f| f.sent_at)
    }

    /// Nothing waits and nothing is in flight.
    pub(crate) fn is_settled(&self) -> bool {
        !self.has_queued() && self.in_flight.is_empty()
    }

    /// Everything not confirmed, emptied out of the tunnel, oldest first:
    /// each with whether it was written (then the peer may have it).
    pub(crate) fn take_undelivered(&mut self) -> Vec<(Vec<u8>, bool)> {
        let written = std::mem::take(&mut self.written);
        self.bytes = 0;
        self.in_flight.clear();
        self.stanzas
            .drain(..)
            .enumerate()
            .map(|(i, (_, s))| (s, i < written))
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
            d.accept(s.to_vec(), 100).unwrap();
        }
        assert_eq!(d.bytes(), 7);
        // "aaaa" and "bb" go together into TLS: 30 octets of records, sent
        // in two IQs of 20 and 10.
        assert_eq!(d.batch(5), 2);
        d.written(2, 30);
        d.sent_iq("1".into(), 20, t(1));
        d.sent_iq("2".into(), 10, t(2));
        assert_eq!(d.oldest_unanswered(), Some(t(1)));
        // Acks out of order confirm nothing until the first arrives.
        assert!(d.ack("2"));
        assert_eq!(d.bytes(), 7);
        assert!(!d.ack("nope"));
        assert!(d.ack("1"));
        assert_eq!(d.bytes(), 1);
        assert_eq!(d.in_flight(), 0);
        assert_eq!(d.take_undelivered(), vec![(b"c".to_vec(), false)]);
    }

    #[test]
    fn unacknowledged_and_unsent_stanzas_are_handed_back_in_order() {
        let mut d = Delivery::default();
        for s in [&b"one"[..], b"two", b"three"] {
            d.accept(s.to_vec(), 100).unwrap();
        }
        d.written(1, 10);
        d.sent_iq("a".into(), 10, t(1));
        d.written(1, 20);
        d.sent_iq("b".into(), 10, t(1));
        assert!(d.ack("a"));
        assert_eq!(
            d.take_undelivered(),
            vec![(b"two".to_vec(), true), (b"three".to_vec(), false)]
        );
        assert!(d.is_settled() && d.bytes() == 0);
    }

    #[test]
    fn a_stanza_over_the_limit_is_refused_whole() {
        let mut d = Delivery::default();
        d.accept(vec![0; 60], 100).unwrap();
        assert!(matches!(
            d.accept(vec![0; 41], 100),
            Err(Error::BufferFull { limit: 100 })
        ));
        d.accept(vec![0; 40], 100).unwrap();
        assert_eq!((d.bytes(), d.batch(usize::MAX)), (100, 2));
        assert_eq!(d.batch(0), 0);
    }
}
