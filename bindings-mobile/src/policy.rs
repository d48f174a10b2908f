//! Grading TLS connections: the `Policy` object (presets and knobs,
//! RFC 7590 / RFC 7525), what the platform's TLS stack negotiated, and the
//! server check an app runs from its TLS callback.

use std::sync::{Arc, Mutex, PoisonError};

use xmpptls::api::{Named, Negotiation as CoreNegotiation, PolicyPreset as CorePreset};
use xmpptls::identity::Service as CoreService;
use xmpptls::policy::{
    suites, AuthMethod as CoreAuth, Negotiated, Policy as CorePolicy, TlsVersion,
};

use crate::error::XmppTlsError;
use crate::pins::PinStore;
use crate::report::Report;

/// The XMPP service a server is checked for (RFC 6120 §13.7.1.2: SRV-IDs
/// name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Service {
    /// Client-to-server (`_xmpp-client`).
    XmppClient,
    /// Server-to-server (`_xmpp-server`).
    XmppServer,
}

impl From<Service> for CoreService {
    fn from(s: Service) -> Self {
        match s {
            Service::XmppClient => CoreService::XmppClient,
            Service::XmppServer => CoreService::XmppServer,
        }
    }
}

/// How the app (or its platform) authenticated the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AuthMethod {
    /// PKIX chain to a trusted root (the platform's trust store).
    Pkix,
    /// DANE (RFC 7673).
    Dane,
    /// POSH (RFC 7711).
    Posh,
    /// A pinned key.
    Pinned,
    /// Server Dialback (XEP-0220), server-to-server only.
    Dialback,
    /// The certificate hash of an XTLS peer's XEP-0250 offer.
    Offer,
}

impl From<AuthMethod> for CoreAuth {
    fn from(a: AuthMethod) -> Self {
        match a {
            AuthMethod::Pkix => CoreAuth::Pkix,
            AuthMethod::Dane => CoreAuth::Dane,
            AuthMethod::Posh => CoreAuth::Posh,
            AuthMethod::Pinned => CoreAuth::Pinned,
            AuthMethod::Dialback => CoreAuth::Dialback,
            AuthMethod::Offer => CoreAuth::Offer,
        }
    }
}

/// What a TLS connection negotiated, as the platform reports it. On
/// Android: `SSLSession.protocol`, `.cipherSuite` and
/// `.peerCertificates[i].encoded`; on Apple: `sec_protocol_metadata`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Negotiation {
    /// TLS is in use (false: a plaintext stream, RFC 7590 §3.1).
    #[uniffi(default = true)]
    pub encrypted: bool,
    /// Version name as platforms print it: `TLSv1.3`, `TLSv1.2`, `TLS 1.2`.
    #[uniffi(default = None)]
    pub tls_version: Option<String>,
    /// Cipher suite by IANA, OpenSSL or rustls name.
    #[uniffi(default = None)]
    pub cipher_suite: Option<String>,
    /// Key exchange group, e.g. `X25519`.
    #[uniffi(default = None)]
    pub kx_group: Option<String>,
    /// The session was resumed.
    #[uniffi(default = false)]
    pub resumed: bool,
    /// How the peer was authenticated (`null`: not at all).
    #[uniffi(default = None)]
    pub authentication: Option<AuthMethod>,
    /// The peer's chain, DER, end entity first.
    #[uniffi(default = [])]
    pub peer_chain: Vec<Vec<u8>>,
}

impl Negotiation {
    /// The core's form; unknown version or suite names are errors (501),
    /// so a typo never grades as "not reported".
    fn to_core(&self) -> Result<Negotiated, XmppTlsError> {
        let names = CoreNegotiation {
            encrypted: self.encrypted,
            tls_version: self.tls_version.clone(),
            cipher_suite: self.cipher_suite.clone(),
            kx_group: self.kx_group.clone(),
            resumed: self.resumed,
            authentication: self
                .authentication
                .map(|a| CoreAuth::from(a).name().to_owned()),
            peer_chain: self.peer_chain.clone(),
        };
        Ok(Negotiated::try_from(&names)?)
    }
}

/// Policy presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PolicyPreset {
    /// TLS 1.2+ with forward secrecy and AEAD, or TLS 1.3; authenticated.
    Strict,
    /// TLS 1.3 only.
    Tls13Only,
    /// Server-to-server where dialback is accepted (RFC 7590 §3.4).
    OpportunisticS2s,
    /// What XTLS tunnels require.
    Xtls,
}

