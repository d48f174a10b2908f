//! Dispatch of what the host hands in: the data path's fast readers first
//! (data IQs and their acknowledgements, XTLS §4.3), everything else read
//! into a tree; requests are checked and answered (every IQ-set gets an
//! answer, RFC 6120 §8.2.3), answers matched to the IQ they answer.

use super::*;

impl Endpoint {
    /// Processes one incoming stanza (the bytes of one top-level element, as
    /// the host XMPP library received it). `now` is the current time: the core
    /// reads no clock.
    ///
    /// Returns [`Incoming::NotXtls`] for stanzas that are not ours, untouched.
    /// Bad XTLS input returns a typed error. Every XTLS IQ-set gets exactly
    /// one answer (RFC 6120 §8.2.3), whatever is wrong with it (too large,
    /// malformed, unknown tunnel, wrong state, limits): the matching stanza
    /// error has been queued, and an error that affects a tunnel has closed
    /// it ([`Event::Closed`]).
    pub fn handle_incoming(&mut self, stanza: &[u8], now: UnixTime) -> Result<Incoming, Error> {
        self.tick(now);
        if is_message_or_presence(stanza) {
            return Ok(Incoming::NotXtls);
        }
        self.io.answered = false;
        let result = self.incoming(stanza, now);
        if let Err(e) = &result {
            if !self.io.answered {
                if let Some(head) = wire::read_request_head(stanza, &self.xml_limits) {
                    self.refuse_unreadable(head, e.clone());
                }
            }
        }
        if result != Ok(Incoming::NotXtls) {
            // What went out before this stanza does not answer it.
            self.io.handled = true;
            self.io.transmitted = false;
        }
        result
    }

    /// Answers an XTLS IQ-set that could not be read or addressed, and closes
    /// the sender's tunnel: its TLS stream lost what that IQ carried.
    pub(super) fn refuse_unreadable(&mut self, head: RequestHead, e: Error) {
        let error = StanzaError::new(Condition::from(&e), Some(e.to_string()));
        self.reply_to(head.from.as_deref(), &head.id, Payload::Error(error));
        let wrong_recipient = matches!(e, Error::WrongRecipient(_));
        if let Some(peer) = head.from.and_then(|f| Jid::parse(&f).ok()) {
            if !wrong_recipient && self.tunnels.contains_key(&peer) {
                self.fail(&peer, e);
            }
        }
    }

    /// [`Endpoint::handle_incoming`] for anything that might be XTLS.
    pub(super) fn incoming(&mut self, stanza: &[u8], now: UnixTime) -> Result<Incoming, Error> {
        // The other half of the data path: the acknowledgement of a data IQ.
        if let Some(ack) = wire::read_ack(stanza, &self.xml_limits) {
            let id = ack.attr("id").unwrap_or_default();
            return self.on_answer(id, ack.attr("from"), Payload::Ack, now);
        }
        // The decoded TLS octets of a data IQ land in a buffer the endpoint
        // keeps, so the data path allocates nothing for them.
        let mut rx = std::mem::take(&mut self.rx);
        rx.clear();
        let result = match wire::read_data_iq(stanza, &self.xml_limits, &mut rx) {
            Some(iq) => match iq.ack() {
                Ok(ack) => {
                    let data = DataIn {
                        method: iq.method(),
                        octets: Ok(&rx),
                        ack,
                    };
                    if iq.is_result() {
                        self.on_answer_data(iq.id(), iq.from(), data, now)
                    } else {
                        self.on_request(iq.from(), iq.to(), iq.id(), Request::Data(data), now)
                    }
                }
                // The tree reader gives the error its answer.
                Err(_) => self.incoming_general(stanza, now),
            },
            None => self.incoming_general(stanza, now),
        };
        if rx.capacity() <= RX_KEEP_BYTES {
            self.rx = rx;
        }
        result
    }

