//! One tunnel's state machine around a rustls connection: handshake, TLS
//! records to and from `<data/>` (XTLS §4.3), the window of unacknowledged
//! data IQs, inner stanza framing and routing (§4.4), close (§4.5), and the
//! deadline of every answer it waits for.
//!
//! Output is built lazily: `send` only queues a stanza, and data IQs are
//! written when the host asks for output ([`Tunnel::flush`]), so stanzas
//! sent in the same turn share TLS records and data IQs, and a stanza is
//! written to TLS whole or not at all.

use std::borrow::Cow;
use std::io::{BufRead, ErrorKind, Write};
use std::sync::Arc;
use std::time::Duration;

use rustls::Connection;
use rustls_pki_types::UnixTime;

use super::certificates::CertificateCache;
use super::config::{Limits, MAX_TLS_RECORD};
use super::delivery::Delivery;
use super::event::{Event, ReturnedStanza, Role, TunnelInfo, Wait};
use super::info::{tunnel_info, Handshake, Peer};
use super::io::{Io, PendingKind};
use super::piggyback::Acks;
use super::resend::{self, Copy, Remembered, Resendable};
use super::trust::{PeerAuth, PeerSlot};
use super::wire::{self, DataHead, DataIqWriter, IqType, Payload};
use crate::error::{Error, TlsFailure};
use crate::identity::{cert_sha256, hex, spki_sha256};
use crate::jid::Jid;
use crate::policy::Policy;
use crate::xml::{self, StanzaFramer, StanzaRoot, XmlLimits};

/// Data IQs a tunnel received last, remembered by id and content so that
/// the same IQ delivered twice (a stream resumed with XEP-0198 resends what
/// was not acknowledged) is acknowledged again instead of feeding its TLS
/// records to the session a second time. An IQ with a remembered id and
/// other content is new: a restarted peer counts its ids from 1 again
/// (RFC 6120 §8.1.3 makes ids unique within one stream only).
pub const RECENT_DATA_IDS: usize = 64;

/// What a received data IQ is, compared with those received last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Its id and content were received recently: a copy.
    Copy,
    /// New data.
    New,
}

/// A fingerprint of a data IQ's TLS octets: its length, and its first and
/// last 64 octets. TLS records are unique (a fresh random or sequence
/// number in each), so two IQs that agree here are the same IQ.
pub(crate) fn fingerprint(octets: &[u8]) -> u64 {
    let head = &octets[..octets.len().min(64)];
    let tail = &octets[octets.len().saturating_sub(64)..];
    resend::digest_parts(&[&(octets.len() as u64).to_be_bytes(), head, tail])
}

/// True when `octets` begin with a TLS ClientHello record (RFC 8446 §5.1,
/// §4.1.2): content type 22, a legacy version 3.x, handshake type 1.
pub(crate) fn starts_with_client_hello(octets: &[u8]) -> bool {
    matches!(octets, [22, 3, _, _, _, 1, ..])
}

/// Largest TLS record overhead of the suites tunnels use (TLS 1.2 AES-GCM:
/// 5-octet header, 8-octet explicit nonce, 16-octet tag), reserved per data
/// IQ when deciding how much plaintext the window can carry now.
const RECORD_OVERHEAD: usize = 29;

/// Where a tunnel is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum TunnelState {
    /// We sent `<start/>` and wait for `<proceed/>`.
    Starting,
    /// start/proceed done; the TLS handshake runs.
    Handshaking,
    /// The handshake completed and the peer is authenticated.
    Established,
    /// We are closing: flushing data, then `<close/>`, then waiting for
    /// `<closed/>`.
    Closing,
}

/// Where a tunnel is, with what only that phase has (quinn-proto's
/// `State`): no TLS before proceed, an authenticated peer's information
/// only once established, the `<close/>` we sent only while closing.
/// [`TunnelState`] is its public name.
#[derive(Debug)]
enum Phase {
    /// Made, nothing sent yet: an initiator before its `<start/>`, a
    /// responder before its TLS is attached.
    New {
        /// When it was made: the start deadline counts from then.
        since: UnixTime,
    },
    /// Our `<start/>` is sent and waits for `<proceed/>`.
    Starting {
        /// Its IQ id.
        start_id: String,
        /// When the tunnel was made (the start deadline's origin).
        since: UnixTime,
    },
    /// The TLS handshake runs.
    Handshaking {
        tls: Box<Connection>,
        slot: Arc<PeerSlot>,
        /// When the handshake began or last made progress (an
        /// acknowledgement, a data IQ): its deadline counts from then.
        since: UnixTime,
    },
    /// The peer is authenticated; stanzas flow.
    Established {
        tls: Box<Connection>,
        peer: Authenticated,
    },
    /// Closing: what the tunnel kept from the phase it closed in, and
    /// where our `<close/>` is.
    Closing { kept: Kept, close: CloseIq },
}

/// What a closing tunnel kept from the phase it was closed in.
#[derive(Debug)]
enum Kept {
    /// Closed before `<proceed/>`: nothing.
    Nothing,
    /// Closed during the handshake: its TLS (the peer's data may still
    /// arrive) and the verifier's slot.
    Handshake {
        tls: Box<Connection>,
        slot: Arc<PeerSlot>,
    },
    /// Closed once established: its TLS (the stanzas already sent go out,
    /// then close_notify, RFC 8446 §6.1) and how its peer was authenticated.
    Session {
        tls: Box<Connection>,
        peer: Authenticated,
        close_notify: CloseNotify,
    },
}

/// Our TLS close_notify on a closing session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloseNotify {
    /// Sent once every stanza queued before the close is written.
    Pending,
    Sent,
}

/// Our `<close/>` IQ (XTLS §4.5).
#[derive(Debug)]
enum CloseIq {
    /// Not sent yet: a session flushes first.
    Unsent,
    /// Sent at this time (its id waits among the endpoint's pending
    /// answers); `<closed/>` is awaited.
    Sent { at: UnixTime },
}

impl Phase {
    /// What a phase is replaced with while it is taken apart: closed,
    /// keeping nothing (never seen outside one method).
    const TAKEN: Phase = Phase::Closing {
        kept: Kept::Nothing,
        close: CloseIq::Unsent,
    };

