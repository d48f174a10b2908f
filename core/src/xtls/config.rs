//! Endpoint configuration and every limit, each with its default and reason.

use std::time::Duration;

use super::trust::TrustMode;
use crate::identity::Identity;
use crate::jid::Jid;
use crate::policy::Policy;
use crate::provider::KeyExchange;

/// Bounds that keep a tunnel's memory and stanza sizes in check, and the
/// deadlines of every answer a tunnel waits for. Every one is enforced:
/// exceeding a size gives a typed error, never unbounded growth; a deadline
/// that passes closes the tunnel ([`Endpoint::handle_timeout`]).
///
/// Deadlines are kept in whole seconds, the resolution of the `now` the
/// endpoint is given (a shorter timeout is rounded up to one second).
///
/// [`Endpoint::handle_timeout`]: super::Endpoint::handle_timeout
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Octets of TLS data in one `<data/>` before base64. Default
    /// [`DEFAULT_DATA_BYTES`]: one TLS record of 6 KiB of plaintext, about
    /// 8.4 KB of XML, so that a burst of data IQs pipelines through a
    /// server (it forwards each IQ once it has read it whole). Measured
    /// through Prosody (README, Benchmark): 16 requests of 4 KiB in one
    /// turn went at 0.37 of the plain rate with IQs of two 16 KiB records,
    /// 0.49-0.55 with 5-6 KiB, and 0.51 with 4 KiB, which splits a 4 KiB
    /// stanza in two (0.39 one at a time). Far below the 256 KiB at which
    /// Prosody and others close the stream. Records are made to fit (a
    /// record is never split across data IQs when it fits in one, so the
    /// receiver decrypts each IQ as it arrives); the largest is
    /// [`MAX_TLS_RECORD`].
    pub max_data_bytes: usize,
    /// Data IQs sent and not yet acknowledged, per tunnel (the window).
    /// Default 16: a real server answers several times faster with IQs in
    /// flight than one at a time.
    pub max_in_flight: usize,
    /// Nagle's algorithm (RFC 896) for data IQs: while data IQs are in
    /// flight, stanzas the application sends wait until this many
    /// plaintext octets are waiting, or until every IQ in flight is
    /// acknowledged, so that a host that writes after every `send` still
    /// sends small stanzas of one turn in one data IQ. Default 2 KiB: like
    /// TCP's, which holds only segments smaller than a full one, it holds
    /// small stanzas only; larger ones go at once, each pipelining through
    /// the server. Measured through Prosody with a host that writes after
    /// every send: 16 requests of 64 B in flight 0.43 of the plain rate
    /// without it, 0.63-0.65 with it; 4 KiB requests 0.54 with 2 KiB, 0.36
    /// with 16 KiB (merged into large writes). 0 sends at once. With
    /// nothing in flight (one request at a time), nothing waits.
    pub coalesce_bytes: usize,
    /// Plaintext octets a tunnel holds per direction. Sending: the stanzas
    /// the application sent and the peer has not acknowledged yet (waiting
    /// for the handshake, for the window, or for the answer to the data IQ
    /// carrying them), kept so that a tunnel that ends can hand them back
    /// ([`Event::Closed`](super::Event::Closed)); a `send` beyond it fails
    /// with `BufferFull` and changes nothing. Receiving: a partial inner
    /// stanza. Default 1 MiB.
    pub max_buffered_bytes: usize,
    /// Largest incoming stanza, and largest stanza inside a tunnel (it is
    /// split over as many TLS records and data IQs as it needs). Default
    /// 128 KiB. The TLS octets of at most one stanza beyond the window wait
    /// in the tunnel besides [`max_buffered_bytes`](Self::max_buffered_bytes).
    pub max_stanza_bytes: usize,
    /// Tunnels one endpoint keeps at once, half-open responders aside
    /// ([`max_half_open`](Self::max_half_open)): ours, and the peers' once
    /// their handshake completed. Default 64; further starts get
    /// `resource-constraint`. A stranger's start never evicts one of these.
    pub max_tunnels: usize,
    /// Half-open tunnels: a peer's `<start/>` answered and its handshake not
    /// complete. Default 16. When full, a new start evicts the oldest one (a
    /// SYN backlog, not a wall): an honest peer completes its handshake in
    /// one round trip, a flood of starts only pushes out its own.
    pub max_half_open: usize,
    /// Half-open tunnels per bare JID (one account's resources). Default 2;
    /// a start beyond it evicts that account's oldest half-open tunnel.
    pub max_half_open_per_peer: usize,
    /// How long a peer's start may wait for its ClientHello. Default 10 s,
    /// far shorter than [`handshake_timeout`](Self::handshake_timeout): a
    /// start that never sends a handshake gives up its slot soon.
    pub half_open_timeout: Duration,
    /// TLS octets a tunnel keeps in flight before acknowledgements have
    /// shown what the path carries, and the floor of its window. Default
    /// one full TLS record ([`MAX_TLS_RECORD`], 16,413 octets): about 22 KB
    /// of base64 and XML, which passes a path of 1,000 B/s in 22 s, within
    /// [`ack_timeout`](Self::ack_timeout) (ejabberd's `normal` shaper reads
    /// 3,000 B/s). Smaller values make smaller data IQs, for slower paths.
    /// See [`xtls::pacing`](super::pacing).
    pub initial_window_bytes: usize,
    /// Closed tunnels per endpoint whose delivered-stanza count is
    /// remembered, so that a stanza handed back as maybe delivered and sent
    /// again through a new tunnel is recognised when its first copy did
    /// arrive (a session held by XEP-0198 stream management). Default 64.
    pub remembered_tunnels: usize,
    /// TLS sessions remembered for resumption (client and server side each).
    /// Default 256; 0 turns resumption off.
    pub resumption_sessions: usize,
    /// How long our `<start/>` may wait for `<proceed/>` (XTLS §4.1).
    /// Default 30 s. An XMPP server does not answer every IQ: a resource that
    /// goes away, a resumed stream or a rate limit can lose it.
    pub start_timeout: Duration,
    /// How long the TLS handshake may go without progress (a data IQ
    /// received or acknowledged) once start/proceed are done (XTLS §4.2).
    /// Default 30 s.
    pub handshake_timeout: Duration,
    /// How long data IQs may be in flight with no acknowledgement at all
    /// (XTLS §4.3): every acknowledgement extends the deadline of what is
    /// still waiting, so a slow path is never mistaken for a dead one, and
    /// a dead peer is noticed this long after the last acknowledgement (or
    /// after the oldest waiting IQ was sent, if later). Default 30 s. The
    /// window keeps what is in flight to what the path has shown it
    /// carries in a quarter of this time.
    pub ack_timeout: Duration,
    /// How long our `<close/>` may wait for `<closed/>` (XTLS §4.5), and
    /// how long the peer's TLS close_notify may wait for its `<close/>`.
    /// Default 10 s.
    pub close_timeout: Duration,
}