    /// Every XTLS stanza that is not a data IQ with strict base64: read into
    /// a tree first.
    pub(super) fn incoming_general(
        &mut self,
        stanza: &[u8],
        now: UnixTime,
    ) -> Result<Incoming, Error> {
        let el = xml::parse(stanza, &self.xml_limits)?;
        let Some(iq) = wire::read_iq(el)? else {
            return Ok(Incoming::NotXtls);
        };
        let decoded;
        let method;
        let request = match iq.payload {
            payload @ (Payload::Ack
            | Payload::Error(_)
            | Payload::Proceed { .. }
            | Payload::Closed) => return self.on_answer(&iq.id, iq.from.as_deref(), payload, now),
            Payload::Start { offer, piggyback } => Request::Start { offer, piggyback },
            Payload::Close => Request::Close,
            payload @ (Payload::Data { .. } | Payload::AckData { .. }) => {
                let (m, base64, ack, in_result) = match payload {
                    Payload::Data {
                        method,
                        base64,
                        ack,
                    } => (method, base64, ack, false),
                    Payload::AckData { base64, ack } => (None, base64, ack, true),
                    _ => return Err(Error::UnexpectedIq),
                };
                // XTLS §4.3 does not forbid whitespace in the base64.
                decoded = base64_simd::forgiving_decode_to_vec(base64.as_bytes())
                    .map_err(|_| Error::Base64);
                method = m;
                let data = DataIn {
                    method: method.as_deref(),
                    octets: decoded.as_deref().map_err(Clone::clone),
                    ack,
                };
                if in_result {
                    return self.on_answer_data(&iq.id, iq.from.as_deref(), data, now);
                }
                Request::Data(data)
            }
        };
        self.on_request(iq.from.as_deref(), iq.to.as_deref(), &iq.id, request, now)
    }

    /// An XTLS IQ-set: checks its addressing, hands it to its tunnel and
    /// answers a failure with the matching stanza error.
    pub(super) fn on_request(
        &mut self,
        from: Option<&str>,
        to: Option<&str>,
        id: &str,
        request: Request<'_>,
        now: UnixTime,
    ) -> Result<Incoming, Error> {
        let from = from.ok_or_else(|| Error::BadRequest("XTLS request without 'from'".into()))?;
        // A peer with a tunnel is known: its JID is shared, not parsed again.
        let peer = match self.tunnels.get_key_value(from) {
            Some((known, _)) => known.clone(),
            None => Jid::parse(from)?,
        };
        if let Some(to) = to {
            if to != self.local.as_str() {
                return Err(Error::WrongRecipient(to.to_owned()));
            }
        }
        let is_start = matches!(request, Request::Start { .. });
        let result = match request {
            Request::Start { offer, piggyback } => self.on_start(&peer, id, offer, piggyback, now),
            Request::Data(data) => self.on_data(&peer, id, data, now),
            Request::Close => self.on_close(&peer, id),
        };
        match result {
            Ok(()) => Ok(Incoming::Handled),
            Err(e) => {
                let condition = match &e {
                    // XTLS §4.2: a start whose offer we cannot use.
                    Error::UnsupportedMethod(_) if is_start => Condition::NotAcceptable,
                    e => Condition::from(e),
                };
                self.reply(
                    &peer,
                    id,
                    Payload::Error(StanzaError::new(condition, Some(e.to_string()))),
                );
                // Data or close that failed leave the tunnel's TLS stream
                // without what they carried: it is closed and invalid
                // (XTLS §4.5).
                if !is_start && self.tunnels.contains_key(&peer) {
                    self.fail(&peer, e.clone());
                }
                Err(e)
            }
        }
    }

