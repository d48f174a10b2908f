//! A sans-IO TLS client for an XMPP stream (after STARTTLS, or XEP-0368
//! direct TLS) that checks the server the XMPP way and grades the result:
//! PKIX to caller-given roots, RFC 6125/6120 identity for the domain and
//! service, then [`ConnectionReport`] under a [`Policy`].
//!
//! Bytes from the socket go into [`ClientSession::read_tls`]; bytes for the
//! socket come out of [`ClientSession::write_tls`]. In [`Mode::Enforce`] an
//! untrusted certificate fails the handshake (what a client should do); in
//! [`Mode::Inspect`] the handshake completes and the report says what is
//! wrong (what a checking tool does). Servers this client cannot talk to at
//! all (no TLS 1.2+, no forward-secret AEAD suite) are reported too.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct,
    PeerIncompatible, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::Error;
use crate::identity::pkix::{verify_chain, Purpose, Roots};
use crate::identity::{match_identity, Matched, PresentedIds, ReferenceIdentity, Service};
use crate::policy::{AuthMethod, Finding, FindingCode, Negotiated, Policy, Severity, TlsVersion};
use crate::report::ConnectionReport;
use crate::starttls;

/// What to do with a server that fails the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fail the handshake (a client about to log in).
    Enforce,
    /// Complete the handshake and report (a checking tool).
    Inspect,
}

/// What the certificate checks found.
#[derive(Debug, Clone, Default)]
struct Checks {
    chain: Option<Vec<CertificateDer<'static>>>,
    pkix: Option<Result<(), String>>,
    identity: Option<Matched>,
}

/// A rustls [`ServerCertVerifier`] for XMPP: PKIX to the given roots plus
/// RFC 6125/6120 identity for a domain and service. Use it in your own
/// rustls `ClientConfig` (through `dangerous().with_custom_certificate_verifier`)
/// to get XMPP-correct checks with any IO; [`ClientSession`] uses it too.
#[derive(Debug)]
pub struct XmppVerifier {
    roots: Roots,
    reference: ReferenceIdentity,
    cn_fallback: bool,
    mode: Mode,
    algs: WebPkiSupportedAlgorithms,
    checks: Mutex<Checks>,
}

impl XmppVerifier {
    /// A verifier for `domain` and `service`, trusting `roots`.
    /// `cn_fallback` allows a CN-ID when no usable SAN exists.
    pub fn new(
        domain: &str,
        service: Service,
        roots: &[CertificateDer<'_>],
        cn_fallback: bool,
        mode: Mode,
    ) -> Result<Self, Error> {
        Ok(XmppVerifier {
            roots: Roots::new(roots).map_err(|e| Error::Config(e.to_string()))?,
            reference: ReferenceIdentity::new(domain, service)
                .map_err(|e| Error::Config(e.to_string()))?,
            cn_fallback,
            mode,
            algs: crate::provider::provider().signature_verification_algorithms,
            checks: Mutex::new(Checks::default()),
        })
    }

    /// The identifier that matched in the last verification, if any.
    pub fn matched(&self) -> Option<Matched> {
        self.checks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .identity
            .clone()
    }
}

impl ServerCertVerifier for XmppVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone().into_owned()];
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        let pkix = if self.roots.is_empty() {
            Err("no trusted roots were given".to_owned())
        } else {
            // The chain's name constraints must allow the domain we accept,
            // whichever identifier type names it (webpki checks DNS-IDs only).
            verify_chain(&chain, &self.roots, now, Purpose::ServerAuth, &self.algs)
                .and_then(|constraints| constraints.check(self.reference.domain()))
                .map_err(|e| e.to_string())
        };
        let identity = PresentedIds::from_der(end_entity)
            .ok()
            .and_then(|ids| match_identity(&ids, &self.reference, self.cn_fallback));
        let trusted = pkix.is_ok() && identity.is_some();
        *self.checks.lock().unwrap_or_else(PoisonError::into_inner) = Checks {
            chain: Some(chain),
            pkix: Some(pkix),
            identity,
        };
        match (trusted, self.mode) {
            (true, _) | (false, Mode::Inspect) => Ok(ServerCertVerified::assertion()),
            (false, Mode::Enforce) => Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
        }
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

