//! TLS policy for XMPP (RFC 7590, which pulls in RFC 7525 by reference):
//! what a connection must look like, graded by [`evaluate`] into a
//! [`Verdict`] with [`Finding`]s a person can read.
//!
//! ```
//! use xmpptls::policy::{evaluate, AuthMethod, FindingCode, Negotiated, Policy, TlsVersion, Verdict};
//! let n = Negotiated {
//!     encrypted: true,
//!     version: Some(TlsVersion::Tls12),
//!     suite: Some(0x000a), // TLS_RSA_WITH_3DES_EDE_CBC_SHA
//!     authentication: Some(AuthMethod::Pkix),
//!     ..Negotiated::default()
//! };
//! let e = evaluate(&Policy::strict(), &n);
//! assert_eq!(e.verdict, Verdict::Fail);
//! let forbidden = FindingCode::SuiteForbidden.as_str();
//! assert!(e.findings.iter().any(|f| f.code == forbidden));
//! ```

mod evaluate;
mod findings;
pub mod suites;

use std::fmt;

pub(crate) use evaluate::evaluate_with_certificate;
pub use evaluate::{evaluate, Evaluation, Finding, Negotiated, Severity, Verdict};
pub use findings::FindingCode;
use suites::Class;

/// A TLS (or SSL) protocol version, ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// SSL 2.0 (0x0200).
    Ssl2,
    /// SSL 3.0 (0x0300).
    Ssl3,
    /// TLS 1.0 (0x0301).
    Tls10,
    /// TLS 1.1 (0x0302).
    Tls11,
    /// TLS 1.2 (0x0303).
    Tls12,
    /// TLS 1.3 (0x0304).
    Tls13,
}

impl TlsVersion {
    /// From the wire code (`0x0303` for TLS 1.2).
    pub fn from_code(code: u16) -> Option<Self> {
        Some(match code {
            0x0002 | 0x0200 => TlsVersion::Ssl2,
            0x0300 => TlsVersion::Ssl3,
            0x0301 => TlsVersion::Tls10,
            0x0302 => TlsVersion::Tls11,
            0x0303 => TlsVersion::Tls12,
            0x0304 => TlsVersion::Tls13,
            _ => return None,
        })
    }

    /// From names as stacks print them: `TLSv1.2`, `TLS 1.2`, `tls1_2`, `SSLv3`.
    pub fn parse(name: &str) -> Option<Self> {
        let n: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match n.as_str() {
            "sslv2" | "ssl2" | "ssl20" => TlsVersion::Ssl2,
            "sslv3" | "ssl3" | "ssl30" => TlsVersion::Ssl3,
            "tlsv1" | "tlsv10" | "tls1" | "tls10" => TlsVersion::Tls10,
            "tlsv11" | "tls11" => TlsVersion::Tls11,
            "tlsv12" | "tls12" => TlsVersion::Tls12,
            "tlsv13" | "tls13" => TlsVersion::Tls13,
            _ => return None,
        })
    }

    /// `TLSv1.2` style name ([`Named`](crate::names::Named)'s table).
    pub fn as_str(self) -> &'static str {
        crate::names::Named::name(self)
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a peer was authenticated (RFC 7590 §3.4, RFC 7711, RFC 7673).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum AuthMethod {
    /// PKIX certificate chain and RFC 6125 identity.
    Pkix,
    /// DANE TLSA records.
    Dane,
    /// POSH document.
    Posh,
    /// A pinned key (configured or trust on first use).
    Pinned,
    /// Server Dialback (XEP-0220): DNS-based, not certificate-based.
    Dialback,
    /// The certificate hash announced in an XTLS XEP-0250 offer, which
    /// travels through the servers (as strong as they are).
    Offer,
}

