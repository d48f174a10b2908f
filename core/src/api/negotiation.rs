//! What a platform's TLS stack negotiated, by the names stacks print
//! (Android's `SSLSession`, Apple's `sec_protocol_metadata`, OpenSSL,
//! a browser): the one parser behind every binding's `evaluate` and
//! `checkServer` (RFC 7590 §3.6).

use rustls_pki_types::{CertificateDer, UnixTime};

use super::names::Named;
use crate::error::Error;
use crate::policy::{suites, AuthMethod, Negotiated, TlsVersion};
use crate::server_check::CtEvidence;

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
    /// Size of the key exchange in bits (finite-field DH modulus or curve):
    /// graded as weak DH below 2048, weak ECDH below 224 (RFC 7525 §4.3).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub kx_bits: Option<u32>,
    /// The peer's public key algorithm (`RSA`, `DSA`, `ECDSA`, `Ed25519`);
    /// `None`: read from `peer_chain`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub peer_key_type: Option<String>,
    /// The peer's public key size in bits, graded with `peer_key_type`
    /// (RFC 7525 §4.5); `None`: read from `peer_chain`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub peer_key_bits: Option<u32>,
    /// TLS-level compression was negotiated (CRIME; RFC 7525 §3.3).
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub compression: bool,
    /// The session was resumed.
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub resumed: bool,
    /// Resumption used a session ticket (RFC 5077) rather than an ID.
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub ticket: bool,
    /// Extended master secret (RFC 7627) in TLS 1.2; `None`: not reported.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub extended_master_secret: Option<bool>,
    /// How the peer was authenticated; `None`: not at all.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub authentication: Option<AuthMethod>,
    /// The peer's chain, DER, end entity first.
    #[cfg_attr(feature = "uniffi", uniffi(default = []))]
    pub peer_chain: Vec<Vec<u8>>,
    /// The SCT list of the TLS `signed_certificate_timestamp` extension,
    /// as the server sent it (RFC 6962 §3.3); checked when the policy has a
    /// CT log list, refused when it has none.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub sct_list: Option<Vec<u8>>,
    /// The stapled OCSP response, DER (RFC 6960): its SCTs, as `sct_list`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub ocsp_response: Option<Vec<u8>>,
    /// When the connection was made, seconds since the Unix epoch: needed
    /// when the policy checks certificate transparency (the core reads no
    /// clock).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub time: Option<u64>,
}

impl Negotiation {
    /// Every field's name (snake_case), for bindings that take a
    /// negotiation by name (the npm package): a name not listed is an error
    /// there, never a fact silently left out of the grade.
    pub const FIELDS: &'static [&'static str] = &[
        "encrypted",
        "tls_version",
        "cipher_suite",
        "kx_group",
        "kx_bits",
        "peer_key_type",
        "peer_key_bits",
        "compression",
        "resumed",
        "ticket",
        "extended_master_secret",
        "authentication",
        "peer_chain",
        "sct_list",
        "ocsp_response",
        "time",
    ];

    /// What the core grades: the negotiation, and the certificate
    /// transparency evidence beside it. The one conversion every binding's
    /// `evaluate` and `checkServer` make.
    pub fn parts(&self) -> Result<(Negotiated, CtEvidence), Error> {
        Ok((Negotiated::try_from(self)?, self.ct_evidence()))
    }

    /// The certificate transparency evidence it carries.
    fn ct_evidence(&self) -> CtEvidence {
        CtEvidence {
            sct_list: self.sct_list.clone(),
            ocsp_response: self.ocsp_response.clone(),
            time: self
                .time
                .map(|t| UnixTime::since_unix_epoch(std::time::Duration::from_secs(t))),
        }
    }
}

impl Default for Negotiation {
    fn default() -> Self {
        Negotiation {
            encrypted: true,
            tls_version: None,
            cipher_suite: None,
            kx_group: None,
            kx_bits: None,
            peer_key_type: None,
            peer_key_bits: None,
            compression: false,
            ticket: false,
            extended_master_secret: None,
            resumed: false,
            authentication: None,
            peer_chain: Vec::new(),
            sct_list: None,
            ocsp_response: None,
            time: None,
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
            kx_bits: n.kx_bits,
            peer_key_type: n.peer_key_type.clone(),
            peer_key_bits: n.peer_key_bits,
            compression: n.compression,
            resumed: n.resumed,
            ticket: n.ticket,
            extended_master_secret: n.extended_master_secret,
            authentication: n.authentication,
            peer_chain: n
                .peer_chain
                .iter()
                .map(|c| CertificateDer::from(c.clone()))
                .collect(),
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
    fn field_names_are_every_field() {
        // A new field breaks this destructuring: add it to FIELDS too.
        let Negotiation {
            encrypted: _,
            tls_version: _,
            cipher_suite: _,
            kx_group: _,
            kx_bits: _,
            peer_key_type: _,
            peer_key_bits: _,
            compression: _,
            resumed: _,
            ticket: _,
            extended_master_secret: _,
            authentication: _,
            peer_chain: _,
            sct_list: _,
            ocsp_response: _,
            time: _,
        } = Negotiation::default();
        assert_eq!(Negotiation::FIELDS.len(), 16);
    }

    #[test]
    fn every_fact_reaches_the_grade() {
        let n = Negotiation {
            tls_version: Some("TLSv1.2".into()),
            cipher_suite: Some("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384".into()),
            kx_bits: Some(1024),
            peer_key_bits: Some(4096),
            compression: true,
            resumed: true,
            ticket: true,
            extended_master_secret: Some(false),
            ..Negotiation::default()
        };
        let core = Negotiated::try_from(&n).unwrap();
        assert_eq!((core.kx_bits, core.peer_key_bits), (Some(1024), Some(4096)));
        assert!(core.compression && core.ticket && core.resumed);
        assert_eq!(core.extended_master_secret, Some(false));
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