    fn state(&self) -> TunnelState {
        match self {
            Phase::New { .. } | Phase::Starting { .. } => TunnelState::Starting,
            Phase::Handshaking { .. } => TunnelState::Handshaking,
            Phase::Established { .. } => TunnelState::Established,
            Phase::Closing { .. } => TunnelState::Closing,
        }
    }

    fn tls(&self) -> Option<&Connection> {
        match self {
            Phase::Handshaking { tls, .. } | Phase::Established { tls, .. } => Some(tls),
            Phase::Closing {
                kept: Kept::Handshake { tls, .. } | Kept::Session { tls, .. },
                ..
            } => Some(tls),
            Phase::Closing { .. } | Phase::New { .. } | Phase::Starting { .. } => None,
        }
    }

    fn tls_mut(&mut self) -> Option<&mut Connection> {
        match self {
            Phase::Handshaking { tls, .. } | Phase::Established { tls, .. } => Some(tls),
            Phase::Closing {
                kept: Kept::Handshake { tls, .. } | Kept::Session { tls, .. },
                ..
            } => Some(tls),
            Phase::Closing { .. } | Phase::New { .. } | Phase::Starting { .. } => None,
        }
    }

    fn slot(&self) -> Option<&Arc<PeerSlot>> {
        match self {
            Phase::Handshaking { slot, .. }
            | Phase::Closing {
                kept: Kept::Handshake { slot, .. },
                ..
            } => Some(slot),
            _ => None,
        }
    }

    /// The TLS connection and how its peer was authenticated, once the
    /// handshake completed (and while closing after).
    fn authenticated(&self) -> Option<(&Connection, &Authenticated)> {
        match self {
            Phase::Established { tls, peer }
            | Phase::Closing {
                kept: Kept::Session { tls, peer, .. },
                ..
            } => Some((tls, peer)),
            _ => None,
        }
    }

    /// Whether the handshake completed.
    fn was_established(&self) -> bool {
        matches!(
            self,
            Phase::Established { .. }
                | Phase::Closing {
                    kept: Kept::Session { .. },
                    ..
                }
        )
    }
}

/// How an established tunnel's peer was authenticated: with the TLS
/// connection (which keeps the peer's certificates and the negotiated
/// parameters) all a tunnel keeps to rebuild its [`TunnelInfo`] on demand,
/// instead of holding its report (about a kilobyte per tunnel; the
/// `Established` event hands the application its own copy).
#[derive(Debug, Clone)]
pub(crate) struct Authenticated {
    auth: PeerAuth,
    offered: bool,
}

/// One XTLS tunnel.
#[derive(Debug)]
pub(crate) struct Tunnel {
    pub peer: Jid,
    /// Who started it: our initiator side, or the peer's start IQ.
    pub origin: Origin,
    phase: Phase,
    /// What every tunnel of the endpoint shares (one allocation for all).
    shared: Arc<TunnelSettings>,
    /// Data IQs received so far.
    pub rx_data: u64,
    /// Stanzas (and rejected elements) received through the TLS stream,
    /// counted like the sender counts them ([`resend`]).
    pub rx_stanzas: u64,
    /// The earlier copies of the next stanza, named by its `<resent/>`
    /// marker.
    resent: Option<Vec<Copy>>,
    /// The tunnel's name, exported from its TLS session ([`resend`]).
    pub tunnel_id: Option<u64>,
    /// When the peer's TLS close_notify arrived: its `<close/>` must follow
    /// within [`Limits::close_timeout`].
    peer_closed: Option<UnixTime>,
    /// Ordering among the endpoint's tunnels: smaller is older.
    pub created: u64,
    sent_data: bool,
    /// Stanzas sent and not confirmed, and the data IQs in flight.
    delivery: Delivery,
    /// TLS octets produced and not yet in a data IQ (window full).
    out_tls: Vec<u8>,
    /// Digests of the ids and fingerprints of the data IQs received last
    /// (at most [`RECENT_DATA_IDS`]): a copy matches both. Digests, not the
    /// ids, so an idle tunnel does not keep a string per IQ.
    recent_rx: Vec<(u64, u64)>,
    /// Something may be ready to go out: [`Tunnel::flush`] has work.
    pub dirty: bool,
    framer: StanzaFramer,
    /// The answers and `ack` offsets owed to the peer ([`super::piggyback`]).
    acks: Acks,
}

/// Who started a tunnel (XTLS §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// We did: the initiator side.
    Ours,
    /// The peer's start IQ made it (the responder side): its id and offer,
    /// to recognise the same start delivered twice, and to make a new
    /// tunnel from when a restarted peer sends a fresh ClientHello.
    PeerStart {
        id: String,
        offer: Option<wire::Offer>,
    },
}

impl Origin {
    /// The side we play.
    pub(crate) fn role(&self) -> Role {
        match self {
            Origin::Ours => Role::Initiator,
            Origin::PeerStart { .. } => Role::Responder,
        }
    }
}

/// A key pinned on first use by a handshake that just completed: the
/// endpoint stores it (RFC 7590 §3.6, trust on first use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewPin {
    /// The peer's bare JID.
    pub bare: String,
    /// Its key's SPKI SHA-256, hex.
    pub spki_sha256: String,
}

/// `t` plus `d`, in whole seconds (rounded up): the resolution of `now`.
fn after(t: UnixTime, d: Duration) -> UnixTime {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    UnixTime::since_unix_epoch(Duration::from_secs(t.as_secs().saturating_add(secs)))
}

/// What every tunnel of an endpoint shares: our JID, the limits (and the
/// XML limits they imply), the policy reports are graded against, and
/// whether routing is stripped. Held once per endpoint behind an `Arc`, not
/// copied into each tunnel (about 250 bytes a tunnel).
#[derive(Debug, Clone)]
pub(crate) struct TunnelSettings {
    pub local: Jid,
    pub limits: Limits,
    pub xml_limits: XmlLimits,
    pub policy: Arc<Policy>,
    pub strip_routing: bool,
    /// Our JID goes out as `from` ([`EndpointConfig::send_from`]).
    pub send_from: bool,
}

impl TunnelSettings {
    /// The `from` of the IQs we send: our JID, unless the server stamps it.
    pub(crate) fn sender(&self) -> Option<&str> {
        self.send_from.then(|| self.local.as_str())
    }

