//! The handlers of the four XTLS requests (XTLS §4.1–§4.5): `<start/>`
//! (with the half-open slots and the start gate), `<proceed/>`, `<data/>`
//! (with copies and restarts told by content) and `<close/>`.

use super::*;

impl Endpoint {
    pub(super) fn on_start(
        &mut self,
        peer: &Jid,
        id: &str,
        offer: Option<Offer>,
        piggyback: bool,
        now: UnixTime,
    ) -> Result<(), Error> {
        let existing = self.tunnels.get(peer).map(|t| {
            let same = matches!(
                &t.origin,
                Origin::PeerStart { id: sid, offer: o } if sid == id && *o == offer
            );
            (t.state(), same)
        });
        match existing {
            // The start that made this tunnel, delivered again (XEP-0198
            // resends, a server's retry): answered again, nothing changes.
            // A restarted peer that reuses the id and offer looks the same
            // here; its fresh ClientHello tells it apart (`on_data`).
            Some((_, true)) => {
                let piggyback = self.tunnels.get(peer).is_some_and(|t| t.piggyback());
                self.reply(peer, id, self.proceed(piggyback));
                return Ok(());
            }
            // A new start from a peer that has a tunnel with us: it lost its
            // state (a restart), so the tunnel it knew is gone.
            Some((state, false)) if state != TunnelState::Starting => {
                self.remove(peer, CloseReason::PeerRestarted);
            }
            _ => {}
        }
        if !self.enabled {
            return Err(Error::Disabled);
        }
        let mut abandoned = None;
        if self.tunnels.contains_key(peer) {
            // Both sides started at once (XTLS §4.1): the start of the party
            // whose JID sorts first (i;octet) wins.
            if self.local < *peer {
                self.reply(
                    peer,
                    id,
                    Payload::Error(StanzaError::new(
                        Condition::Conflict,
                        Some("simultaneous start: ours has priority".into()),
                    )),
                );
                return Ok(());
            }
            abandoned = self.tunnels.remove(peer);
            if let Some(sid) = abandoned.as_mut().and_then(|t| t.take_start_id()) {
                self.io.retire_id(&sid);
            }
        }
        match self.accept(peer, id, offer, now) {
            Ok(mut t) => {
                if let Some(mut old) = abandoned {
                    t.adopt_queue(&mut old);
                }
                t.set_piggyback(self.piggyback && piggyback);
                self.reply(peer, id, self.proceed(t.piggyback()));
                self.tunnels.insert(peer.clone(), Box::new(t));
                Ok(())
            }
            Err(e) => {
                // Our own start gave way to this one, which failed: what the
                // application queued in ours comes back.
                if let Some(old) = abandoned {
                    self.report_closed(peer, old, CloseReason::Error(e.clone()));
                }
                Err(e)
            }
        }
    }

    /// Our `<proceed/>`: the offer, and `<piggyback/>` when the tunnel
    /// will use it (both ends offered it).
    fn proceed(&self, piggyback: bool) -> Payload {
        Payload::Proceed {
            offer: self.offer.clone(),
            piggyback,
        }
    }

    /// The responder's tunnel for a peer's start, its TLS server ready.
    /// The host's gate decides first, before any TLS state exists; then the
    /// tunnel limit; then room among the half-open tunnels is made by
    /// evicting the oldest ([`Limits::max_half_open`]).
    pub(super) fn accept(
        &mut self,
        peer: &Jid,
        start_id: &str,
        offer: Option<Offer>,
        now: UnixTime,
    ) -> Result<Tunnel, Error> {
        if !self.gate.admits(peer) {
            return Err(Error::Disabled);
        }
        self.check_tunnel_limit()?;
        self.make_half_open_room(peer);
        if let Some(o) = &offer {
            if o.x509_hashes.is_empty() && o.srp {
                return Err(Error::UnsupportedMethod("srp".into()));
            }
        }
        let check = self.check_for(peer, false, offer.as_ref())?;
        let slot = PeerSlot::new(check);
        let conn = ServerConnection::new(self.tls.server(slot.clone())?)?;
        let origin = Origin::PeerStart {
            id: start_id.to_owned(),
            offer,
        };
        let mut t = self.new_tunnel(peer, origin, now);
        t.attach_tls(Connection::Server(conn), slot, now);
        Ok(t)
    }

