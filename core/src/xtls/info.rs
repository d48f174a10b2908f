//! What a completed handshake is reported as: the parameters read from
//! rustls once, and the tunnel's [`TunnelInfo`] with its RFC 7590 §3.6
//! [`ConnectionReport`], graded by the endpoint's policy. Kept out of the
//! tunnel's state machine, which only decides when a handshake is done.

use rustls::{Connection, HandshakeKind};

use super::event::{Role, TunnelInfo};
use super::tls::group_name;
use super::trust::PeerAuth;
use crate::identity::{hex, CertificateInfo, Matched};
use crate::pins::PinStatus;
use crate::policy::{suites, Negotiated, Policy, TlsVersion};
use crate::report::ConnectionReport;
use rustls_pki_types::CertificateDer;

/// The parameters of a completed handshake, as rustls reports them.
pub(super) struct Handshake {
    version: Option<TlsVersion>,
    suite: Option<u16>,
    group: Option<String>,
    resumed: bool,
}

impl Handshake {
    /// Reads version, suite, group and resumption once.
    pub(super) fn of(tls: &Connection) -> Self {
        Handshake {
            version: tls
                .protocol_version()
                .and_then(|v| TlsVersion::from_code(u16::from(v))),
            suite: tls.negotiated_cipher_suite().map(|s| u16::from(s.suite())),
            group: tls
                .negotiated_key_exchange_group()
                .map(|g| group_name(g.name())),
            resumed: tls.handshake_kind() == Some(HandshakeKind::Resumed),
        }
    }

    /// A resumed session: its verifier did not run in this handshake.
    pub(super) fn resumed(&self) -> bool {
        self.resumed
    }
}

/// The peer as authenticated: how, and its certificate.
pub(super) struct Peer<'a> {
    /// The peer's JID, as reports name it.
    pub jid: &'a str,
    /// How it was authenticated.
    pub auth: PeerAuth,
    /// Its chain, end entity first.
    pub chain: &'a [CertificateDer<'a>],
    /// The decoded end entity, when it could be read.
    pub details: Option<CertificateInfo>,
    /// SHA-256 of the end entity.
    pub cert_sha256: [u8; 32],
    /// Lowercase hex SHA-256 of its public key.
    pub spki_sha256: String,
    /// Its XEP-0250 offer named a certificate hash.
    pub offered: bool,
}

/// The tunnel's information and report, graded by `policy`.
pub(super) fn tunnel_info(role: Role, h: Handshake, peer: Peer<'_>, policy: &Policy) -> TunnelInfo {
    // The IANA name from the registry (rustls spells TLS 1.3 suites TLS13_).
    let suite_name = h
        .suite
        .map(|code| {
            suites::by_code(code)
                .map(|known| known.name.to_owned())
                .unwrap_or_else(|| format!("0x{code:04x}"))
        })
        .unwrap_or_default();
    let pin = match peer.auth {
        PeerAuth::TrustOnFirstUse { first_use: true } => Some(PinStatus::New),
        PeerAuth::TrustOnFirstUse { first_use: false } | PeerAuth::Pinned => Some(PinStatus::Match),
        _ => None,
    };
    let identity: Option<Matched> = match &peer.auth {
        PeerAuth::Pkix { matched } => Some(matched.clone()),
        _ => None,
    };
    let negotiated = Negotiated {
        encrypted: true,
        version: h.version,
        suite: h.suite,
        kx_group: h.group.clone(),
        resumed: h.resumed,
        authentication: Some(peer.auth.method()),
        peer_chain: peer.chain.iter().map(|c| c.clone().into_owned()).collect(),
        ..Negotiated::default()
    };
    let report = ConnectionReport::with_certificate(
        peer.jid,
        policy,
        negotiated,
        peer.details,
        identity,
        pin,
    );
    TunnelInfo {
        role,
        tls_version: h.version.map(|v| v.as_str().to_owned()).unwrap_or_default(),
        cipher_suite: suite_name,
        kx_group: h.group.unwrap_or_default(),
        resumed: h.resumed,
        peer_auth: peer.auth,
        peer_certificate_sha256: hex(&peer.cert_sha256),
        peer_spki_sha256: peer.spki_sha256,
        offer_verified: peer.offered,
        report,
    }
}