    /// The settings for tunnels of `local` under `limits` and `policy`.
    pub(crate) fn new(
        local: Jid,
        limits: Limits,
        policy: Arc<Policy>,
        strip_routing: bool,
        send_from: bool,
    ) -> Self {
        TunnelSettings {
            send_from,
            local,
            xml_limits: XmlLimits {
                max_bytes: limits.max_stanza_bytes,
                ..XmlLimits::default()
            },
            limits,
            policy,
            strip_routing,
        }
    }
}

impl Tunnel {
    /// A tunnel with `peer`, made at `now`; `created` orders the
    /// endpoint's tunnels by age.
    pub(crate) fn new(
        peer: Jid,
        origin: Origin,
        shared: Arc<TunnelSettings>,
        now: UnixTime,
        created: u64,
    ) -> Self {
        let max_stanza = shared.limits.max_stanza_bytes;
        Tunnel {
            peer,
            origin,
            phase: Phase::New { since: now },
            shared,
            rx_data: 0,
            rx_stanzas: 0,
            resent: None,
            tunnel_id: None,
            peer_closed: None,
            created,
            sent_data: false,
            delivery: Delivery::default(),
            out_tls: Vec::new(),
            recent_rx: Vec::new(),
            dirty: false,
            framer: StanzaFramer::new(max_stanza),
            acks: Acks::default(),
        }
    }

    /// Where the tunnel is.
    pub(crate) fn state(&self) -> TunnelState {
        self.phase.state()
    }

    /// What was negotiated, once established (and while closing after),
    /// rebuilt from the TLS connection and graded by the policy again.
    pub(crate) fn info(&self) -> Option<TunnelInfo> {
        let (tls, a) = self.phase.authenticated()?;
        let chain = tls.peer_certificates().unwrap_or(&[]);
        let leaf = chain.first()?;
        let spki = hex(&spki_sha256(leaf).ok()?);
        let peer = Peer {
            jid: self.peer.as_str(),
            auth: a.auth.clone(),
            chain,
            details: crate::identity::CertificateInfo::from_der(leaf).ok(),
            cert_sha256: cert_sha256(leaf),
            spki_sha256: spki,
            offered: a.offered,
        };
        Some(tunnel_info(
            self.origin.role(),
            Handshake::of(tls),
            peer,
            &self.shared.policy,
        ))
    }

    /// Both ends offered data in IQ results ([`super::piggyback`]).
    pub(crate) fn set_piggyback(&mut self, on: bool) {
        self.acks.on = on;
    }

    /// Whether data goes in IQ results in this tunnel.
    pub(crate) fn piggyback(&self) -> bool {
        self.acks.on
    }

    /// The peer's data IQ `id` was read whole: its answer goes out with the
    /// next output, carrying our next TLS octets when piggyback is on.
    pub(crate) fn owe_answer(&mut self, id: String) {
        self.acks.owe(id);
        self.dirty = true;
    }

    /// A copy of a data IQ read earlier (XEP-0198 resends) is answered at
    /// once and empty: the first answer may have carried data, which the
    /// peer would absorb as late, and the copy confirms nothing new.
    pub(crate) fn answer_copy(&mut self, id: String, io: &mut Io) {
        self.acks.owe_at(id, 0);
        self.answer_owed(io);
    }

    /// TLS octets that came in an IQ result were read: their `ack` goes
    /// with the next output.
    pub(crate) fn read_from_result(&mut self) {
        self.dirty = true;
    }

    /// The peer read our stream up to `offset` (the `ack` of its data).
    pub(crate) fn on_offset_ack(&mut self, offset: u64, now: UnixTime, io: &mut Io) {
        if self
            .delivery
            .ack_to(offset, now, &mut |id| io.retire_id(id))
        {
            self.handshake_progress(now);
            self.dirty = true;
        }
    }

    /// Sends the answers owed to the peer's data IQs, empty: before any
    /// other answer or request to the peer (a `<closed/>`, an error), so
    /// that it never overtakes the acknowledgement of data read before it.
    pub(crate) fn answer_owed(&mut self, io: &mut Io) {
        let mut upto = 0;
        for (id, at) in self.acks.take_owed() {
            io.acks.push_back(wire::iq_xml(
                &id,
                self.shared.sender(),
                Some(self.peer.as_str()),
                &Payload::Ack,
            ));
            upto = upto.max(at);
        }
        self.acks.answered(upto);
    }

    /// Everything owed to the peer goes out before a `<close/>`: the
    /// answers to its data IQs, and an `ack` for what came in its results
    /// (else it would hand back, as maybe delivered, stanzas we read).
    pub(crate) fn answer_all(&mut self, io: &mut Io, now: UnixTime) {
        self.answer_owed(io);
        if self.acks.due() {
            self.send_offset_ack(io, now);
        }
    }

    /// Sends an empty `<data ack='…'/>`: no data of ours carried the `ack`
    /// for octets that came in the peer's results.
    pub(crate) fn send_offset_ack(&mut self, io: &mut Io, now: UnixTime) {
        let Some(offset) = self.acks.offset() else {
            return;
        };
        let id = io.next_id();
        io.transmits.push_back(wire::iq_xml(
            &id,
            self.shared.sender(),
            Some(self.peer.as_str()),
            &Payload::Data {
                method: None,
                base64: String::new(),
                ack: Some(offset),
            },
        ));
        // A data IQ like the others: its answer has the same deadline.
        self.delivery.sent_iq(id.clone(), 0, now, false);
        io.expect(id, self.peer.clone(), PendingKind::Data);
        self.acks.sent_offset();
    }

    /// Remembers the id of our `<start/>`, to match `<proceed/>`.
    pub(crate) fn set_start_id(&mut self, id: String) {
        if let Phase::New { since } = self.phase {
            self.phase = Phase::Starting {
                start_id: id,
                since,
            };
        }
    }

    /// The id of our `<start/>` still unanswered, taken.
    pub(crate) fn take_start_id(&mut self) -> Option<String> {
        match std::mem::replace(&mut self.phase, Phase::TAKEN) {
            Phase::Starting { start_id, since } => {
                self.phase = Phase::New { since };
                Some(start_id)
            }
            other => {
                self.phase = other;
                None
            }
        }
    }