    /// An IQ result or error: ours if it answers an IQ we sent.
    pub(super) fn on_answer(
        &mut self,
        id: &str,
        from: Option<&str>,
        payload: Payload,
        now: UnixTime,
    ) -> Result<Incoming, Error> {
        let is_error = matches!(payload, Payload::Error(_));
        let Some(pending) = self.io.answer(id, from, is_error) else {
            let named = matches!(payload, Payload::Proceed { .. } | Payload::Closed);
            return self.unmatched(id, named);
        };
        let peer = pending.peer;
        if let Payload::Error(err) = payload {
            let reason = match pending.kind {
                // A close the peer does not know about still ends ours.
                PendingKind::Close => CloseReason::Local,
                _ => CloseReason::Error(Error::PeerRefused(err)),
            };
            // What a refused data IQ carried, and all after it, did not
            // arrive: handed back as not delivered.
            if pending.kind == PendingKind::Data {
                if let Some(t) = self.tunnels.get_mut(&peer) {
                    t.on_refused(id);
                }
            }
            self.remove(&peer, reason);
            return Ok(Incoming::Handled);
        }
        match (pending.kind, payload) {
            (PendingKind::Start, payload @ (Payload::Proceed { .. } | Payload::Ack)) => {
                let (offer, piggyback) = match payload {
                    Payload::Proceed { offer, piggyback } => (offer, piggyback),
                    _ => (None, false),
                };
                if let Err(e) = self.on_proceed(&peer, offer, piggyback, now) {
                    self.fail(&peer, e.clone());
                    return Err(e);
                }
            }
            (PendingKind::Data, Payload::Ack) => {
                if let Some(t) = self.tunnels.get_mut(&peer) {
                    t.on_ack(id, now, &mut self.io);
                }
            }
            (PendingKind::Close, Payload::Closed | Payload::Ack) => {
                self.remove(&peer, CloseReason::Local);
            }
            _ => return Err(Error::UnexpectedIq),
        }
        Ok(Incoming::Handled)
    }

    /// An IQ result carrying data (piggyback): ours if it answers a data
    /// IQ we sent.
    pub(super) fn on_answer_data(
        &mut self,
        id: &str,
        from: Option<&str>,
        data: DataIn<'_>,
        now: UnixTime,
    ) -> Result<Incoming, Error> {
        let Some(pending) = self.io.answer(id, from, false) else {
            return self.unmatched(id, false);
        };
        let peer = pending.peer;
        if pending.kind != PendingKind::Data {
            self.send_close(&peer);
            self.fail(&peer, Error::UnexpectedIq);
            return Err(Error::UnexpectedIq);
        }
        self.on_data_result(&peer, id, data, now)?;
        Ok(Incoming::Handled)
    }

    /// An answer that matches no IQ we wait for: a late one (its tunnel is
    /// gone) or a copy (XEP-0198 resends) is absorbed; one in our id space,
    /// or `named` XTLS (`<proceed/>`, `<closed/>`), is unexpected; anything
    /// else is the host's.
    fn unmatched(&self, id: &str, named: bool) -> Result<Incoming, Error> {
        if self.io.is_old(id) {
            Ok(Incoming::Handled)
        } else if named || self.io.is_ours(id) {
            Err(Error::UnexpectedIq)
        } else {
            Ok(Incoming::NotXtls)
        }
    }

    /// Answers the request being handled; the answers owed to the peer's
    /// data IQs go first.
    pub(super) fn reply(&mut self, to: &Jid, id: &str, payload: Payload) {
        if let Some(t) = self.tunnels.get_mut(to) {
            t.answer_owed(&mut self.io);
        }
        self.reply_to(Some(to.as_str()), id, payload);
    }

    /// Answers the request being handled; `to` as the request's `from` said
    /// (none: the request came from our own server, RFC 6120 §8.1.2.1).
    pub(super) fn reply_to(&mut self, to: Option<&str>, id: &str, payload: Payload) {
        self.io.answered = true;
        self.io
            .push_control(wire::iq_xml(id, self.shared.sender(), to, &payload));
    }

    /// Drops a tunnel after an error (XTLS §4.5: closed and invalid). The peer
    /// learns of it from the stanza error that answers its IQ or from the
    /// `<close/>` sent where nothing else would tell it.
    pub(super) fn fail(&mut self, peer: &Jid, error: Error) {
        self.remove(peer, CloseReason::Error(error));
    }
}

/// An XTLS IQ-set, from either reader.
pub(super) enum Request<'a> {
    Start {
        offer: Option<Offer>,
        piggyback: bool,
    },
    /// The TLS octets, or why the base64 could not be decoded (reported
    /// after the checks that come first).
    Data(DataIn<'a>),
    Close,
}

/// Cheap pre-filter: messages and presences (the bulk of traffic) cannot be
/// XTLS and are handed back without parsing. Everything else, including input
/// that starts with a DOCTYPE or garbage, goes through the strict parser.
fn is_message_or_presence(stanza: &[u8]) -> bool {
    let s = stanza.trim_ascii_start();
    [&b"<message"[..], b"<presence"].iter().any(|tag| {
        s.starts_with(tag)
            && matches!(
                s.get(tag.len()),
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
            )
    })
}