/// Settings of a [`ClientSession`].
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// The XMPP domain (reference identity).
    pub domain: String,
    /// `xmpp-client` or `xmpp-server`.
    pub service: Service,
    /// Trusted roots (DER). Empty: nothing is PKIX-trusted.
    pub roots: Vec<CertificateDer<'static>>,
    /// The policy the report is graded against (its `cn_fallback` applies).
    pub policy: Policy,
    /// XEP-0368 direct TLS: offer the ALPN id of the service.
    pub direct_tls: bool,
    /// Enforce or inspect.
    pub mode: Mode,
}

/// One TLS client connection to an XMPP server.
#[derive(Debug)]
pub struct ClientSession {
    conn: ClientConnection,
    verifier: Arc<XmppVerifier>,
    settings: ClientSettings,
    failure: Option<rustls::Error>,
}

impl ClientSession {
    /// A session ready to send its ClientHello (see [`ClientSession::write_tls`]).
    pub fn new(settings: ClientSettings) -> Result<Self, Error> {
        let provider = Arc::new(crate::provider::provider());
        let verifier = Arc::new(XmppVerifier::new(
            &settings.domain,
            settings.service,
            &settings.roots,
            settings.policy.cn_fallback,
            settings.mode,
        )?);
        // TLS 1.3, and TLS 1.2 too when the policy accepts it and the build
        // has it (feature `tls12`).
        let versions = if settings.policy.min_version >= TlsVersion::Tls13 {
            crate::xtls::tls::TLS13_ONLY
        } else {
            crate::xtls::tls::TLS12_AND_13
        };
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth();
        if settings.direct_tls {
            config.alpn_protocols = vec![starttls::alpn(settings.service).to_vec()];
        }
        let name = ServerName::try_from(settings.domain.clone())
            .map_err(|e| Error::Config(e.to_string()))?;
        let conn = ClientConnection::new(Arc::new(config), name)?;
        Ok(ClientSession {
            conn,
            verifier,
            settings,
            failure: None,
        })
    }