    /// Gives the tunnel its TLS connection (after proceed, or when accepting a
    /// start); what TLS sends first (the ClientHello) goes out at the next
    /// flush.
    pub(crate) fn attach_tls(&mut self, mut tls: Connection, slot: Arc<PeerSlot>, now: UnixTime) {
        // The tunnel bounds what it hands rustls itself (a window's worth of
        // whole stanzas at a time), so rustls's own limit must never refuse
        // part of a stanza.
        tls.set_buffer_limit(None);
        self.phase = Phase::Handshaking {
            tls: Box::new(tls),
            slot,
            since: now,
        };
        self.dirty = true;
    }

    /// Moves stanzas waiting in another tunnel object (a start we abandoned
    /// after losing a simultaneous start) into this one.
    pub(crate) fn adopt_queue(&mut self, other: &mut Tunnel) {
        self.delivery.adopt(&mut other.delivery);
    }

    /// Plaintext octets held for the application's stanzas.
    pub(crate) fn buffered(&self) -> usize {
        self.delivery.bytes()
    }

    /// Queues one outgoing stanza (already checked and stripped). It is
    /// taken whole or refused with nothing changed.
    pub(crate) fn send(&mut self, plain: Vec<u8>, copies: Option<Vec<Copy>>) -> Result<(), Error> {
        if self.state() == TunnelState::Closing {
            return Err(Error::TunnelClosed);
        }
        self.delivery
            .accept(plain, copies, self.shared.limits.max_buffered_bytes)?;
        self.dirty = true;
        Ok(())
    }

    /// Starts a graceful close. Established: the stanzas already sent go
    /// out, then TLS close_notify, and `<close/>` once every data IQ is
    /// acknowledged. Before that, `<close/>` goes out at once and what was
    /// queued is handed back when the tunnel ends.
    pub(crate) fn close(&mut self, io: &mut Io, now: UnixTime) {
        let kept = match std::mem::replace(&mut self.phase, Phase::TAKEN) {
            closing @ Phase::Closing { .. } => {
                self.phase = closing;
                return;
            }
            Phase::Starting { start_id, .. } => {
                io.retire_id(&start_id);
                Kept::Nothing
            }
            Phase::New { .. } => Kept::Nothing,
            Phase::Handshaking { tls, slot, .. } => Kept::Handshake { tls, slot },
            Phase::Established { tls, peer } => Kept::Session {
                tls,
                peer,
                close_notify: CloseNotify::Pending,
            },
        };
        let established = matches!(kept, Kept::Session { .. });
        self.phase = Phase::Closing {
            kept,
            close: CloseIq::Unsent,
        };
        self.dirty = true;
        if !established {
            self.send_close(io, now);
        }
    }

    /// True when the tunnel waits for nothing but its `<closed/>`, or for
    /// nothing at all.
    pub(crate) fn close_sent(&self) -> bool {
        matches!(
            self.phase,
            Phase::Closing {
                close: CloseIq::Sent { .. },
                ..
            }
        )
    }

    fn send_close(&mut self, io: &mut Io, now: UnixTime) {
        self.answer_all(io, now);
        let id = io.next_id();
        io.push_control(wire::iq_xml(
            &id,
            self.shared.sender(),
            Some(self.peer.as_str()),
            &Payload::Close,
        ));
        io.expect(id, self.peer.clone(), PendingKind::Close);
        if let Phase::Closing { close, .. } = &mut self.phase {
            *close = CloseIq::Sent { at: now };
        }
    }

    /// Handles the acknowledgement of our data IQ `id` at `now`: progress.
    pub(crate) fn on_ack(&mut self, id: &str, now: UnixTime, io: &mut Io) {
        self.delivery.ack(id, now, &mut |other| io.retire_id(other));
        self.handshake_progress(now);
        self.dirty = true;
    }

    /// The handshake made progress at `now`: its deadline counts from
    /// there.
    fn handshake_progress(&mut self, now: UnixTime) {
        if let Phase::Handshaking { since, .. } = &mut self.phase {
            *since = now;
        }
    }

    /// Data IQ `id` was answered with an error (by the peer or its server):
    /// what it and later IQs carried did not arrive.
    pub(crate) fn on_refused(&mut self, id: &str) {
        self.delivery.refused(id);
    }

    /// Whether data IQ `id` with these octets was received recently (a
    /// copy: it is acknowledged again and not read); remembers it when not.
    pub(crate) fn seen_data(&mut self, id: &str, octets: &[u8]) -> Seen {
        let print = fingerprint(octets);
        let id = resend::digest(id.as_bytes());
        if let Some(i) = self.recent_rx.iter().position(|(r, _)| *r == id) {
            if self.recent_rx[i].1 == print {
                return Seen::Copy;
            }
            // The same id with other content: a peer that counts its ids
            // anew. The old entry can no longer be told from it.
            self.recent_rx.remove(i);
        }
        if self.recent_rx.len() >= RECENT_DATA_IDS {
            self.recent_rx.remove(0);
        }
        self.recent_rx.push((id, print));
        Seen::New
    }

    /// True for a responder tunnel whose handshake completed: another
    /// ClientHello can only come from a peer that restarted. (During the
    /// handshake a second ClientHello is the answer to a TLS 1.3
    /// HelloRetryRequest, RFC 8446 §4.1.4.)
    pub(crate) fn restarts_on_client_hello(&self) -> bool {
        self.origin.role() == Role::Responder && self.phase.was_established()
    }

    /// True for a responder whose peer has not sent its ClientHello yet or
    /// whose handshake is not complete: a half-open tunnel.
    pub(crate) fn is_half_open(&self) -> bool {
        self.origin.role() == Role::Responder
            && matches!(
                self.phase,
                Phase::New { .. } | Phase::Starting { .. } | Phase::Handshaking { .. }
            )
    }

    /// When this tunnel next needs [`Tunnel::expired`] checked, and what it
    /// waits for then.
    pub(crate) fn deadline(&self) -> Option<(UnixTime, Wait)> {
        let l = &self.shared.limits;
        let (phase, closed) = match &self.phase {
            Phase::New { since } | Phase::Starting { since, .. } => {
                (Some((after(*since, l.start_timeout), Wait::Proceed)), None)
            }
            // A peer's start whose ClientHello has not come: a short wait.
            Phase::Handshaking { since, .. }
                if self.origin.role() == Role::Responder && self.rx_data == 0 =>
            {
                (
                    Some((after(*since, l.half_open_timeout), Wait::Handshake)),
                    None,
                )
            }
            Phase::Handshaking { since, .. } => (
                Some((after(*since, l.handshake_timeout), Wait::Handshake)),
                None,
            ),
            Phase::Closing {
                close: CloseIq::Sent { at },
                ..
            } => (None, Some((after(*at, l.close_timeout), Wait::Closed))),
            _ => (
                None,
                self.peer_closed
                    .map(|t| (after(t, l.close_timeout), Wait::Closed)),
            ),
        };
        let ack = self
            .delivery
            .waiting_since()
            .map(|t| (after(t, l.ack_timeout), Wait::Ack));
        [phase, ack, closed]
            .into_iter()
            .flatten()
            .min_by_key(|(t, _)| *t)
    }