/// The largest TLS record a tunnel writes, in octets on the wire: 16 KiB of
/// plaintext (RFC 8446 §5.1) plus the largest overhead of the suites tunnels
/// use (TLS 1.2 AES-GCM: 5-octet header, 8-octet explicit nonce, 16-octet
/// tag).
pub const MAX_TLS_RECORD: usize = 16_384 + 5 + 8 + 16;

/// The default [`Limits::max_data_bytes`]: one record of 6 KiB of
/// plaintext with the same overhead as [`MAX_TLS_RECORD`].
pub const DEFAULT_DATA_BYTES: usize = 6 * 1024 + 5 + 8 + 16;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_data_bytes: DEFAULT_DATA_BYTES,
            max_in_flight: 16,
            coalesce_bytes: 2 * 1024,
            max_buffered_bytes: 1024 * 1024,
            max_stanza_bytes: 128 * 1024,
            max_tunnels: 64,
            max_half_open: 16,
            max_half_open_per_peer: 2,
            half_open_timeout: Duration::from_secs(10),
            initial_window_bytes: MAX_TLS_RECORD,
            remembered_tunnels: 64,
            resumption_sessions: 256,
            start_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(30),
            ack_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// Refuses limits no tunnel could work with (`Error::Config`): a data
    /// IQ too small for a TLS record's overhead, an empty window, no room
    /// for a stanza of the largest size, no tunnels.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let problem = if self.max_data_bytes < 256 {
            "max_data_bytes must be at least 256"
        } else if self.max_in_flight == 0 {
            "max_in_flight must be at least 1"
        } else if self.max_stanza_bytes < 64 {
            "max_stanza_bytes must be at least 64"
        } else if self.max_buffered_bytes < self.max_stanza_bytes {
            "max_buffered_bytes must hold a stanza of max_stanza_bytes"
        } else if self.max_tunnels == 0 {
            "max_tunnels must be at least 1"
        } else if self.max_half_open == 0 || self.max_half_open_per_peer == 0 {
            "max_half_open and max_half_open_per_peer must be at least 1"
        } else if self.initial_window_bytes < 256 {
            "initial_window_bytes must be at least 256"
        } else if [
            self.start_timeout,
            self.handshake_timeout,
            self.ack_timeout,
            self.close_timeout,
            self.half_open_timeout,
        ]
        .iter()
        .any(Duration::is_zero)
        {
            "timeouts must be at least one second"
        } else {
            return Ok(());
        };
        Err(crate::Error::Config(problem.into()))
    }
}

