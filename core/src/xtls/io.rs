//! The endpoint's output queues and the bookkeeping of IQs we sent and await
//! answers for.

use std::collections::{HashMap, VecDeque};

use super::event::Event;
use crate::jid::Jid;

/// What an IQ we sent was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PendingKind {
    Start,
    Data,
    Close,
}

#[derive(Debug)]
pub(crate) struct Pending {
    pub peer: Jid,
    pub kind: PendingKind,
}

/// Queues shared by all tunnels of an endpoint.
#[derive(Debug, Default)]
pub(crate) struct Io {
    /// Stanzas to send, in order: requests, answers other than
    /// acknowledgements, and data IQs as tunnels build them.
    pub transmits: VecDeque<String>,
    /// Acknowledgements of data IQs, sent after the data the same input
    /// produced: behind it, an acknowledgement travels in the same write
    /// instead of alone (a lone small write is what a server with Nagle's
    /// algorithm holds back until the client's delayed ACK).
    pub acks: VecDeque<String>,
    pub events: VecDeque<Event>,
    pending: HashMap<String, Pending>,
    prefix: String,
    counter: u64,
    /// The stanza being handled has been answered.
    pub answered: bool,
    /// XTLS stanzas were handled since the host last asked about a
    /// keepalive.
    pub handled: bool,
    /// A stanza went out since the last XTLS stanza was handled.
    pub transmitted: bool,
}

impl Io {
    pub(crate) fn new(prefix: String) -> Self {
        Io {
            prefix,
            ..Io::default()
        }
    }

    /// Queues a stanza that is not a data IQ (a request, an answer other
    /// than an acknowledgement): acknowledgements queued so far go first, so
    /// that a `<close/>` or `<closed/>` never overtakes the acknowledgement
    /// of data that arrived before it.
    pub(crate) fn push_control(&mut self, stanza: String) {
        self.transmits.append(&mut self.acks);
        self.transmits.push_back(stanza);
    }

    /// A fresh IQ id: `xtls-<random>-<n>`.
    pub(crate) fn next_id(&mut self) -> String {
        self.counter += 1;
        let mut id = String::with_capacity(self.prefix.len() + 20);
        id.push_str(&self.prefix);
        crate::xml::push_decimal(&mut id, self.counter);
        id
    }

    /// True when `id` is in our id space.
    pub(crate) fn is_ours(&self, id: &str) -> bool {
        id.starts_with(&self.prefix)
    }

    /// True when `id` is one we sent earlier and no longer wait for: the
    /// answer is late (its tunnel is gone) or a copy (a stream resumed with
    /// XEP-0198 resends what was not acknowledged), and is absorbed.
    pub(crate) fn is_old(&self, id: &str) -> bool {
        id.strip_prefix(&self.prefix)
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n >= 1 && n <= self.counter && !self.pending.contains_key(id))
    }

    pub(crate) fn expect(&mut self, id: String, peer: Jid, kind: PendingKind) {
        self.pending.insert(id, Pending { peer, kind });
    }

    /// Takes the pending entry for an answer, if `from` is who we asked.
    /// An error may also come from the peer's bare JID or its domain: a
    /// server answers in the peer's name that way for a resource that is
    /// gone (RFC 6120 §10.5.3.2 lets it choose). Only servers can send
    /// from those addresses (they stamp `from` on what clients send), and
    /// the id must still be one we wait for.
    pub(crate) fn answer(&mut self, id: &str, from: Option<&str>, error: bool) -> Option<Pending> {
        let p = self.pending.get(id)?;
        let from = from?;
        let ok = from == p.peer.as_str()
            || (error && (from == p.peer.bare_str() || from == p.peer.domain()));
        if !ok {
            return None;
        }
        self.pending.remove(id)
    }

    /// Stops waiting for the answers to every IQ sent to `peer`.
    pub(crate) fn retire(&mut self, peer: &Jid) {
        self.pending.retain(|_, p| &p.peer != peer);
    }

    /// Stops waiting for the answer to one IQ.
    pub(crate) fn retire_id(&mut self, id: &str) {
        self.pending.remove(id);
    }

    /// IQs we wait for an answer to.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }
}
