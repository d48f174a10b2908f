//! An in-memory stand-in for XMPP servers, for tests, demos and examples:
//! moves stanzas between endpoints, stamps `from` as a server does (RFC 6120
//! §8.1.2.1), and answers IQs to unknown JIDs with `service-unavailable`
//! (RFC 6120 §10.5.3.2). Pure logic, no IO.

use rustls_pki_types::UnixTime;

use super::endpoint::{Endpoint, Incoming};
use super::wire::{Condition, Payload, StanzaError, XtlsIq};
use crate::error::Error;
use crate::jid::Jid;
use crate::xml::{self, XmlLimits};

/// One stanza as it crossed the router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRecord {
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// The stanza text after `from` stamping.
    pub stanza: String,
}

/// Routes stanzas among endpoints until nothing moves.
#[derive(Debug, Default)]
pub struct MemoryRouter {
    endpoints: Vec<Endpoint>,
    /// Every stanza routed, when [`MemoryRouter::record`] is on.
    pub log: Vec<WireRecord>,
    /// Errors endpoints returned from `handle_incoming`, with the endpoint.
    pub errors: Vec<(Jid, Error)>,
    /// Stanzas endpoints handed back as not XTLS, with the endpoint.
    pub not_xtls: Vec<(Jid, String)>,
    /// Whether to fill [`MemoryRouter::log`].
    pub record: bool,
    /// Stanzas moved so far.
    pub routed: usize,
}

/// Most stanzas one [`MemoryRouter::run`] moves before giving up: a bound so
/// a protocol loop would show up as an error, not a hang.
pub const MAX_ROUTED_PER_RUN: usize = 1_000_000;

impl MemoryRouter {
    /// An empty router.
    pub fn new() -> Self {
        MemoryRouter::default()
    }

    /// Adds an endpoint; stanzas are collected from endpoints in the order
    /// they were added.
    pub fn add(&mut self, endpoint: Endpoint) {
        self.endpoints.push(endpoint);
    }

    /// Removes an endpoint (the entity went offline).
    pub fn remove(&mut self, jid: &Jid) -> Option<Endpoint> {
        let i = self.endpoints.iter().position(|e| e.local_jid() == jid)?;
        Some(self.endpoints.remove(i))
    }

    /// The endpoint for `jid`.
    pub fn get(&self, jid: &Jid) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.local_jid() == jid)
    }

    /// The endpoint for `jid`, mutably.
    pub fn get_mut(&mut self, jid: &Jid) -> Option<&mut Endpoint> {
        self.endpoints.iter_mut().find(|e| e.local_jid() == jid)
    }

    /// Delivers a raw stanza to `to` as if the server routed it from `from`
    /// (for injecting attacks and foreign stanzas in tests).
    pub fn inject(
        &mut self,
        from: &str,
        to: &Jid,
        stanza: &str,
        now: UnixTime,
    ) -> Result<Incoming, Error> {
        let stamped = stamp(stanza, from)?;
        let ep = self
            .get_mut(to)
            .ok_or_else(|| Error::NoTunnel(to.to_string()))?;
        ep.handle_incoming(stamped.as_bytes(), now)
    }

    /// Moves stanzas until every endpoint is quiet. Returns how many moved.
    pub fn run(&mut self, now: UnixTime) -> Result<usize, Error> {
        let mut moved = 0;
        loop {
            let mut any = false;
            for i in 0..self.endpoints.len() {
                while let Some(out) = self.endpoints[i].poll_transmit() {
                    any = true;
                    moved += 1;
                    if moved > MAX_ROUTED_PER_RUN {
                        return Err(Error::Config("router: too many stanzas in one run".into()));
                    }
                    let sender = self.endpoints[i].local_jid().clone();
                    self.deliver(&sender, &out, now)?;
                }
            }
            if !any {
                self.routed += moved;
                return Ok(moved);
            }
        }
    }

    fn deliver(&mut self, sender: &Jid, stanza: &str, now: UnixTime) -> Result<(), Error> {
        let mut el = xml::parse(stanza.as_bytes(), &XmlLimits::default())?;
        let to = el.attr("to").unwrap_or_default().to_owned();
        let stamped = stamp_element(&mut el, stanza, sender.as_str());
        if self.record {
            self.log.push(WireRecord {
                from: sender.to_string(),
                to: to.clone(),
                stanza: stamped.clone(),
            });
        }
        let target = self
            .endpoints
            .iter()
            .position(|e| e.local_jid().as_str() == to);
        let Some(t) = target else {
            // RFC 6120 §10.5.3.2: an IQ-set/get to an unavailable full JID
            // gets service-unavailable from the server.
            let kind = el.attr("type").unwrap_or_default();
            if el.name == "iq" && (kind == "set" || kind == "get") {
                let err = XtlsIq {
                    from: Some(to),
                    to: Some(sender.to_string()),
                    id: el.attr("id").unwrap_or_default().to_owned(),
                    payload: Payload::Error(StanzaError::new(Condition::ServiceUnavailable, None)),
                };
                if let Some(ep) = self.endpoints.iter_mut().find(|e| e.local_jid() == sender) {
                    let _ = ep.handle_incoming(err.to_xml().as_bytes(), now);
                }
            }
            return Ok(());
        };
        let ep = &mut self.endpoints[t];
        let me = ep.local_jid().clone();
        match ep.handle_incoming(stamped.as_bytes(), now) {
            Ok(Incoming::Handled) => {}
            Ok(Incoming::NotXtls) => self.not_xtls.push((me, stamped)),
            Err(e) => self.errors.push((me, e)),
        }
        Ok(())
    }
}

/// Sets `from` on a stanza as the sender's server does.
fn stamp(stanza: &str, from: &str) -> Result<String, Error> {
    let mut el = xml::parse(stanza.as_bytes(), &XmlLimits::default())?;
    Ok(stamp_element(&mut el, stanza, from))
}

/// [`stamp`] for a stanza already parsed into `el`.
fn stamp_element(el: &mut xml::Element, stanza: &str, from: &str) -> String {
    if el.attr("from") == Some(from) {
        return stanza.to_owned();
    }
    el.set_attr("from", from);
    el.to_xml()
}
