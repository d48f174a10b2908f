//! The identifiers a certificate presents (RFC 6125 §1.8, RFC 6120 §13.7.1.4).

use rustls_pki_types::CertificateDer;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::TrustError;

/// `id-on-xmppAddr` (RFC 6120 §13.7.1.4): otherName carrying a JID as UTF8String.
pub const OID_XMPP_ADDR: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 8, 5];
/// `id-on-dnsSRV` (RFC 4985): otherName carrying `_service.domain` as IA5String.
pub const OID_SRV_NAME: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 8, 7];

/// Identifiers found in a certificate's subjectAltName and subject.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PresentedIds {
    /// dNSName entries (DNS-ID).
    pub dns: Vec<String>,
    /// SRVName otherNames (SRV-ID), e.g. `_xmpp-client.example.net`.
    pub srv: Vec<String>,
    /// XmppAddr otherNames.
    pub xmpp_addr: Vec<String>,
    /// uniformResourceIdentifier entries (URI-ID; never match a domain).
    pub uri: Vec<String>,
    /// iPAddress entries, as text.
    pub ip: Vec<String>,
    /// Subject common names (CN-ID, used only where policy allows).
    pub cn: Vec<String>,
}

/// Unwraps the otherName value: an optional `[0] EXPLICIT` wrapper around a
/// UTF8String or IA5String, as x509-parser hands it over.
fn other_name_string(mut der: &[u8]) -> Option<String> {
    for _ in 0..2 {
        let (&tag, rest) = der.split_first()?;
        let (&len0, rest) = rest.split_first()?;
        let (len, rest) = if len0 < 0x80 {
            (usize::from(len0), rest)
        } else {
            let n = usize::from(len0 & 0x7f);
            if n == 0 || n > 3 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |a, &b| (a << 8) | usize::from(b));
            (len, &rest[n..])
        };
        let body = rest.get(..len)?;
        match tag {
            0xa0 => der = body,
            0x0c | 0x16 => return String::from_utf8(body.to_vec()).ok(),
            _ => return None,
        }
    }
    None
}

/// An iPAddress SAN as text (4 or 16 octets; anything else as hex).
fn ip_text(octets: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(octets) {
        std::net::Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(octets) {
        std::net::Ipv6Addr::from(v6).to_string()
    } else {
        crate::identity::hex(octets)
    }
}

impl PresentedIds {
    /// Reads the identifiers of a DER certificate.
    pub fn from_der(cert: &CertificateDer<'_>) -> Result<Self, TrustError> {
        let (_, c) = X509Certificate::from_der(cert.as_ref())
            .map_err(|e| TrustError::BadCertificate(e.to_string()))?;
        let mut ids = PresentedIds::default();
        let san = c
            .subject_alternative_name()
            .map_err(|e| TrustError::BadCertificate(e.to_string()))?;
        if let Some(san) = san {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(d) => ids.dns.push((*d).to_owned()),
                    GeneralName::URI(u) => ids.uri.push((*u).to_owned()),
                    GeneralName::IPAddress(ip) => ids.ip.push(ip_text(ip)),
                    GeneralName::OtherName(oid, value) => {
                        let arcs: Option<Vec<u64>> = oid.iter().map(|i| i.collect());
                        let Some(s) = other_name_string(value) else {
                            continue;
                        };
                        match arcs.as_deref() {
                            Some(a) if a == OID_XMPP_ADDR => ids.xmpp_addr.push(s),
                            Some(a) if a == OID_SRV_NAME => ids.srv.push(s),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        }
        for cn in c.subject().iter_common_name() {
            if let Ok(s) = cn.as_str() {
                ids.cn.push(s.to_owned());
            }
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_addresses_as_text() {
        assert_eq!(ip_text(&[192, 0, 2, 1]), "192.0.2.1");
        let mut v6 = [0u8; 16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = 0xb8;
        v6[15] = 1;
        assert_eq!(ip_text(&v6), "2001:db8::1");
        assert_eq!(ip_text(&[1, 2, 3]), "010203");
    }

    #[test]
    fn other_name_forms() {
        assert_eq!(other_name_string(&[0x0c, 2, b'h', b'i']), Some("hi".into()));
        assert_eq!(
            other_name_string(&[0xa0, 4, 0x16, 2, b'h', b'i']),
            Some("hi".into())
        );
        assert_eq!(other_name_string(&[0x0c, 5, b'h']), None);
        assert_eq!(other_name_string(&[0x02, 1, 1]), None);
        assert_eq!(other_name_string(&[0xa0, 2, 0xa0, 0]), None);
    }
}