/// Which TLS versions tunnels negotiate. Both choices use only ECDHE key
/// exchange with AEAD ciphers (RFC 7525 §4.2); see the crate documentation
/// for why the XTLS spec's mandatory 3DES/CBC suites are not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TlsVersions {
    /// TLS 1.3, and TLS 1.2 with ECDHE+AEAD suites (the default).
    #[default]
    Tls12And13,
    /// TLS 1.3 only.
    Tls13Only,
    /// TLS 1.2 only (ECDHE+AEAD): for peers whose TLS library lacks 1.3.
    Tls12Only,
}

/// Everything an [`Endpoint`](super::Endpoint) needs.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// Our full JID: the `to` of every XTLS IQ we accept and the `from` we
    /// write.
    pub jid: Jid,
    /// Certificate and key presented in tunnels.
    pub identity: Identity,
    /// How peers' certificates are trusted.
    pub trust: TrustMode,
    /// Limits.
    pub limits: Limits,
    /// TLS versions.
    pub versions: TlsVersions,
    /// Post-quantum key exchange: X25519MLKEM768 preferred (the default),
    /// required, or classical groups only.
    pub key_exchange: KeyExchange,
    /// Put a XEP-0250 offer with our certificate hash in start and proceed
    /// (default true).
    pub send_offer: bool,
    /// Offer and accept data in IQ results (`<piggyback/>` in start and
    /// proceed; default true). The answer to a data IQ then carries our
    /// next TLS octets when we have some, and our data IQs carry an `ack`
    /// offset: a request answered at once costs two stanzas through the
    /// servers instead of four, which is most of a tunnel's cost there
    /// (README, "Through a real Prosody"). Used only when both ends offer
    /// it; a peer that does not gets plain XTLS §4.3.
    pub piggyback: bool,
    /// Write our JID as `from` on the IQs we send (default true). A
    /// client's server stamps `from` on everything it routes (RFC 6120
    /// §8.1.2.1), so a client on a c2s stream may leave it out: some 35
    /// octets less per IQ, which a shaped stream (ejabberd's default c2s
    /// shaper) turns into throughput. An entity whose stanzas no server
    /// stamps (a component, an in-memory test) keeps it.
    pub send_from: bool,
    /// Remove `from`/`to` from stanzas before encrypting them (XTLS §4.4 lets
    /// the receiver restore them from the carrying IQ). Default true: it hides
    /// nothing the server does not see, but saves octets.
    pub strip_routing: bool,
    /// Accept incoming starts (default true). When false, starts are answered
    /// with `service-unavailable` as if XTLS were not implemented.
    pub enabled: bool,
    /// The policy each tunnel's [`ConnectionReport`](crate::ConnectionReport)
    /// is graded against (default [`Policy::xtls`]).
    pub policy: Policy,
}

impl EndpointConfig {
    /// A configuration with default limits, both TLS versions, offers on.
    pub fn new(jid: Jid, identity: Identity, trust: TrustMode) -> Self {
        EndpointConfig {
            jid,
            identity,
            trust,
            limits: Limits::default(),
            versions: TlsVersions::default(),
            key_exchange: KeyExchange::default(),
            send_offer: true,
            piggyback: true,
            send_from: true,
            strip_routing: true,
            enabled: true,
            policy: Policy::xtls(),
        }
    }
}

crate::names::named!(TlsVersions, "TLS versions" {
    Tls12And13 = 0, "tls12-and-13";
    Tls13Only = 1, "tls13-only";
    Tls12Only = 2, "tls12-only";
});