/// What a connection must look like (RFC 7590, RFC 7525): a preset with
/// knobs. Safe to share between threads.
#[derive(uniffi::Object)]
pub struct Policy {
    inner: Mutex<CorePolicy>,
}

impl Policy {
    fn get(&self) -> CorePolicy {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn change(&self, f: impl FnOnce(&mut CorePolicy)) {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[uniffi::export]
impl Policy {
    /// A policy from a preset.
    #[uniffi::constructor]
    pub fn new(preset: PolicyPreset) -> Arc<Self> {
        let preset = match preset {
            PolicyPreset::Strict => CorePreset::Strict,
            PolicyPreset::Tls13Only => CorePreset::Tls13Only,
            PolicyPreset::OpportunisticS2s => CorePreset::OpportunisticS2s,
            PolicyPreset::Xtls => CorePreset::Xtls,
        };
        Arc::new(Policy {
            inner: Mutex::new(CorePolicy::preset(preset)),
        })
    }

    /// The name reports carry (`strict`, `tls13-only`, …).
    pub fn name(&self) -> String {
        self.get().name
    }

    /// The oldest acceptable version (`TLSv1.2`, `TLSv1.3`; RFC 7525 §3.1.1).
    pub fn set_min_version(&self, version: String) -> Result<(), XmppTlsError> {
        let v = TlsVersion::parse_or_err(&version)?;
        self.change(|p| p.min_version = v);
        Ok(())
    }

    /// Whether unauthenticated peers fail.
    pub fn set_require_authentication(&self, required: bool) {
        self.change(|p| p.require_authentication = required);
    }

    /// Whether plaintext streams fail (RFC 7590 §3.1).
    pub fn set_require_encryption(&self, required: bool) {
        self.change(|p| p.require_encryption = required);
    }

    /// The authentication methods accepted, each once.
    pub fn set_allowed_auth(&self, methods: Vec<AuthMethod>) {
        let methods: Vec<CoreAuth> = methods.into_iter().map(CoreAuth::from).collect();
        self.change(|p| p.set_allowed_auth(&methods));
    }

    /// Smallest acceptable keys in bits: RSA/DSA, finite-field DH, elliptic
    /// curve (RFC 7525 §4.5).
    pub fn set_min_key_bits(&self, rsa: u32, dh: u32, ec: u32) {
        self.change(|p| (p.min_rsa_bits, p.min_dh_bits, p.min_ec_bits) = (rsa, dh, ec));
    }

    /// Accepts a certificate's CN when it has no usable SAN (RFC 6125
    /// §6.4.4; RFC 9525 removed this): used by `checkServer`.
    pub fn set_cn_fallback(&self, allow: bool) {
        self.change(|p| p.cn_fallback = allow);
    }

    /// Refuses a cipher suite (IANA, OpenSSL or rustls name) whatever its
    /// class; listed once, and no longer allowed.
    pub fn deny_suite(&self, name: String) -> Result<(), XmppTlsError> {
        let code = suites::code_by_any_name(&name)?;
        self.change(|p| p.deny_suite(code));
        Ok(())
    }

    /// Accepts a suite below the minimum class (never a forbidden one).
    pub fn allow_suite(&self, name: String) -> Result<(), XmppTlsError> {
        let code = suites::code_by_any_name(&name)?;
        self.change(|p| p.allow_suite(code));
        Ok(())
    }

    /// Grades what a connection to `peer` negotiated.
    pub fn evaluate(&self, peer: String, negotiated: Negotiation) -> Result<Report, XmppTlsError> {
        let n = negotiated.to_core()?;
        let r = xmpptls::ConnectionReport::new(&peer, &self.get(), n, None, None);
        Ok(Report::from(&r))
    }

    /// The check from the platform's TLS callback: the certificate must
    /// name `domain` for `service` (DNS-ID, SRV-ID or XmppAddr, RFC 6125 /
    /// RFC 6120 §13.7.1.2); the server's key is compared with `pins` and
    /// pinned on first use; everything is graded by this policy. Show the
    /// report's `text` and refuse the connection on `Verdict.FAIL`.
    pub fn check_server(
        &self,
        domain: String,
        service: Service,
        negotiated: Negotiation,
        pins: Option<Arc<PinStore>>,
    ) -> Result<Report, XmppTlsError> {
        let n = negotiated.to_core()?;
        let policy = self.get();
        let check = |storage: Option<&mut dyn xmpptls::PinStorage>| {
            xmpptls::server_check::check_server(&domain, service.into(), &policy, n, storage)
        };
        let report = match pins {
            Some(p) => p.with(|s| check(Some(s))),
            None => check(None),
        }?;
        Ok(Report::from(&report))
    }
}
