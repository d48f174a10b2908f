//! Grading TLS connections: the `Policy` object (presets and knobs,
//! RFC 7590 / RFC 7525), what the platform's TLS stack negotiated
//! (`Negotiation`, by the names stacks print), and the server check an app
//! runs from its TLS callback. The small types are the core facade's.

use std::sync::{Arc, Mutex, PoisonError};

use xmpptls::api::{Named, Negotiation, PolicyPreset, ReportSummary};
use xmpptls::identity::Service;
use xmpptls::policy::{suites, AuthMethod, Policy as CorePolicy, TlsVersion};

use crate::error::XmppTlsError;
use crate::pins::PinStore;

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
        self.change(|p| p.set_allowed_auth(&methods));
    }

    /// Smallest acceptable keys in bits: RSA/DSA, finite-field DH, elliptic
    /// curve (RFC 7525 §4.5).
    pub fn set_min_key_bits(&self, rsa: u32, dh: u32, ec: u32) {
        self.change(|p| (p.min_rsa_bits, p.min_dh_bits, p.min_ec_bits) = (rsa, dh, ec));
    }

    /// Whether a classical-only key exchange fails (finding
    /// `classical-key-exchange` as an error; information by default).
    pub fn set_require_post_quantum(&self, required: bool) {
        self.change(|p| p.require_post_quantum = required);
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

    /// Checks certificate transparency (RFC 6962) from now on, against this
    /// log list (Google's v3 JSON): `evaluate` and `check_server` then need
    /// the negotiation's `time`, and take its `sct_list` and
    /// `ocsp_response`.
    pub fn set_ct_log_list(&self, json: String) -> Result<(), XmppTlsError> {
        let mut result = Ok(());
        self.change(|p| result = p.set_ct_log_list_json(&json));
        Ok(result?)
    }

    /// Grades what a connection to `peer` negotiated.
    pub fn evaluate(
        &self,
        peer: String,
        negotiated: Negotiation,
    ) -> Result<ReportSummary, XmppTlsError> {
        let (n, evidence) = negotiated.parts()?;
        let r = xmpptls::server_check::evaluate(&peer, &self.get(), n, &evidence)?;
        Ok(ReportSummary::from(&r))
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
    ) -> Result<ReportSummary, XmppTlsError> {
        let (n, evidence) = negotiated.parts()?;
        let policy = self.get();
        let check = |storage: Option<&mut dyn xmpptls::PinStorage>| {
            xmpptls::server_check::check_server(&domain, service, &policy, n, &evidence, storage)
        };
        let report = match pins {
            Some(p) => p.shared.with(|s| check(Some(s))),
            None => check(None),
        }?;
        Ok(ReportSummary::from(&report))
    }
}
