//! What a platform's TLS stack negotiated, by the names stacks print
//! (Android's `SSLSession`, Apple's `sec_protocol_metadata`, OpenSSL,
//! a browser): the one parser behind every binding's `evaluate` and
//! `checkServer` (RFC 7590 §3.6).

use rustls_pki_types::CertificateDer;

use super::names::Named;
use crate::error::Error;
use crate::policy::{suites, AuthMethod, Negotiated, TlsVersion};

/// A negotiation by names. Unknown names are
/// [`Error::UnknownName`] (501), so a typo never grades as "not reported".
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Negotiation {
    /// TLS is in use (false: a plaintext stream, RFC 7590 §3.1). Default true.
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub encrypted: bool,
    /// `TLSv1.3`, `TLSv1.2`, `TLS 1.2`, `tls1_2`, `SSLv3`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub tls_version: Option<String>,
    /// The suite by IANA, rustls or OpenSSL name.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub cipher_suite: Option<String>,
    /// Key exchange group, e.g. `X25519`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub kx_group: Option<String>,
    /// The session was resumed.
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub resumed: bool,
    /// How the peer was authenticated; `None`: not at all.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub authentication: Option<AuthMethod>,
    /// The peer's chain, DER, end entity first.
    #[cfg_attr(feature = "uniffi", uniffi(default = []))]
    pub peer_chain: Vec<Vec<u8>>,
}

impl Default for Negotiation {
    fn default() -> Self {
        Negotiation {
            encrypted: true,
            tls_version: None,
            cipher_suite: None,
            kx_group: None,
            resumed: false,
            authentication: None,
            peer_chain: Vec::new(),
        }
    }
}

impl TryFrom<&Negotiation> for Negotiated {
    type Error = Error;

    fn try_from(n: &Negotiation) -> Result<Self, Error> {
        Ok(Negotiated {
            encrypted: n.encrypted,
            version: n
                .tls_version
                .as_deref()
                .map(TlsVersion::parse_or_err)
                .transpose()?,
            suite: n
                .cipher_suite
                .as_deref()
                .map(suites::code_by_any_name)
                .transpose()?,
            kx_group: n.kx_group.clone(),
            resumed: n.resumed,
            authentication: n.authentication,
            peer_chain: n
                .peer_chain
                .iter()
                .map(|c| CertificateDer::from(c.clone()))
                .collect(),
            ..Negotiated::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_the_core_form() {
        let n = Negotiation {
            tls_version: Some("TLS 1.2".into()),
            cipher_suite: Some("ECDHE-RSA-AES128-GCM-SHA256".into()),
            authentication: Some(AuthMethod::Posh),
            ..Negotiation::default()
        };
        let core = Negotiated::try_from(&n).unwrap();
        assert_eq!(core.version, Some(TlsVersion::Tls12));
        assert_eq!(core.suite, Some(0xc02f));
        assert_eq!(core.authentication, Some(AuthMethod::Posh));
        assert!(core.encrypted);
    }

    #[test]
    fn unknown_names_are_typed_errors() {
        for n in [
            Negotiation {
                tls_version: Some("TLSv9".into()),
                ..Negotiation::default()
            },
            Negotiation {
                cipher_suite: Some("TLS_NOPE".into()),
                ..Negotiation::default()
            },
        ] {
            let e = Negotiated::try_from(&n).unwrap_err();
            assert_eq!(e.code(), 501, "{e}");
        }
    }
}