    /// Every stanza not confirmed, routing restored, oldest first; and
    /// for each that went into the TLS stream (or an earlier tunnel's), its
    /// text as sent (routing stripped) and its copies, to recognise it when
    /// it is sent again ([`resend`]). A stanza flagged not delivered because
    /// the server refused its data IQ is remembered too: a server that
    /// resends IQs (XEP-0198) may bounce one copy after delivering another,
    /// and the peer's count of what arrived settles which.
    pub(crate) fn take_returned(&mut self) -> (Vec<ReturnedStanza>, Resendable) {
        let mut maybe = Vec::new();
        let tunnel = self.tunnel_id;
        let returned = self
            .delivery
            .take_undelivered()
            .into_iter()
            .map(|u| {
                let this = u.seq.zip(tunnel).map(|(seq, t)| (t, seq));
                let copies = resend::with_copy(u.copies, this);
                if !copies.is_empty() {
                    maybe.push((u.stanza.clone(), copies));
                }
                ReturnedStanza {
                    stanza: with_routing(
                        u.stanza,
                        &self.shared.local,
                        &self.peer,
                        &self.shared.xml_limits,
                    ),
                    maybe_delivered: u.maybe_delivered,
                }
            })
            .collect();
        (returned, maybe)
    }

    /// TLS octets per second this tunnel's path has shown (0: not known).
    pub(crate) fn path_rate(&self) -> u64 {
        self.delivery.path_rate()
    }

    /// Handles the TLS octets of one incoming `<data/>` (or why its base64
    /// could not be decoded).
    pub(crate) fn on_data(
        &mut self,
        method: Option<&str>,
        octets: Result<&[u8], Error>,
        now: UnixTime,
        certs: &mut CertificateCache,
        remembered: &Remembered,
        io: &mut Io,
    ) -> Result<Option<NewPin>, Error> {
        if self.phase.tls().is_none() {
            return Err(Error::DataBeforeProceed);
        }
        self.rx_data += 1;
        self.handshake_progress(now);
        // §4.3: the first stanza carries 'method'; x509 is the only one rustls
        // can do. A missing method is read as x509.
        if let Some(m) = method {
            if m != wire::METHOD_X509 {
                return Err(Error::UnsupportedMethod(m.to_owned()));
            }
        }
        let mut rest = octets?;
        let read = rest.len();
        let mut pinned = None;
        while !rest.is_empty() {
            let Some(tls) = self.phase.tls_mut() else {
                return Err(Error::TunnelClosed);
            };
            let was_handshaking = tls.is_handshaking();
            tls.read_tls(&mut rest).map_err(|e| Error::Tls(e.into()))?;
            let processed = tls.process_new_packets();
            let done_now = was_handshaking && !tls.is_handshaking();
            if let Err(e) = processed {
                return Err(self.tls_failure(e));
            }
            if done_now && self.state() == TunnelState::Handshaking {
                pinned = self.handshake_done(now, certs, io)?;
            }
            self.drain_plaintext(now, remembered, io)?;
        }
        // Counted once read: octets TLS refused are never acknowledged.
        self.acks.read(read);
        self.dirty = true;
        Ok(pinned)
    }

    /// Prefers the verifier's typed trust error over rustls's message.
    fn tls_failure(&self, e: rustls::Error) -> Error {
        if let Some(Err(t)) = self.phase.slot().and_then(|v| v.outcome()) {
            return Error::Trust(t);
        }
        Error::Tls(e.into())
    }
    fn handshake_done(
        &mut self,
        now: UnixTime,
        certs: &mut CertificateCache,
        io: &mut Io,
    ) -> Result<Option<NewPin>, Error> {
        let Phase::Handshaking { tls, slot, .. } = &self.phase else {
            return Err(Error::TunnelClosed);
        };
        let chain = tls.peer_certificates().unwrap_or(&[]);
        let handshake = Handshake::of(tls);
        // A resumed session skipped the verifier: check the stored peer
        // certificate against this peer again (a ticket from one JID must not
        // authenticate another).
        let auth = match slot.outcome() {
            Some(result) if !handshake.resumed() => result,
            _ => slot.check().authenticate(chain, now),
        }?;
        let leaf = chain
            .first()
            .ok_or(Error::Trust(crate::error::TrustError::NoCertificate))?;
        let leaf_sha256 = cert_sha256(leaf);
        let details = certs.details(leaf, leaf_sha256);
        let spki = match &details {
            Some(d) => d.spki_sha256.clone(),
            None => hex(&spki_sha256(leaf)?),
        };
        let pinned = (auth == (PeerAuth::TrustOnFirstUse { first_use: true })).then(|| NewPin {
            bare: self.peer.bare_str().to_owned(),
            spki_sha256: spki.clone(),
        });
        let peer = Peer {
            jid: self.peer.as_str(),
            auth,
            chain,
            details,
            cert_sha256: leaf_sha256,
            spki_sha256: spki,
            offered: !slot.check().offer_hashes.is_empty(),
        };
        let authenticated = Authenticated {
            auth: peer.auth.clone(),
            offered: peer.offered,
        };
        let info = Box::new(tunnel_info(
            self.origin.role(),
            handshake,
            peer,
            &self.shared.policy,
        ));
        let mut name = [0u8; 8];
        self.tunnel_id = tls
            .export_keying_material(&mut name, resend::TUNNEL_ID_LABEL, None)
            .ok()
            .map(|n| u64::from_be_bytes(*n));
        io.events.push_back(Event::Established {
            peer: self.peer.clone(),
            info,
        });
        if let Phase::Handshaking { tls, .. } = std::mem::replace(&mut self.phase, Phase::TAKEN) {
            self.phase = Phase::Established {
                tls,
                peer: authenticated,
            };
        }
        // Stanzas the application sent before the handshake completed go
        // out at the next flush.
        self.dirty = true;
        Ok(pinned)
    }

