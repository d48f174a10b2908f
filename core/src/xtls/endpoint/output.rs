//! What leaves the endpoint (XTLS §4.3, README "Hosting a tunnel"): stanzas
//! to write, built lazily so that sends of one turn share data IQs, the
//! keepalive hint, and events for the application.

use super::*;

impl Endpoint {
    /// The next stanza to send, as XML text for the host library's stream.
    ///
    /// Data IQs are built here, when the host asks, so that the stanzas sent
    /// since the last call share TLS records and `<data/>` IQs. Send what
    /// this returns in one write where the host can: acknowledgements come
    /// last, behind the data the same input produced.
    pub fn poll_transmit(&mut self) -> Option<String> {
        if self.io.transmits.is_empty() {
            self.flush();
        }
        let next = self
            .io
            .transmits
            .pop_front()
            .or_else(|| self.io.acks.pop_front());
        if next.is_some() {
            self.io.transmitted = true;
        }
        next
    }

    /// [`Endpoint::poll_transmit`] at `now`: the data IQs it builds are
    /// stamped with the host's clock as they leave, not with the time of
    /// the last input (their round trips feed the path's estimates). For
    /// hosts that read a clock anyway (the npm package and uniffi do); the
    /// others pass `now` with each input just before they poll.
    pub fn poll_transmit_at(&mut self, now: UnixTime) -> Option<String> {
        self.tick(now);
        self.poll_transmit()
    }

    /// [`Endpoint::poll_write`] at `now`, as [`Endpoint::poll_transmit_at`].
    pub fn poll_write_at(&mut self, now: UnixTime) -> Option<String> {
        self.tick(now);
        self.poll_write()
    }

    /// Builds the output of every tunnel with something to send; a tunnel
    /// that cannot is closed.
    pub(super) fn flush(&mut self) {
        let now = self.now;
        let mut broken = Vec::new();
        for (peer, t) in self.tunnels.iter_mut().filter(|(_, t)| t.dirty) {
            if let Err(e) = t.flush(&mut self.io, now) {
                broken.push((peer.clone(), e));
            }
        }
        for (peer, e) in broken {
            self.send_close(&peer);
            self.fail(&peer, e);
        }
    }

    /// True when the last XTLS stanza the endpoint handled was followed by
    /// nothing to send (once: the call resets it). Then the host should
    /// write a whitespace keepalive to its stream (RFC 6120 §4.6.1), or set
    /// `TCP_QUICKACK` where it owns the socket. Call it after each read, once
    /// [`Endpoint::poll_transmit`] is drained.
    ///
    /// Why: a stanza that gets no answer (an acknowledgement, `<closed/>`)
    /// leaves the client's kernel to delay its TCP ACK (~40 ms on Linux),
    /// and a server with Nagle's algorithm on (Prosody's default) holds its
    /// next small write to that client until the ACK comes: every exchange
    /// in a tunnel would wait for it. A keepalive carries the ACK at once.
    pub fn poll_keepalive(&mut self) -> bool {
        let wanted = self.io.handled && !self.io.transmitted;
        self.io.handled = false;
        self.io.transmitted = false;
        wanted
    }

    /// Everything to write to the XMPP stream now, as one string: every
    /// stanza [`Endpoint::poll_transmit`] has, in order, then one space (a
    /// whitespace keepalive, RFC 6120 §4.6.1) when
    /// [`Endpoint::poll_keepalive`] asks for one. `None` when there is
    /// nothing to write.
    ///
    /// The one call a host needs after each read (all the stanzas it passed
    /// to [`Endpoint::handle_incoming`]), after each `send`/`open`/`close`
    /// and after [`Endpoint::handle_timeout`]: written in one write, the
    /// acknowledgements travel with the data and the keepalive rule cannot
    /// be got wrong. Hosts whose library only sends stanzas use
    /// `poll_transmit` and `poll_keepalive` instead.
    pub fn poll_write(&mut self) -> Option<String> {
        let mut out = String::new();
        while let Some(s) = self.poll_transmit() {
            out.push_str(&s);
        }
        if self.poll_keepalive() {
            out.push(' ');
        }
        (!out.is_empty()).then_some(out)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.io.events.pop_front()
    }
}
