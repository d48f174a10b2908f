//! The identifiers a certificate presents (RFC 6125 §1.8, RFC 6120 §13.7.1.4).

use rustls_pki_types::CertificateDer;

use super::der::{tag, Tlv};
use super::x509::GeneralName;

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

/// The text of an otherName value: a UTF8String or an IA5String (XmppAddr
/// is a UTF8String, RFC 6120 §13.7.1.4; SRVName an IA5String, RFC 4985;
/// certificates in the field use either). An IA5String must be ASCII, and
/// with `ascii_only` (SRVName: internationalized names as A-labels, RFC 4985
/// §2) so must any value: raw UTF-8 there names nothing.
fn other_name_text(value: &Tlv<'_>, ascii_only: bool) -> Option<String> {
    match value.tag {
        tag::UTF8_STRING | tag::IA5_STRING => super::x509::text(value)
            .filter(|t| !ascii_only || t.is_ascii())
            .map(str::to_owned),
        _ => None,
    }
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
    /// Every identifier with its kind, for people (RFC 6125 §6 names them):
    /// `XmppAddr a@example.net`, `SRV-ID _xmpp-client.example.net`,
    /// `DNS example.net`, `CN example.net`; what reports show beside an
    /// identity mismatch.
    pub fn labelled(&self) -> Vec<String> {
        let kinds: [(&str, &Vec<String>); 4] = [
            ("XmppAddr", &self.xmpp_addr),
            ("SRV-ID", &self.srv),
            ("DNS", &self.dns),
            ("CN", &self.cn),
        ];
        kinds
            .iter()
            .flat_map(|(kind, names)| names.iter().map(move |n| format!("{kind} {n}")))
            .collect()
    }

    /// Reads the identifiers of a DER certificate.
    pub fn from_der(cert: &CertificateDer<'_>) -> Result<Self, TrustError> {
        let c = super::x509::parse(cert.as_ref()).map_err(TrustError::BadCertificate)?;
        Self::from_certificate(&c)
    }

    /// The identifiers of a certificate already decoded.
    pub(crate) fn from_certificate(c: &super::x509::Certificate<'_>) -> Result<Self, TrustError> {
        let mut ids = PresentedIds::default();
        for name in super::x509::subject_alt_names(c).map_err(TrustError::BadCertificate)? {
            match name {
                GeneralName::Dns(d) => ids.dns.push(d.to_owned()),
                GeneralName::Uri(u) => ids.uri.push(u.to_owned()),
                GeneralName::Ip(ip) => ids.ip.push(ip_text(ip)),
                GeneralName::Other { type_id, value } => match type_id.as_slice() {
                    a if a == OID_XMPP_ADDR => ids.xmpp_addr.extend(other_name_text(&value, false)),
                    a if a == OID_SRV_NAME => ids.srv.extend(other_name_text(&value, true)),
                    _ => {}
                },
                GeneralName::Other5280 => {}
            }
        }
        ids.cn = super::x509::attribute_texts(&c.subject, super::x509::OID_CN)
            .map(str::to_owned)
            .collect();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::der;

    /// An SRVName is ASCII (RFC 4985 §2: A-labels): raw UTF-8 in an
    /// IA5String, or in a UTF8String SRVName, names nothing; an ASCII one
    /// of either string type does. An XmppAddr may hold UTF-8.
    #[test]
    fn srv_names_must_be_ascii() {
        let any = |tag, v: &'static [u8]| Tlv {
            tag,
            value: v,
            whole: &[],
        };
        let raw = "_xmpp-client.b\u{fc}cher.example".as_bytes();
        assert_eq!(other_name_text(&any(tag::IA5_STRING, raw), true), None);
        assert_eq!(other_name_text(&any(tag::UTF8_STRING, raw), true), None);
        let ace = b"_xmpp-client.xn--bcher-kva.example";
        for t in [tag::IA5_STRING, tag::UTF8_STRING] {
            assert_eq!(
                other_name_text(&any(t, ace), true).as_deref(),
                Some("_xmpp-client.xn--bcher-kva.example")
            );
        }
        let jid = "juliet@b\u{fc}cher.example".as_bytes();
        assert!(other_name_text(&any(tag::UTF8_STRING, jid), false).is_some());
        assert_eq!(
            other_name_text(&any(tag::IA5_STRING, jid), false),
            None,
            "IA5 is ASCII"
        );
    }

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
        let any = |d: &'static [u8]| der::one(d).unwrap();
        assert_eq!(
            other_name_text(&any(&[0x0c, 2, b'h', b'i']), false),
            Some("hi".into())
        );
        assert_eq!(
            other_name_text(&any(&[0x16, 2, b'h', b'i']), true),
            Some("hi".into())
        );
        assert_eq!(
            other_name_text(&any(&[0x13, 2, b'h', b'i']), false),
            None,
            "PrintableString"
        );
        assert_eq!(other_name_text(&any(&[0x02, 1, 1]), false), None);
        assert_eq!(
            other_name_text(&any(&[0x0c, 1, 0xff]), false),
            None,
            "not UTF-8"
        );
    }
}