    /// Evicts the oldest half-open tunnels until a start from `peer` fits
    /// both [`Limits::max_half_open_per_peer`] and
    /// [`Limits::max_half_open`] (a SYN backlog: a flood of starts pushes
    /// out its own, and an honest peer completes within a round trip). The
    /// evicted peer is sent `<close/>`.
    pub(super) fn make_half_open_room(&mut self, peer: &Jid) {
        let l = self.limits;
        loop {
            let oldest = |same_account: bool| {
                self.tunnels
                    .values()
                    .filter(|t| t.is_half_open())
                    .filter(|t| !same_account || t.peer.bare_str() == peer.bare_str())
                    .fold((0, None::<&Tunnel>), |(n, old), t| {
                        let older = old.filter(|o| o.created < t.created).unwrap_or(t);
                        (n + 1, Some(older))
                    })
            };
            let (mine, my_oldest) = oldest(true);
            let (all, all_oldest) = oldest(false);
            let victim = if mine >= l.max_half_open_per_peer {
                my_oldest
            } else if all >= l.max_half_open {
                all_oldest
            } else {
                None
            };
            let Some(victim) = victim.map(|t| t.peer.clone()) else {
                return;
            };
            self.send_close(&victim);
            let limit = if mine >= l.max_half_open_per_peer {
                l.max_half_open_per_peer
            } else {
                l.max_half_open
            };
            self.remove(&victim, CloseReason::Error(Error::TooManyTunnels { limit }));
        }
    }

    pub(super) fn on_proceed(
        &mut self,
        peer: &Jid,
        offer: Option<Offer>,
        piggyback: bool,
        now: UnixTime,
    ) -> Result<(), Error> {
        if let Some(o) = &offer {
            if o.x509_hashes.is_empty() && o.srp {
                // §4.2: a handshake that will fail must be closed at once.
                self.send_close(peer);
                return Err(Error::UnsupportedMethod("srp".into()));
            }
        }
        let check = match self.check_for(peer, true, offer.as_ref()) {
            Ok(c) => c,
            Err(e) => {
                self.send_close(peer);
                return Err(e);
            }
        };
        let slot = PeerSlot::new(check);
        let name = session_name(peer)?;
        self.tls.registry.register(&name.to_str(), slot.clone());
        let conn = ClientConnection::new(self.tls.client(), name)?;
        let t = self
            .tunnels
            .get_mut(peer)
            .ok_or_else(|| Error::NoTunnel(peer.to_string()))?;
        t.attach_tls(Connection::Client(conn), slot, now);
        t.set_piggyback(self.piggyback && piggyback);
        Ok(())
    }

    /// Sends `<close/>` for a tunnel that is about to be dropped, so the peer
    /// drops its side too; its answer will be absorbed as late.
    pub(super) fn send_close(&mut self, peer: &Jid) {
        if let Some(t) = self.tunnels.get_mut(peer) {
            t.answer_all(&mut self.io, self.now);
        }
        let id = self.io.next_id();
        self.io.push_control(wire::iq_xml(
            &id,
            self.shared.sender(),
            Some(peer.as_str()),
            &Payload::Close,
        ));
    }