    /// Moves decrypted plaintext into the framer (straight from rustls's
    /// buffer) and delivers every complete stanza.
    fn drain_plaintext(
        &mut self,
        now: UnixTime,
        remembered: &Remembered,
        io: &mut Io,
    ) -> Result<(), Error> {
        let Some(tls) = self.phase.tls_mut() else {
            return Ok(());
        };
        let mut receiver = Receiver {
            peer: &self.peer,
            local: &self.shared.local,
            limits: &self.shared.xml_limits,
            remembered,
            count: &mut self.rx_stanzas,
            resent: &mut self.resent,
        };
        loop {
            let mut reader = tls.reader();
            match reader.fill_buf() {
                // close_notify: the peer's <close/> must follow.
                Ok([]) => {
                    self.peer_closed.get_or_insert(now);
                    break;
                }
                Ok(chunk) => {
                    let n = chunk.len();
                    // Whole stanzas straight from rustls's buffer; a partial
                    // one waits in the framer for the rest.
                    let mut rest = chunk;
                    while let Some(raw) = self.framer.next_in(&mut rest)? {
                        receiver.deliver(raw, io);
                    }
                    self.framer.push(rest);
                    reader.consume(n);
                    if self.framer.buffered() > self.shared.limits.max_buffered_bytes {
                        return Err(Error::BufferFull {
                            limit: self.shared.limits.max_buffered_bytes,
                        });
                    }
                    while let Some(raw) = self.framer.next_stanza()? {
                        receiver.deliver(&raw, io);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(Error::Tls(e.into())),
            }
        }
        Ok(())
    }

    /// XTLS §4.4 on receipt (see [`Receiver::restore_routing`]).
    #[cfg(test)]
    fn restore_routing(&self, raw: &[u8]) -> Result<String, Error> {
        let remembered = Remembered::default();
        let (mut count, mut resent) = (0, None);
        Receiver {
            peer: &self.peer,
            local: &self.shared.local,
            limits: &self.shared.xml_limits,
            remembered: &remembered,
            count: &mut count,
            resent: &mut resent,
        }
        .restore_routing(raw)
    }

    /// XTLS §4.4 on sending: check the stanza and strip its routing (in the
    /// original text; the stanza is not rebuilt, and not copied when there is
    /// nothing to strip).
    pub(crate) fn prepare_outgoing<'s>(&self, stanza: &'s [u8]) -> Result<Cow<'s, [u8]>, Error> {
        let stanza = stanza.trim_ascii();
        let limit = self.shared.limits.max_stanza_bytes;
        if stanza.len() > limit {
            return Err(Error::PayloadTooLarge {
                size: stanza.len(),
                limit,
            });
        }
        let text = utf8(stanza)?;
        let root = xml::check_root(text, &self.shared.xml_limits)?;
        check_stanza(&root)?;
        check_address(root.from.as_deref(), "from", &self.shared.local)?;
        check_address(root.to.as_deref(), "to", &self.peer)?;
        let has_routing = root.from.is_some() || root.to.is_some();
        if !(self.shared.strip_routing && has_routing) {
            return Ok(Cow::Borrowed(text.as_bytes()));
        }
        xml::splice_root_attrs(text, &["from", "to"], &[])
            .map(|s| Cow::Owned(s.into_bytes()))
            .ok_or_else(|| Error::NotAStanza(root.name.into_owned()))
    }

    /// The smallest data IQ worth starting: one whole TLS record (or all a
    /// smaller configured IQ or window can carry).
    fn min_data_iq(&self) -> usize {
        let l = &self.shared.limits;
        MAX_TLS_RECORD
            .min(l.max_data_bytes)
            .min(l.initial_window_bytes)
    }

    /// A data IQ for the next TLS octets, with `method` on the initiator's
    /// first (XTLS §4.3): the answer owed to the peer's data IQ when there
    /// is one (`carrier`, piggyback), else a new IQ-set.
    fn begin_data(
        &self,
        io: &mut Io,
        capacity: usize,
        carrier: Option<&str>,
    ) -> (String, DataIqWriter) {
        let method =
            (!self.sent_data && self.origin.role() == Role::Initiator).then_some(wire::METHOD_X509);
        let (id, kind) = match carrier {
            Some(id) => (id.to_owned(), IqType::Result),
            None => (io.next_id(), IqType::Set),
        };
        let head = DataHead {
            kind,
            method,
            ack: self.acks.offset(),
        };
        let iq = DataIqWriter::new(
            self.shared.sender(),
            self.peer.as_str(),
            &id,
            head,
            capacity,
        );
        (id, iq)
    }

    /// Builds everything this tunnel has to send: data IQs while the window
    /// allows (stanzas waiting are written to TLS together, a window's worth
    /// at a time), then TLS close_notify and `<close/>` when closing. Called
    /// when the host asks for output, so that stanzas sent in one turn share
    /// records and IQs. An error means the tunnel is broken.
    pub(crate) fn flush(&mut self, io: &mut Io, now: UnixTime) -> Result<(), Error> {
        if !self.dirty {
            return Ok(());
        }
        self.dirty = false;
        // The latest answer owed may carry data; the others go empty. Not
        // while closing: close_notify goes in a data IQ-set, whose answer
        // comes at once.
        let mut carrier = if matches!(self.phase, Phase::Closing { .. }) {
            None
        } else {
            self.acks.take_carrier()
        };
        self.answer_owed(io);
        self.emit(io, now, &mut carrier);
        loop {
            let n = self.feed(carrier.is_some())?;
            if n == 0 {
                break;
            }
            self.emit(io, now, &mut carrier);
            // Every octet of the batch is now in a data IQ or staged.
            let end = self.delivery.sent() + self.out_tls.len() as u64;
            self.delivery.written(n, end);
        }
        // Nothing to carry: the answer goes empty.
        if let Some((id, at)) = carrier {
            self.acks.owe_at(id, at);
            self.answer_owed(io);
        }
        // Octets that came in results and no data of ours confirmed them.
        if self.acks.due() {
            self.send_offset_ack(io, now);
        }
        if let Phase::Closing {
            kept:
                Kept::Session {
                    tls,
                    close_notify: notify @ CloseNotify::Pending,
                    ..
                },
            ..
        } = &mut self.phase
        {
            if !self.delivery.has_queued() {
                tls.send_close_notify();
                *notify = CloseNotify::Sent;
                self.emit(io, now, &mut None);
            }
        }
        if let Phase::Closing {
            kept:
                Kept::Session {
                    tls,
                    close_notify: CloseNotify::Sent,
                    ..
                },
            close: CloseIq::Unsent,
        } = &self.phase
        {
            if !tls.wants_write() && self.out_tls.is_empty() && self.delivery.is_settled() {
                self.send_close(io, now);
            }
        }
        Ok(())
    }

