//! How a tunnel decides to trust the peer's certificate, and the rustls
//! verifiers that apply that decision inside the handshake.
//!
//! XTLS §7 asks for certificates "generated and validated in accordance with"
//! RFC 6120 (§13.7.1.4: a client certificate names the JID as XmppAddr). Most
//! XMPP clients have no CA-issued certificate, so besides PKIX we offer
//! fingerprint pinning and trust on first use, with XEP-0250 offer hashes
//! checked in every mode.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::TrustError;
use crate::identity::matching::normalize_domain;
use crate::identity::pkix::{verify_chain, Purpose, Roots};
use crate::identity::Matched;
use crate::identity::{cert_sha256, hex, parse_hex_sha256, spki_sha256, PresentedIds};
use crate::jid::Jid;
use crate::pins::{self, PinStatus, PinStore};
use crate::policy::AuthMethod;

/// How peers' certificates are trusted.
#[derive(Debug, Clone)]
pub enum TrustMode {
    /// PKIX: the chain must lead to one of these roots (DER certificates) and
    /// the leaf must name the peer's bare JID as XmppAddr (RFC 6120
    /// §13.7.1.4), or for a JID without localpart, its domain as DNS-ID.
    Pkix(Vec<CertificateDer<'static>>),
    /// Only peers whose SPKI SHA-256 is pinned in advance (keys: bare JIDs).
    /// A start from a peer without a pin is refused with `not-acceptable`.
    Pinned(PinStore),
    /// Accept the certificate whose hash the peer announced in its XEP-0250
    /// offer. The offer travels in clear through the servers, so this
    /// authenticates the peer only as far as the servers are trusted; it is
    /// the XTLS spec's own model. A peer that sends no offer is refused.
    Offer,
    /// Trust on first use: the first key seen for a bare JID is pinned, a
    /// different key later fails the handshake with
    /// [`TrustError::PinChanged`]. The store is the endpoint's
    /// ([`Endpoint::pins`](super::Endpoint::pins)).
    TrustOnFirstUse(PinStore),
}

/// How the peer of a tunnel was authenticated (RFC 7590 §3.6: make it visible).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerAuth {
    /// PKIX chain to a configured root, identity matched.
    Pkix {
        /// The identifier that matched (XmppAddr for a user, DNS-ID for a
        /// domain JID).
        matched: Matched,
    },
    /// The key was pinned beforehand.
    Pinned,
    /// The certificate matched the hash in the peer's XEP-0250 offer.
    Offer,
    /// Trust on first use; `first_use` says the key was just pinned.
    TrustOnFirstUse {
        /// True when this handshake pinned the key.
        first_use: bool,
    },
}

impl PeerAuth {
    /// The authentication method, as reports and policies name it.
    pub fn method(&self) -> AuthMethod {
        match self {
            PeerAuth::Pkix { .. } => AuthMethod::Pkix,
            PeerAuth::Pinned | PeerAuth::TrustOnFirstUse { .. } => AuthMethod::Pinned,
            PeerAuth::Offer => AuthMethod::Offer,
        }
    }
}

impl fmt::Display for PeerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerAuth::Pkix { matched } => write!(f, "PKIX certificate chain, identity {matched}"),
            PeerAuth::Pinned => f.write_str("pinned public key"),
            PeerAuth::Offer => f.write_str("certificate hash from the XEP-0250 offer"),
            PeerAuth::TrustOnFirstUse { first_use: true } => {
                f.write_str("trust on first use (key pinned now)")
            }
            PeerAuth::TrustOnFirstUse { first_use: false } => {
                f.write_str("trust on first use (key matches pin)")
            }
        }
    }
}