    /// Feeds bytes received from the server.
    pub fn read_tls(&mut self, mut data: &[u8]) -> Result<(), Error> {
        while !data.is_empty() {
            self.conn
                .read_tls(&mut data)
                .map_err(|e| Error::Tls(e.into()))?;
            if let Err(e) = self.conn.process_new_packets() {
                self.failure = Some(e.clone());
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// Appends bytes to send to the server; returns how many.
    pub fn write_tls(&mut self, out: &mut Vec<u8>) -> usize {
        let before = out.len();
        while self.conn.wants_write() {
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
        out.len() - before
    }

    /// The handshake is still running (and has not failed).
    pub fn is_handshaking(&self) -> bool {
        self.failure.is_none() && self.conn.is_handshaking()
    }

    /// The handshake or the connection failed.
    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// Queues application data (XML) to encrypt.
    pub fn write_plaintext(&mut self, data: &[u8]) -> Result<(), Error> {
        self.conn
            .writer()
            .write_all(data)
            .map_err(|e| Error::Tls(e.into()))
    }

    /// Moves decrypted application data into `out`.
    pub fn read_plaintext(&mut self, out: &mut Vec<u8>) -> Result<usize, Error> {
        match self.conn.reader().read_to_end(out) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(Error::Tls(e.into())),
        }
    }

    /// The ALPN protocol the server chose (direct TLS).
    pub fn alpn(&self) -> Option<&[u8]> {
        self.conn.alpn_protocol()
    }

    /// The report: what was negotiated and how the server fared, or why no
    /// TLS session could be made.
    pub fn report(&self) -> ConnectionReport {
        let checks = self
            .verifier
            .checks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let chain = checks.chain.clone().unwrap_or_default();
        let established = !self.conn.is_handshaking() && self.failure.is_none();
        let authenticated =
            established && checks.identity.is_some() && matches!(checks.pkix, Some(Ok(())));
        // Version, suite and group only for a handshake that completed: a
        // report must not say "TLSv1.3" next to "encrypted: false".
        let negotiated = Negotiated {
            encrypted: established,
            version: established
                .then(|| self.conn.protocol_version())
                .flatten()
                .and_then(|v| TlsVersion::from_code(u16::from(v))),
            suite: established
                .then(|| self.conn.negotiated_cipher_suite())
                .flatten()
                .map(|s| u16::from(s.suite())),
            kx_group: established
                .then(|| self.conn.negotiated_key_exchange_group())
                .flatten()
                .map(|g| crate::xtls::tls::group_name(g.name())),
            authentication: authenticated.then_some(AuthMethod::Pkix),
            peer_chain: chain,
            ..Negotiated::default()
        };
        let mut report = ConnectionReport::new(
            &self.settings.domain,
            &self.settings.policy,
            negotiated,
            checks.identity.clone(),
            None,
        );
        if let Some(Err(why)) = &checks.pkix {
            report.add_finding(crate::report::untrusted_chain(
                &why.to_string(),
                &self.settings.policy,
            ));
        }
        if checks.chain.is_some() && checks.identity.is_none() {
            report.add_finding(crate::report::identity_mismatch(
                &self.settings.domain,
                self.settings.service,
            ));
        }
        if let Some(e) = &self.failure {
            let weak_key = report
                .certificate
                .as_ref()
                .filter(|c| {
                    matches!(c.key_type.as_str(), "RSA" | "DSA")
                        && c.key_bits > 0
                        && c.key_bits < 2048
                })
                .map(|c| (c.key_type.clone(), c.key_bits));
            let (code, message) = match (e, weak_key) {
                // ring verifies no signature made with an RSA key under 2048
                // bits, so the handshake stops at the server's signature: the
                // key is the problem (weak-peer-key says so, with its own
                // cap), not the certificate's trust (issue 22 #4).
                (
                    rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                    Some((kind, bits)),
                ) => (
                    FindingCode::HandshakeFailed.as_str(),
                    format!(
                        "the TLS handshake failed: the server's signature with its {bits}-bit {kind} key cannot be verified (keys under 2048 bits are refused)"
                    ),
                ),
                (e, _) => describe_failure(e),
            };
            report.add_finding(finding(code, "RFC 7525 §3–4", message));
        }
        report
    }
}

fn finding(code: &'static str, rfc: &'static str, message: String) -> Finding {
    Finding {
        code,
        severity: Severity::Error,
        rfc,
        message,
    }
}

/// Names the handshake failures a checking tool meets.
fn describe_failure(e: &rustls::Error) -> (&'static str, String) {
    match e {
        rustls::Error::AlertReceived(AlertDescription::ProtocolVersion)
        | rustls::Error::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13) => (
            FindingCode::VersionUnsupported.as_str(),
            "the server speaks no TLS version we accept (TLS 1.2 or 1.3): it is limited to deprecated versions".into(),
        ),
        rustls::Error::AlertReceived(AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity)
        | rustls::Error::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon) => (
            FindingCode::SuiteUnsupported.as_str(),
            "the server offers no cipher suite we accept: none with forward secrecy and AEAD".into(),
        ),
        rustls::Error::InvalidCertificate(_) => (FindingCode::CertificateRejected.as_str(), format!("the handshake was stopped because the certificate is not trusted ({e})")),
        other => (FindingCode::HandshakeFailed.as_str(), format!("the TLS handshake failed: {other}")),
    }
}