    /// Writes waiting stanzas to TLS, whole, as much as the window can carry
    /// now; returns how many. `carrier`: an answer owed to the peer can
    /// carry them at no cost.
    fn feed(&mut self, carrier: bool) -> Result<usize, Error> {
        let min_iq = self.min_data_iq();
        // Nagle (RFC 896): with a data IQ-set in flight, small sends wait
        // to share one data IQ (not behind the handshake's last flight, nor
        // when an answer owed to the peer can carry them); a close flushes
        // everything.
        let coalesce = self.shared.limits.coalesce_bytes;
        if coalesce > 0
            && !carrier
            && matches!(self.phase, Phase::Established { .. })
            && self.delivery.has_unconfirmed()
            && self.delivery.set_in_flight()
            && self.delivery.waiting_bytes() + self.out_tls.len() < coalesce
        {
            return Ok(0);
        }
        let tls = match &mut self.phase {
            Phase::Established { tls, .. }
            | Phase::Closing {
                kept:
                    Kept::Session {
                        tls,
                        close_notify: CloseNotify::Pending,
                        ..
                    },
                ..
            } => tls,
            _ => return Ok(0),
        };
        let l = &self.shared.limits;
        let free = l.max_in_flight.saturating_sub(self.delivery.in_flight());
        let by_count = free * l.max_data_bytes.saturating_sub(RECORD_OVERHEAD);
        let by_path = self
            .delivery
            .room(l.initial_window_bytes, l.ack_timeout, min_iq, usize::MAX);
        let room = by_count.min(by_path);
        let n = self.delivery.batch(room.saturating_sub(self.out_tls.len()));
        if n == 0 {
            return Ok(0);
        }
        let slices = self.delivery.slices(n);
        let total: usize = slices.iter().map(|s| s.len()).sum();
        // With rustls's limit off, one write takes everything; anything less
        // would cut a stanza, so it breaks the tunnel instead.
        let written = tls
            .writer()
            .write_vectored(&slices)
            .map_err(|e| Error::Tls(e.into()))?;
        if written != total {
            return Err(Error::Tls(TlsFailure::Other(format!(
                "TLS took {written} of {total} octets"
            ))));
        }
        Ok(n)
    }