/// What one tunnel checks about its peer. Immutable once the tunnel exists,
/// so the verifiers need no locks.
#[derive(Debug)]
pub(crate) struct PeerCheck {
    pub peer: Jid,
    /// The peer acts as TLS server (we initiated).
    pub peer_is_server: bool,
    pub kind: CheckKind,
    /// Certificate hashes from the peer's XEP-0250 offer, if it made one.
    pub offer_hashes: Vec<[u8; 32]>,
    pub algs: WebPkiSupportedAlgorithms,
}

#[derive(Debug)]
pub(crate) enum CheckKind {
    Pkix(Arc<Roots>),
    /// Pins the peer must match (pinned mode).
    Pinned(Vec<String>),
    Offer,
    /// Pins known at tunnel creation (empty on first use).
    Tofu(Vec<String>),
}

impl PeerCheck {
    /// Decides whether `chain` authenticates the peer at time `now`.
    pub(crate) fn authenticate(
        &self,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<PeerAuth, TrustError> {
        let leaf = chain.first().ok_or(TrustError::NoCertificate)?;
        let cert_hash = cert_sha256(leaf);
        // XTLS §4.2: an offered hash must match whatever the trust mode.
        if !self.offer_hashes.is_empty() && !self.offer_hashes.contains(&cert_hash) {
            return Err(TrustError::FingerprintMismatch);
        }
        let spki = || spki_sha256(leaf).map(|s| hex(&s));
        match &self.kind {
            CheckKind::Offer => {
                if self.offer_hashes.is_empty() {
                    Err(TrustError::UnknownPeer)
                } else {
                    Ok(PeerAuth::Offer)
                }
            }
            CheckKind::Pinned(pins) => match pins::status(pins, &spki()?) {
                PinStatus::Match => Ok(PeerAuth::Pinned),
                PinStatus::New => Err(TrustError::UnknownPeer),
                PinStatus::Changed { .. } => Err(TrustError::FingerprintMismatch),
            },
            CheckKind::Tofu(pins) => match pins::status(pins, &spki()?) {
                PinStatus::New => Ok(PeerAuth::TrustOnFirstUse { first_use: true }),
                PinStatus::Match => Ok(PeerAuth::TrustOnFirstUse { first_use: false }),
                PinStatus::Changed { old, new } => Err(TrustError::PinChanged { old, new }),
            },
            CheckKind::Pkix(roots) => self.pkix(roots, chain, now),
        }
    }

    fn pkix(
        &self,
        roots: &Roots,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<PeerAuth, TrustError> {
        let purpose = if self.peer_is_server {
            Purpose::ServerAuth
        } else {
            Purpose::ClientAuth
        };
        let constraints = verify_chain(chain, roots, now, purpose, &self.algs)?;
        // webpki applies name constraints to DNS-IDs only; the peer's JID
        // domain must be allowed whatever identifier names it.
        constraints.check(self.peer.domain())?;
        let leaf = chain.first().ok_or(TrustError::NoCertificate)?;
        let ids = PresentedIds::from_der(leaf)?;
        let bare = self.peer.bare_str();
        // Domains compare as RFC 6125 says: IDNA A-labels, case-insensitive,
        // no trailing dot (the same rule as certificate identity matching).
        let domain_eq = |a: &str, b: &str| match (normalize_domain(a), normalize_domain(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        };
        let addr_eq = |a: &str| match (a.split_once('@'), bare.split_once('@')) {
            (Some((la, da)), Some((lb, db))) => la == lb && domain_eq(da, db),
            (None, None) => domain_eq(a, bare),
            _ => false,
        };
        if let Some(a) = ids.xmpp_addr.iter().find(|a| addr_eq(a)) {
            return Ok(PeerAuth::Pkix {
                matched: Matched::XmppAddr(a.clone()),
            });
        }
        if self.peer.local().is_none() {
            if let Some(d) = ids.dns.iter().find(|d| domain_eq(d, self.peer.domain())) {
                return Ok(PeerAuth::Pkix {
                    matched: Matched::DnsId(d.clone()),
                });
            }
        }
        Err(TrustError::IdentityMismatch {
            expected: bare.to_owned(),
        })
    }
}

/// The offer hashes we can use: hex SHA-256 of the certificate DER. A
/// `<name/>` that is not one (the spec's own example holds placeholder text,
/// other hash names are left open by XEP-0250) is ignored, not a reason to
/// refuse the start; an offer left with no usable hash authenticates nothing
/// in [`TrustMode::Offer`].
pub(crate) fn offer_hashes(names: &[String]) -> Vec<[u8; 32]> {
    names.iter().filter_map(|n| parse_hex_sha256(n)).collect()
}

fn to_rustls(e: &TrustError) -> rustls::Error {
    rustls::Error::InvalidCertificate(match e {
        TrustError::NoCertificate | TrustError::BadCertificate(_) => CertificateError::BadEncoding,
        TrustError::IdentityMismatch { .. } => CertificateError::NotValidForName,
        TrustError::Pkix(_) => CertificateError::UnknownIssuer,
        _ => CertificateError::ApplicationVerificationFailure,
    })
}

/// One tunnel's check plus the typed outcome of the handshake's verification
/// (rustls itself only carries its own error type).
#[derive(Debug)]
pub(crate) struct PeerSlot {
    check: PeerCheck,
    outcome: Mutex<Option<Result<PeerAuth, TrustError>>>,
}

impl PeerSlot {
    pub(crate) fn new(check: PeerCheck) -> Arc<Self> {
        Arc::new(PeerSlot {
            check,
            outcome: Mutex::new(None),
        })
    }

    pub(crate) fn check(&self) -> &PeerCheck {
        &self.check
    }

    /// What the verifier decided in this handshake, if it ran.
    pub(crate) fn outcome(&self) -> Option<Result<PeerAuth, TrustError>> {
        self.outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let mut chain = Vec::with_capacity(1 + intermediates.len());
        chain.push(end_entity.clone());
        chain.extend(intermediates.iter().cloned());
        let result = self.check.authenticate(&chain, now);
        let out = result.as_ref().map(|_| ()).map_err(to_rustls);
        *self
            .outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result);
        out
    }
}

/// The server-certificate verifier of an endpoint's client role. There is one
/// per endpoint because rustls resumes a session only with the verifier that
/// established it; it finds each tunnel's check by the per-peer server name.
#[derive(Debug)]
pub(crate) struct PeerRegistry {
    slots: Mutex<HashMap<String, Arc<PeerSlot>>>,
    algs: WebPkiSupportedAlgorithms,
}

impl PeerRegistry {
    pub(crate) fn new(algs: WebPkiSupportedAlgorithms) -> Arc<Self> {
        Arc::new(PeerRegistry {
            slots: Mutex::new(HashMap::new()),
            algs,
        })
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<PeerSlot>>> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers the check of the tunnel whose session name is `name`.
    pub(crate) fn register(&self, name: &str, slot: Arc<PeerSlot>) {
        self.slots().insert(name.to_owned(), slot);
    }

    /// Forgets a tunnel's check (the tunnel is gone).
    pub(crate) fn unregister(&self, name: &str) {
        self.slots().remove(name);
    }
}

impl ServerCertVerifier for PeerRegistry {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let name = server_name.to_str();
        let slot =
            self.slots()
                .get(name.as_ref())
                .cloned()
                .ok_or(rustls::Error::InvalidCertificate(
                    CertificateError::ApplicationVerificationFailure,
                ))?;
        slot.verify(end_entity, intermediates, now)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The client-certificate verifier of one responder tunnel (rustls servers
/// have no same-verifier rule for resumption, so it can be per tunnel).
#[derive(Debug)]
pub(crate) struct ClientVerifier(pub Arc<PeerSlot>);

impl ClientCertVerifier for ClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.0
            .verify(end_entity, intermediates, now)
            .map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.check.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.check.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.check.algs.supported_schemes()
    }
}
