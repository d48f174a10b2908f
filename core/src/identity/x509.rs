//! The one place certificates are decoded for reading (x509-cert, RustCrypto
//! formats): identifiers, names, validity, key and signature algorithms.
//!
//! Path validation is rustls-webpki's, which is strict about every field.
//! Reading for reports and identity matching is lenient where RFC 5280 is
//! strict but harmless (x509-cert's `Raw` profile: long or negative serial
//! numbers, time encodings), so that a report can still describe an odd
//! certificate. x509-cert decodes only the extensions asked for: the
//! three used here are subjectAltName, nameConstraints and
//! basicConstraints.

use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Any, Decode, Encode, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, NameConstraints, SubjectAltName};
use x509_cert::name::Name;
use x509_cert::time::Time;

/// `id-at-commonName` (X.520; RFC 4519 §2.3), evaluated at compile time.
pub(crate) const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// A decoded certificate.
pub(crate) type Certificate = CertificateInner<Raw>;

/// The certificate in `der` (exactly one, no trailing octets).
pub(crate) fn parse(der: &[u8]) -> Result<Certificate, String> {
    Certificate::from_der(der).map_err(|e| format!("malformed certificate: {e}"))
}

/// The subjectAltName entries (RFC 5280 §4.2.1.6); none when absent. Two
/// subjectAltName extensions, or a malformed one, are an error.
pub(crate) fn subject_alt_names(cert: &Certificate) -> Result<Vec<GeneralName>, String> {
    match cert.tbs_certificate().get_extension::<SubjectAltName>() {
        Ok(Some((_, san))) => Ok(san.0),
        Ok(None) => Ok(Vec::new()),
        Err(e) => Err(format!("malformed subjectAltName: {e}")),
    }
}

/// nameConstraints (RFC 5280 §4.2.1.10).
pub(crate) fn name_constraints(cert: &Certificate) -> Result<Option<NameConstraints>, String> {
    cert.tbs_certificate()
        .get_extension::<NameConstraints>()
        .map(|found| found.map(|(_, nc)| nc))
        .map_err(|e| format!("malformed nameConstraints: {e}"))
}

/// Whether basicConstraints says cA (RFC 5280 §4.2.1.9).
pub(crate) fn is_ca(cert: &Certificate) -> bool {
    matches!(
        cert.tbs_certificate().get_extension::<BasicConstraints>(),
        Ok(Some((_, BasicConstraints { ca: true, .. })))
    )
}

/// The text of a directory string or otherName value: UTF8String,
/// PrintableString, IA5String or NumericString (what XmppAddr, SRVName,
/// CN and the like use); `None` for other types.
/// IA5String, PrintableString and NumericString are 7-bit (X.680 §41):
/// one with other octets is malformed, not UTF-8 to be read as such.
pub(crate) fn text(value: &Any) -> Option<&str> {
    match value.tag() {
        Tag::Utf8String => std::str::from_utf8(value.value()).ok(),
        Tag::PrintableString | Tag::Ia5String | Tag::NumericString => {
            let v = value.value();
            v.is_ascii().then(|| std::str::from_utf8(v).ok()).flatten()
        }
        _ => None,
    }
}

/// The values of one attribute type in a name, in order (e.g. CN, 2.5.4.3).
pub(crate) fn attribute_texts<'a>(
    name: &'a Name,
    oid: &'a ObjectIdentifier,
) -> impl Iterator<Item = &'a str> + 'a {
    name.iter()
        .filter(move |atv| atv.oid == *oid)
        .filter_map(|atv| text(&atv.value))
}

