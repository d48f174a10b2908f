//! The endpoint's output queues and the bookkeeping of IQs we sent and await
//! answers for.

use std::collections::{HashMap, HashSet, VecDeque};

use super::event::Event;
use crate::jid::Jid;

/// Most ids of closed tunnels remembered, so that late answers to them are
/// absorbed quietly instead of being reported as unexpected. Oldest first out.
pub const MAX_STALE_IDS: usize = 1024;

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
    pub transmits: VecDeque<String>,
    pub events: VecDeque<Event>,
    pending: HashMap<String, Pending>,
    stale: HashSet<String>,
    stale_order: VecDeque<String>,
    prefix: String,
    counter: u64,
}

impl Io {
    pub(crate) fn new(prefix: String) -> Self {
        Io {
            prefix,
            ..Io::default()
        }
    }

    /// A fresh IQ id: `xtls-<random>-<n>`.
    pub(crate) fn next_id(&mut self) -> String {
        self.counter += 1;
        format!("{}{}", self.prefix, self.counter)
    }

    /// True when `id` is in our id space.
    pub(crate) fn is_ours(&self, id: &str) -> bool {
        id.starts_with(&self.prefix)
    }

    pub(crate) fn expect(&mut self, id: String, peer: Jid, kind: PendingKind) {
        self.pending.insert(id, Pending { peer, kind });
    }

    /// Takes the pending entry for an answer, if `from` is who we asked.
    pub(crate) fn answer(&mut self, id: &str, from: Option<&str>) -> Option<Pending> {
        let p = self.pending.get(id)?;
        if from != Some(p.peer.as_str()) {
            return None;
        }
        self.pending.remove(id)
    }

    /// True (and forgotten) when `id` belonged to a tunnel that is gone.
    pub(crate) fn take_stale(&mut self, id: &str) -> bool {
        self.stale.remove(id)
    }

    /// Moves every pending id of `peer` to the stale set.
    pub(crate) fn retire(&mut self, peer: &Jid) {
        let ids: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| &p.peer == peer)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.pending.remove(&id);
            self.retire_id(id);
        }
    }

    /// Marks one id as stale.
    pub(crate) fn retire_id(&mut self, id: String) {
        self.pending.remove(&id);
        if self.stale.insert(id.clone()) {
            self.stale_order.push_back(id);
        }
        while self.stale_order.len() > MAX_STALE_IDS {
            if let Some(old) = self.stale_order.pop_front() {
                self.stale.remove(&old);
            }
        }
    }
}
