//! Data in IQ results, the receiving side's bookkeeping (an extension of
//! XTLS §4.3, negotiated with `<piggyback/>` in start and proceed).
//!
//! Plain XTLS answers every data IQ with an empty IQ result, so a request
//! answered at once costs four stanzas through the servers: data and
//! acknowledgement each way, against two for a plain IQ exchange. Through
//! a real server that cost is per stanza (README, "Through a real
//! Prosody"). With piggyback, as TCP puts its ACK on the next segment
//! (RFC 793 §3.7), the answer to the peer's data IQ carries our next TLS
//! octets when the application has sent something by the time the host
//! writes, and our data carries an `ack` offset for the octets the peer
//! put in its answers:
//!
//! - A data IQ we read is answered at the next flush, not at once
//!   ([`Acks::owe`]); nothing waits for a timer, so an answer is never
//!   later than plain XTLS's (the host writes what the same read produced).
//! - Octets that came in a result need an acknowledgement of their own:
//!   every `<data/>` we send carries `ack` (the TLS octets of the peer's
//!   stream read so far, cumulative), and when the output that follows the
//!   read has no data of ours, an empty `<data ack='…'/>` goes alone, as
//!   TCP acknowledges at once when it has nothing to send with it. So the
//!   peer's octets wait one round trip for their acknowledgement, as in a
//!   data IQ-set (small sends do not wait behind them: see
//!   [`Delivery::set_in_flight`](super::delivery::Delivery::set_in_flight)).
//! - The peer's answer to a later data IQ of ours also confirms earlier
//!   octets: TLS reads its stream in order (the endpoint's
//!   [`Delivery::ack`](super::delivery::Delivery::ack)).

/// What a tunnel owes the peer for the data it read.
#[derive(Debug, Default)]
pub(crate) struct Acks {
    /// Both ends offered piggyback.
    pub on: bool,
    /// TLS octets of the peer's stream read so far.
    read: u64,
    /// The peer's stream up to here is confirmed: data IQs answered, or an
    /// `ack` sent.
    confirmed: u64,
    /// The peer's data IQs read and not answered yet, each with the stream
    /// offset just past it.
    owed: Vec<(String, u64)>,
}

impl Acks {
    /// `n` TLS octets of the peer's stream were read.
    pub(crate) fn read(&mut self, n: usize) {
        self.read = self.read.saturating_add(n as u64);
    }

    /// The peer's data IQ `id`, read whole, is answered at the next flush.
    pub(crate) fn owe(&mut self, id: String) {
        self.owe_at(id, self.read);
    }

    /// An answer owed whose sending confirms the peer's stream up to `at`
    /// (0: nothing, for a copy of an IQ read earlier).
    pub(crate) fn owe_at(&mut self, id: String, at: u64) {
        self.owed.push((id, at));
    }

    /// The answer that may carry our next data: the latest one owed (when
    /// piggyback is on).
    pub(crate) fn take_carrier(&mut self) -> Option<(String, u64)> {
        if self.on {
            self.owed.pop()
        } else {
            None
        }
    }

    /// Every answer owed, taken (to be sent empty).
    pub(crate) fn take_owed(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.owed)
    }

    /// The answer to a data IQ ending at stream offset `at` went out.
    pub(crate) fn answered(&mut self, at: u64) {
        self.confirmed = self.confirmed.max(at);
    }

    /// The `ack` for the next `<data/>` we send: everything read so far,
    /// when octets that came in results wait for it (none otherwise: the
    /// answers to the peer's data IQs confirm the rest, and a one-way
    /// stream then carries no `ack` at all).
    pub(crate) fn offset(&self) -> Option<u64> {
        self.due().then_some(self.read)
    }

    /// A `<data/>` with [`offset`](Self::offset) went out.
    pub(crate) fn sent_offset(&mut self) {
        self.confirmed = self.read;
    }

    /// Octets that came in results wait for an `ack`: every answer owed
    /// was sent, and the peer's stream was read beyond them.
    pub(crate) fn due(&self) -> bool {
        self.on && self.read > self.confirmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octets_from_results_are_due_until_an_offset_or_answer_covers_them() {
        let mut a = Acks {
            on: true,
            ..Acks::default()
        };
        assert_eq!(a.offset(), None, "nothing read");
        a.read(100);
        a.owe("set-1".into());
        assert_eq!(a.offset(), Some(100), "its answer has not gone yet");
        assert_eq!(a.take_carrier(), Some(("set-1".into(), 100)));
        a.answered(100);
        assert!(!a.due());
        assert_eq!(a.offset(), None, "answered: nothing to confirm");
        // 50 octets in a result: due.
        a.read(50);
        assert!(a.due());
        assert_eq!(a.offset(), Some(150));
        a.sent_offset();
        assert!(!a.due());
        // An answer that covers less leaves it due.
        a.read(10);
        a.answered(150);
        assert!(a.due());
        a.sent_offset();
        // A data IQ read, then octets in a result: the IQ's answer, even
        // when it carries nothing, confirms only up to the IQ; a copy's
        // answer confirms nothing.
        a.read(20);
        a.owe("set-2".into());
        a.read(30);
        let (id, at) = a.take_carrier().unwrap();
        assert_eq!(at, 180);
        a.owe_at(id, at);
        a.owe_at("copy".into(), 0);
        let upto = a.take_owed().iter().map(|(_, at)| *at).max().unwrap();
        a.answered(upto);
        assert!(a.due(), "the result's 30 octets still wait for an ack");
    }

    #[test]
    fn without_piggyback_nothing_carries_data_or_offsets() {
        let mut a = Acks::default();
        a.read(10);
        a.owe("x".into());
        assert_eq!(a.take_carrier(), None);
        assert_eq!(a.offset(), None);
        assert_eq!(a.take_owed(), vec![("x".to_owned(), 10)]);
        assert!(!a.due());
    }
}