impl AuthMethod {
    /// `pkix`, `dane`, `posh`, `pinned`, `dialback`, `offer`
    /// ([`Named`](crate::names::Named)'s table).
    pub fn as_str(self) -> &'static str {
        crate::names::Named::name(self)
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How TLS session resumption may be used (RFC 7525 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResumptionMode {
    /// Session IDs for TLS 1.2 (tickets are reported), TLS 1.3 PSK
    /// resumption: the IETF 88 XMPP recommendation. The default.
    SessionIdsOnly,
    /// Session tickets are acceptable too.
    TicketsAllowed,
    /// No resumption at all.
    Disabled,
}

/// What a connection must look like. Build one from a preset and change the
/// fields you need; every field is documented with its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// A name for reports (`strict`, `tls13-only`, `opportunistic-s2s`).
    pub name: String,
    /// Oldest acceptable version. Strict: TLS 1.2 (RFC 7525 §3.1.1).
    pub min_version: TlsVersion,
    /// Weakest acceptable suite class. Strict: recommended (forward
    /// secrecy + AEAD, RFC 7525 §4.2); not-recommended suites then fail.
    pub min_suite_class: Class,
    /// Code points accepted regardless of class (still never forbidden ones).
    pub allowed_suites: Vec<u16>,
    /// Code points refused regardless of class.
    pub denied_suites: Vec<u16>,
    /// Refuse unencrypted streams (RFC 7590 §3.1). Default true.
    pub require_encryption: bool,
    /// Refuse unauthenticated peers. True except for opportunistic s2s.
    pub require_authentication: bool,
    /// Authentication methods accepted.
    pub allowed_auth: Vec<AuthMethod>,
    /// Accept a CN-ID when a certificate has no usable SAN (RFC 6125 §6.4.4;
    /// RFC 9525 removed it). Default false.
    pub cn_fallback: bool,
    /// Session resumption (RFC 7525 §3.4).
    pub resumption: ResumptionMode,
    /// Smallest RSA/DSA key in bits (RFC 7525 §4.5: 2048).
    pub min_rsa_bits: u32,
    /// Smallest finite-field Diffie-Hellman group in bits (RFC 7525 §4.5: 2048).
    pub min_dh_bits: u32,
    /// Smallest elliptic-curve key or group in bits (RFC 7525 §4.5: 192;
    /// we default to 224, since every curve in use is at least that).
    pub min_ec_bits: u32,
    /// Refuse a classical-only key exchange (finding
    /// `classical-key-exchange` as an error rather than information).
    /// Default false in every preset, as of December 2026: classical ECDHE
    /// is unbroken and NIST IR 8547 deprecates it only after 2030 and
    /// disallows it after 2035, while most deployed XMPP servers (Debian
    /// 12's OpenSSL 3.0, for one) cannot yet negotiate a hybrid. A warning
    /// for every such server would teach operators to ignore warnings. The
    /// finding names the risk ("harvest now, decrypt later") either way;
    /// the default should become a warning as 2030 nears.
    pub require_post_quantum: bool,
    /// The certificate transparency log list (RFC 6962) the server check
    /// verifies SCTs against, under Chrome's CT policy
    /// ([`ct::policy`](crate::ct::policy)). `None` (every preset): CT is
    /// not checked, and a negotiation that brings SCTs is refused rather
    /// than graded without them. Shared: one list serves every check.
    pub ct_log_list: Option<std::sync::Arc<crate::ct::LogList>>,
}

impl Policy {
    /// The default: TLS 1.2+ with forward secrecy and AEAD, or TLS 1.3;
    /// peers authenticated by PKIX, DANE, POSH or a pin; no CN fallback;
    /// session IDs over tickets.
    pub fn strict() -> Self {
        Policy {
            name: "strict".into(),
            min_version: TlsVersion::Tls12,
            min_suite_class: Class::Recommended,
            allowed_suites: Vec::new(),
            denied_suites: Vec::new(),
            require_encryption: true,
            require_authentication: true,
            allowed_auth: vec![
                AuthMethod::Pkix,
                AuthMethod::Dane,
                AuthMethod::Posh,
                AuthMethod::Pinned,
            ],
            cn_fallback: false,
            resumption: ResumptionMode::SessionIdsOnly,
            min_rsa_bits: 2048,
            min_dh_bits: 2048,
            min_ec_bits: 224,
            require_post_quantum: false,
            ct_log_list: None,
        }
    }

    /// Reads a CT log list (Google's v3 JSON, e.g.
    /// `https://www.gstatic.com/ct/log_list/v3/log_list.json`) into
    /// [`ct_log_list`](Self::ct_log_list): from then on the server check
    /// verifies SCTs. A list that does not parse is
    /// [`Error::Config`](crate::Error::Config) and changes nothing.
    pub fn set_ct_log_list_json(&mut self, json: &str) -> Result<(), crate::Error> {
        let list =
            crate::ct::LogList::parse(json).map_err(|e| crate::Error::Config(e.to_string()))?;
        self.ct_log_list = Some(std::sync::Arc::new(list));
        Ok(())
    }