    /// A data IQ-set (XTLS §4.3): its `ack` offset (piggyback), then its
    /// TLS octets; answered with the next output (carrying our next
    /// octets, with piggyback), or at once when it is a copy.
    pub(super) fn on_data(
        &mut self,
        peer: &Jid,
        id: &str,
        data: DataIn<'_>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let Some(t) = self.tunnels.get_mut(peer) else {
            return Err(Error::NoTunnel(peer.to_string()));
        };
        // The same data IQ again (same id, same content) is acknowledged
        // again, not read twice.
        let seen = match &data.octets {
            Ok(o) => t.seen_data(id, o),
            Err(_) => Seen::New,
        };
        if seen == Seen::Copy {
            self.io.answered = true;
            t.answer_copy(id.to_owned(), &mut self.io);
            return Ok(());
        }
        // A fresh ClientHello on a tunnel whose handshake completed: the
        // peer restarted, reusing its start's id, so that start looked like
        // a copy. The old tunnel is replaced by one made from that start.
        let restart = data
            .octets
            .as_ref()
            .is_ok_and(|o| starts_with_client_hello(o))
            && t.restarts_on_client_hello();
        if restart {
            let (sid, offer) = match &t.origin {
                Origin::PeerStart { id, offer } => (id.clone(), offer.clone()),
                Origin::Ours => (String::new(), None),
            };
            let piggyback = t.piggyback();
            self.remove(peer, CloseReason::PeerRestarted);
            let mut fresh = self.accept(peer, &sid, offer, now)?;
            fresh.set_piggyback(piggyback);
            if let Ok(o) = &data.octets {
                fresh.seen_data(id, o);
            }
            self.tunnels.insert(peer.clone(), Box::new(fresh));
        } else if let (Some(offset), Some(t)) = (data.ack, self.tunnels.get_mut(peer)) {
            t.on_offset_ack(offset, now, &mut self.io);
        }
        self.read_data(peer, data.method, data.octets, now)?;
        // The answer goes out with the next output, behind the data this
        // input produces (or carrying it).
        self.io.answered = true;
        if let Some(t) = self.tunnels.get_mut(peer) {
            t.owe_answer(id.to_owned());
        }
        Ok(())
    }

    /// An IQ result carrying data (piggyback): the answer to our data IQ
    /// `id`, the peer's `ack` offset, and the next octets of its stream.
    /// A failure closes the tunnel (a result gets no answer to carry an
    /// error).
    pub(super) fn on_data_result(
        &mut self,
        peer: &Jid,
        id: &str,
        data: DataIn<'_>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let Some(t) = self.tunnels.get_mut(peer) else {
            return Ok(());
        };
        t.on_ack(id, now, &mut self.io);
        if let Some(offset) = data.ack {
            t.on_offset_ack(offset, now, &mut self.io);
        }
        let read = self.read_data(peer, None, data.octets, now);
        if let Err(e) = read {
            self.send_close(peer);
            self.fail(peer, e.clone());
            return Err(e);
        }
        if let Some(t) = self.tunnels.get_mut(peer) {
            t.read_from_result();
        }
        Ok(())
    }

    /// Feeds TLS octets from the peer to its tunnel, and stores the key a
    /// completed handshake pinned.
    fn read_data(
        &mut self,
        peer: &Jid,
        method: Option<&str>,
        octets: Result<&[u8], Error>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let Some(t) = self.tunnels.get_mut(peer) else {
            return Err(Error::NoTunnel(peer.to_string()));
        };
        let was_handshaking = t.state() == TunnelState::Handshaking;
        let pinned = t.on_data(
            method,
            octets,
            now,
            &mut self.certs,
            &self.remembered,
            &mut self.io,
        )?;
        // The verifier's check is done once the handshake is: the
        // registry need not keep it for the tunnel's life.
        if was_handshaking
            && t.origin.role() == Role::Initiator
            && t.state() != TunnelState::Handshaking
        {
            if let Ok(name) = session_name(peer) {
                self.tls.registry.unregister(&name.to_str());
            }
        }
        if let Some(pin) = pinned {
            self.store_pin(pin);
        }
        Ok(())
    }

    pub(super) fn on_close(&mut self, peer: &Jid, id: &str) -> Result<(), Error> {
        let Some(t) = self.tunnels.get(peer) else {
            return Err(Error::NoTunnel(peer.to_string()));
        };
        let ours_unanswered =
            t.origin.role() == Role::Initiator && t.state() == TunnelState::Starting;
        self.reply(peer, id, Payload::Closed);
        // Our start is not answered yet: the peer cannot be closing the
        // tunnel it starts (it would refuse the start instead), so this
        // closes an earlier one, which it gave up while this start was on
        // its way. It is answered, and the new tunnel goes on.
        if ours_unanswered {
            return Ok(());
        }
        self.remove(peer, CloseReason::Peer);
        Ok(())
    }

    /// Stores a key a handshake pinned on first use: in the application's
    /// storage when it gave one, and in the endpoint's store.
    fn store_pin(&mut self, pin: NewPin) {
        let NewPin { bare, spki_sha256 } = pin;
        if let Some(s) = &mut self.storage {
            let mut pins = s.0.pins(&bare);
            pins.push(spki_sha256.clone());
            s.0.set_pins(&bare, pins);
        }
        self.pins.add(&bare, &spki_sha256);
    }
}

/// What a `<data/>` brought, from either reader.
pub(super) struct DataIn<'a> {
    /// `method` (the initiator's first data, XTLS §4.3).
    pub method: Option<&'a str>,
    /// The TLS octets, or why the base64 could not be decoded.
    pub octets: Result<&'a [u8], Error>,
    /// `ack`: our stream read up to there (piggyback).
    pub ack: Option<u64>,
}

/// The rustls "server name" of a peer: a per-peer key for the session cache
/// (resumption only with the same full JID). SNI is off, so it never leaves
/// the endpoint.
pub(super) fn session_name(peer: &Jid) -> Result<ServerName<'static>, Error> {
    let digest = ring::digest::digest(&ring::digest::SHA256, peer.as_str().as_bytes());
    let name = format!("p{}.xtls.invalid", hex(&digest.as_ref()[..16]));
    ServerName::try_from(name).map_err(|e| Error::Config(e.to_string()))
}