    /// Moves TLS output into data IQs while the window allows (staged octets
    /// first, then straight from rustls's buffer into the stanza), and
    /// stages the rest.
    fn emit(&mut self, io: &mut Io, now: UnixTime, carrier: &mut Option<(String, u64)>) {
        let l = self.shared.limits;
        let mut staged = 0;
        while self.delivery.in_flight() < l.max_in_flight {
            let more_tls = self.phase.tls().is_some_and(|t| t.wants_write());
            if staged == self.out_tls.len() && !more_tls {
                break;
            }
            // No larger than the path's window allows (see `pacing`).
            let room = self.delivery.room(
                l.initial_window_bytes,
                l.ack_timeout,
                self.min_data_iq(),
                l.max_data_bytes,
            );
            if room == 0 {
                break;
            }
            // With others in flight, an IQ takes whole records only, and
            // waits for acknowledgements when the next one does not fit.
            let cut_ok = self.delivery.in_flight() == 0;
            let (id, mut iq) = self.begin_data(io, room, carrier.as_ref().map(|c| c.0.as_str()));
            if !cut_ok {
                iq = iq.whole_records_only();
            }
            let pending = &self.out_tls[staged..];
            let whole = whole_records(pending, room);
            let take = if whole > 0 || !cut_ok {
                whole
            } else {
                pending.len()
            };
            staged += iq.push(&pending[..take]);
            if staged == self.out_tls.len() {
                if let Some(tls) = self.phase.tls_mut() {
                    while iq.room() > 0 && tls.wants_write() {
                        match tls.write_tls(&mut iq) {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                    }
                }
            }
            if iq.written() == 0 {
                break;
            }
            self.sent_data = true;
            if self.acks.offset().is_some() {
                self.acks.sent_offset();
            }
            match carrier.take() {
                Some((_, at)) => {
                    self.acks.answered(at);
                    self.delivery.sent_iq(id, iq.written(), now, true);
                }
                None => {
                    self.delivery.sent_iq(id.clone(), iq.written(), now, false);
                    io.expect(id, self.peer.clone(), PendingKind::Data);
                }
            }
            io.transmits.push_back(iq.finish());
        }
        self.out_tls.drain(..staged);
        // What the window holds back waits here.
        if let Some(tls) = self.phase.tls_mut() {
            while tls.wants_write() {
                match tls.write_tls(&mut self.out_tls) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        if self.out_tls.is_empty() {
            // An idle tunnel holds no buffer capacity.
            self.out_tls = Vec::new();
        }
    }
}

/// The length of the longest run of whole TLS records (RFC 8446 §5.1: a
/// 5-octet header whose last two octets are the length) at the start of
/// `buf` that fits in `room` octets.
fn whole_records(buf: &[u8], room: usize) -> usize {
    let mut at = 0;
    while let Some(header) = buf.get(at..at + 5) {
        let end = at + 5 + usize::from(u16::from_be_bytes([header[3], header[4]]));
        if end > room || end > buf.len() {
            break;
        }
        at = end;
    }
    at
}

/// What a tunnel needs to deliver the stanzas it decrypts: who is on each
/// side, and the XML limits (borrowed apart from the TLS connection whose
/// buffer the stanzas are read from).
struct Receiver<'t> {
    peer: &'t Jid,
    local: &'t Jid,
    limits: &'t XmlLimits,
    /// The stanza counts of the peer's tunnels that ended.
    remembered: &'t Remembered,
    /// Stanzas received so far in this tunnel.
    count: &'t mut u64,
    /// The earlier copies of the next stanza, when it was sent again.
    resent: &'t mut Option<Vec<Copy>>,
}

impl Receiver<'_> {
    /// Queues the stanza's event: delivered, or rejected with the reason.
    /// A `<resent/>` marker is remembered for the next stanza, and a
    /// stanza it marks as one that already arrived through an earlier
    /// tunnel is dropped ([`resend`]).
    fn deliver(&mut self, raw: &[u8], io: &mut Io) {
        if raw.starts_with(b"<resent") {
            if let Some(marker) = utf8(raw)
                .ok()
                .and_then(|t| xml::check(t, self.limits).ok())
                .and_then(|el| resend::read_marker(&el))
            {
                *self.resent = Some(marker);
                return;
            }
        }
        *self.count += 1;
        if let Some(copies) = self.resent.take() {
            if self.remembered.arrived(self.peer, &copies) {
                return;
            }
        }
        let event = match self.restore_routing(raw) {
            Ok(stanza) => Event::Stanza {
                peer: self.peer.clone(),
                stanza,
            },
            Err(error) => Event::StanzaRejected {
                peer: self.peer.clone(),
                error,
            },
        };
        io.events.push_back(event);
    }

    /// XTLS §4.4 on receipt: fill in missing `from`/`to` from the carrying
    /// IQ and refuse a stanza whose addresses contradict it.
    fn restore_routing(&self, raw: &[u8]) -> Result<String, Error> {
        let text = utf8(raw)?;
        let root = xml::check_root(text, self.limits)?;
        check_stanza(&root)?;
        check_address(root.from.as_deref(), "from", self.peer)?;
        check_address(root.to.as_deref(), "to", self.local)?;
        add_routing(text, &root, self.peer, self.local)
    }
}

/// `text` (whose root is `root`) with `from`/`to` added where missing.
fn add_routing(text: &str, root: &StanzaRoot<'_>, from: &Jid, to: &Jid) -> Result<String, Error> {
    let from = root.from.is_none().then_some(("from", from.as_str()));
    let to = root.to.is_none().then_some(("to", to.as_str()));
    let add: &[(&str, &str)] = match (&from, &to) {
        (Some(f), Some(t)) => &[*f, *t],
        (Some(one), None) | (None, Some(one)) => std::slice::from_ref(one),
        (None, None) => &[],
    };
    xml::splice_root_attrs(text, &[], add).ok_or_else(|| Error::NotAStanza(root.name.to_string()))
}

/// A stanza we sent (checked when it was sent, maybe stripped), with the
/// routing it was sent with restored, to hand back to the application.
fn with_routing(stanza: Vec<u8>, local: &Jid, peer: &Jid, limits: &XmlLimits) -> String {
    match String::from_utf8(stanza) {
        Ok(text) => match xml::check_root(&text, limits) {
            Ok(root) => add_routing(&text, &root, local, peer).unwrap_or_else(|_| text.clone()),
            Err(_) => text,
        },
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn utf8(raw: &[u8]) -> Result<&str, Error> {
    simdutf8::compat::from_utf8(raw)
        .map_err(|e| Error::Xml(xml::XmlError::Malformed(e.to_string())))
}

fn check_stanza(root: &StanzaRoot<'_>) -> Result<(), Error> {
    let ns = root.ns.as_ref();
    let ns_ok = ns.is_empty() || ns == "jabber:client" || ns == "jabber:server";
    if ns_ok && matches!(root.name.as_ref(), "message" | "presence" | "iq") {
        Ok(())
    } else {
        Err(Error::NotAStanza(root.name.to_string()))
    }
}

fn check_address(value: Option<&str>, attr: &str, expected: &Jid) -> Result<(), Error> {
    match value {
        Some(v) if !expected.is_or_bare_of(v) => Err(Error::RoutingMismatch {
            found: format!("{attr}='{v}'"),
            expected: expected.to_string(),
        }),
        _ => Ok(()),
    }
}

crate::names::named!(TunnelState, "tunnel state" {
    Starting = 1, "starting";
    Handshaking = 2, "handshaking";
    Established = 3, "established";
    Closing = 4, "closing";
});

#[cfg(test)]
mod tests {
    use super::*;

    fn tunnel() -> Tunnel {
        Tunnel::new(
            Jid::parse("romeo@montague.lit/orchard").unwrap(),
            Origin::PeerStart {
                id: "s1".into(),
                offer: None,
            },
            Arc::new(TunnelSettings::new(
                Jid::parse("juliet@capulet.lit/balcony").unwrap(),
                Limits::default(),
                Arc::new(Policy::xtls()),
                true,
                true,
            )),
            UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000)),
            1,
        )
    }

    #[test]
    fn received_routing_is_restored_or_rejected() {
        let t = tunnel();
        let ok = t
            .restore_routing(b"<message><body>hi</body></message>")
            .unwrap();
        assert_eq!(
            ok,
            "<message from='romeo@montague.lit/orchard' to='juliet@capulet.lit/balcony'><body>hi</body></message>"
        );
        // The peer (authenticated as romeo) forges a stanza from the nurse.
        let forged = t
            .restore_routing(b"<message from='nurse@capulet.lit/chamber'><body>x</body></message>");
        assert!(matches!(forged, Err(Error::RoutingMismatch { .. })));
        let misaddressed =
            t.restore_routing(b"<message to='nurse@capulet.lit'><body>x</body></message>");
        assert!(matches!(misaddressed, Err(Error::RoutingMismatch { .. })));
        // Bare forms of the right JIDs are consistent and kept.
        let bare = t
            .restore_routing(b"<iq type='get' id='1' from='romeo@montague.lit'/>")
            .unwrap();
        assert!(bare.contains("from='romeo@montague.lit'"));
        assert!(matches!(
            t.restore_routing(b"<stream:features xmlns:stream='s'/>"),
            Err(Error::NotAStanza(_))
        ));
        assert!(matches!(
            t.restore_routing(b"<message><!-- x --></message>"),
            Err(Error::Xml(_))
        ));
    }

    #[test]
    fn outgoing_routing_is_stripped() {
        let t = tunnel();
        let out = t
            .prepare_outgoing(b"<message from='juliet@capulet.lit/balcony' to='romeo@montague.lit/orchard'><body>b</body></message>")
            .unwrap();
        assert_eq!(&*out, b"<message><body>b</body></message>");
        let untouched = t.prepare_outgoing(b" <presence/>\n").unwrap();
        assert!(matches!(untouched, Cow::Borrowed(b"<presence/>")));
    }
}