    /// Strict, also accepting the XTLS spec's own model of authenticating a
    /// peer by the certificate hash of its XEP-0250 offer. The default policy
    /// XTLS tunnels are reported against.
    pub fn xtls() -> Self {
        let mut p = Policy::strict();
        p.name = "xtls".into();
        p.allowed_auth.push(AuthMethod::Offer);
        p
    }

    /// Strict, and TLS 1.3 only.
    pub fn tls13_only() -> Self {
        Policy {
            name: "tls13-only".into(),
            min_version: TlsVersion::Tls13,
            ..Policy::strict()
        }
    }

    /// Server-to-server as deployed (RFC 7590 §3.4): encryption required,
    /// authentication may come from Server Dialback, which is reported as a
    /// warning rather than failing the connection; unauthenticated is a
    /// warning too.
    pub fn opportunistic_s2s() -> Self {
        let mut p = Policy::strict();
        p.name = "opportunistic-s2s".into();
        p.require_authentication = false;
        p.allowed_auth.push(AuthMethod::Dialback);
        p
    }
}

/// The policy presets ([`Policy`]'s constructors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum PolicyPreset {
    /// [`Policy::strict`].
    Strict,
    /// [`Policy::tls13_only`].
    Tls13Only,
    /// [`Policy::opportunistic_s2s`].
    OpportunisticS2s,
    /// [`Policy::xtls`].
    Xtls,
}

impl Policy {
    /// The policy of a preset.
    pub fn preset(preset: PolicyPreset) -> Self {
        use PolicyPreset as P;
        match preset {
            P::Strict => Policy::strict(),
            P::Tls13Only => Policy::tls13_only(),
            P::OpportunisticS2s => Policy::opportunistic_s2s(),
            P::Xtls => Policy::xtls(),
        }
    }

    /// Refuses the suite `code` whatever its class: it leaves
    /// `allowed_suites` and is listed once in `denied_suites`.
    pub fn deny_suite(&mut self, code: u16) {
        self.allowed_suites.retain(|s| *s != code);
        if !self.denied_suites.contains(&code) {
            self.denied_suites.push(code);
        }
    }

    /// Accepts the suite `code` although its class is below the minimum
    /// (never a forbidden one, RFC 7525 §4.1): it leaves `denied_suites`
    /// and is listed once in `allowed_suites`.
    pub fn allow_suite(&mut self, code: u16) {
        self.denied_suites.retain(|s| *s != code);
        if !self.allowed_suites.contains(&code) {
            self.allowed_suites.push(code);
        }
    }

    /// The accepted authentication methods, each once, in the order given.
    pub fn set_allowed_auth(&mut self, methods: &[AuthMethod]) {
        self.allowed_auth.clear();
        for m in methods {
            if !self.allowed_auth.contains(m) {
                self.allowed_auth.push(*m);
            }
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::strict()
    }
}

crate::names::named!(AuthMethod, "authentication method" {
    Pkix = 1, "pkix";
    Dane = 2, "dane";
    Posh = 3, "posh";
    Pinned = 4, "pinned";
    Dialback = 5, "dialback";
    Offer = 6, "offer";
});

crate::names::named!(PolicyPreset, "policy preset" {
    Strict = 0, "strict";
    Tls13Only = 1, "tls13-only";
    OpportunisticS2s = 2, "opportunistic-s2s";
    Xtls = 3, "xtls";
});

// Versions parse leniently, as stacks print them (`TLS 1.2`, `tls1_2`).
crate::names::named!(TlsVersion, "TLS version", parse = TlsVersion::parse {
    Ssl2 = 0x0200, "SSLv2";
    Ssl3 = 0x0300, "SSLv3";
    Tls10 = 0x0301, "TLSv1.0";
    Tls11 = 0x0302, "TLSv1.1";
    Tls12 = 0x0303, "TLSv1.2";
    Tls13 = 0x0304, "TLSv1.3";
});

#[cfg(test)]
mod tests;