/// The complete DER (tag, length, value) of `value`, for RFC 4514's `#hex`.
pub(crate) fn der_of(value: &Any) -> Vec<u8> {
    value.to_der().unwrap_or_default()
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_seconds(t: &Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

/// RFC 3339 §5.6, UTC (`2026-01-31T12:00:00Z`).
pub(crate) fn rfc3339(t: &Time) -> String {
    let d = t.to_date_time();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minutes(),
        d.seconds()
    )
}

/// The modulus size in bits of a DER RSAPublicKey (RFC 8017 §A.1.1).
pub(crate) fn rsa_modulus_bits(key: &[u8]) -> Option<u32> {
    let parts = Vec::<Any>::from_der(key).ok()?;
    let modulus = parts.first().filter(|m| m.tag() == Tag::Integer)?.value();
    let digits = match modulus.iter().position(|b| *b != 0) {
        Some(i) => &modulus[i..],
        None => return Some(0),
    };
    let top = digits.first().map_or(0, |b| 8 - b.leading_zeros());
    u32::try_from(digits.len().saturating_sub(1) * 8)
        .ok()
        .map(|bits| bits + top)
}

/// The hash OID of RSASSA-PSS parameters (RFC 4055 §3.1: `[0]
/// hashAlgorithm`, SHA-1 when absent).
pub(crate) fn pss_hash_oid(params: Option<&Any>) -> Option<String> {
    const SHA1: &str = "1.3.14.3.2.26";
    let Some(params) = params else {
        return Some(SHA1.to_owned());
    };
    let fields = Vec::<Any>::from_der(&params.to_der().ok()?).ok()?;
    let hash = fields
        .iter()
        .find(|f| matches!(f.tag(), Tag::ContextSpecific { number, .. } if number.value() == 0));
    match hash {
        None => Some(SHA1.to_owned()),
        Some(h) => {
            let alg = x509_cert::spki::AlgorithmIdentifierOwned::from_der(h.value()).ok()?;
            Some(alg.oid.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints as Bc, CertificateParams, GeneralSubtree, IsCa, KeyPair,
        NameConstraints as Nc, SanType,
    };

    #[test]
    fn the_three_extensions_are_read_on_demand() {
        let mut p = CertificateParams::new(vec!["xmpp.example".to_owned()]).unwrap();
        p.subject_alt_names
            .push(SanType::URI("xmpp:a@b".try_into().unwrap()));
        p.is_ca = IsCa::Ca(Bc::Unconstrained);
        p.name_constraints = Some(Nc {
            permitted_subtrees: vec![GeneralSubtree::DnsName("example".into())],
            excluded_subtrees: vec![],
        });
        let der = p.self_signed(&KeyPair::generate().unwrap()).unwrap();
        let c = parse(der.der()).unwrap();
        assert!(is_ca(&c));
        assert_eq!(subject_alt_names(&c).unwrap().len(), 2);
        let nc = name_constraints(&c).unwrap().unwrap();
        assert_eq!(nc.permitted_subtrees.map(|s| s.len()), Some(1));

        let leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
        let der = leaf.self_signed(&KeyPair::generate().unwrap()).unwrap();
        let c = parse(der.der()).unwrap();
        assert!(!is_ca(&c));
        assert!(subject_alt_names(&c).unwrap().is_empty());
        assert!(name_constraints(&c).unwrap().is_none());
        assert!(parse(&[0x30, 0x03, 1, 2, 3]).is_err());
        let mut trailing = der.der().to_vec();
        trailing.push(0);
        assert!(
            parse(&trailing).is_err(),
            "one certificate, nothing after it"
        );
    }

    #[test]
    fn rsa_modulus_and_pss_hash() {
        // SEQUENCE { INTEGER 0x00C5 (8 bits after the sign octet), INTEGER 3 }
        assert_eq!(
            rsa_modulus_bits(&[0x30, 0x07, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x01, 0x03]),
            Some(8)
        );
        assert_eq!(rsa_modulus_bits(&[0x30, 0x03, 0x02, 0x01, 0x01]), Some(1));
        assert_eq!(rsa_modulus_bits(&[0x04, 0x00]), None);
        assert_eq!(pss_hash_oid(None).as_deref(), Some("1.3.14.3.2.26"));
        // RSASSA-PSS-params { [0] { sha256 } }
        let params = Any::from_der(&[
            0x30, 0x0f, 0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x01,
        ])
        .unwrap();
        assert_eq!(
            pss_hash_oid(Some(&params)).as_deref(),
            Some("2.16.840.1.101.3.4.2.1")
        );
        let empty = Any::from_der(&[0x30, 0x00]).unwrap();
        assert_eq!(pss_hash_oid(Some(&empty)).as_deref(), Some("1.3.14.3.2.26"));
    }
}
