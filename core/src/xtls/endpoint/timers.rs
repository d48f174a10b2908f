//! The endpoint's one clock, in the sans-IO shape of quinn-proto: the next
//! deadline of any tunnel or waiting answer, and what happens when it passes.

use super::*;

impl Endpoint {
    /// When [`Endpoint::handle_timeout`] must next be called: the earliest
    /// deadline of an answer some tunnel waits for ([`Limits`]' timeouts).
    /// `None` when no tunnel waits for anything. Whole seconds, like the
    /// `now` the endpoint is given.
    pub fn poll_timeout(&self) -> Option<UnixTime> {
        self.tunnels
            .values()
            .filter_map(|t| t.deadline())
            .map(|(t, _)| t)
            .min()
    }

    /// Closes every tunnel whose deadline has passed at `now`
    /// ([`CloseReason::Timeout`]), handing back the stanzas the peer did not
    /// acknowledge; the peer is sent `<close/>` so it drops its side too.
    pub fn handle_timeout(&mut self, now: UnixTime) {
        self.tick(now);
        let expired: Vec<(Jid, Wait, bool)> = self
            .tunnels
            .iter()
            .filter_map(|(peer, t)| {
                let (at, wait) = t.deadline()?;
                (at <= now).then(|| (peer.clone(), wait, t.close_sent()))
            })
            .collect();
        for (peer, wait, close_sent) in expired {
            if !close_sent {
                self.send_close(&peer);
            }
            self.remove(&peer, CloseReason::Timeout(wait));
        }
    }

    /// The host's clock: every call that takes `now` passes it here.
    pub(super) fn tick(&mut self, now: UnixTime) {
        self.now = now;
        self.tls.clock.set(now);
    }
}
