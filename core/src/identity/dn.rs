//! Distinguished names as RFC 4514 strings, for the reports people read
//! (RFC 7590 §3.6: "details about the server certificate").
//!
//! The RFC's algorithm with the short names RFC 4514 §3 lists (no
//! database of every OID name in the binary).

use std::fmt::Write;

use super::x509::{Attribute, Name};

/// RFC 4514 §3 short names (and RFC 4519's `serialNumber`), by OID.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
];

/// The RFC 4514 §2 string of `name`: RDNs last to first, separated by `,`;
/// the values of one multi-valued RDN joined by `+`.
pub(crate) fn to_rfc4514(name: &Name<'_>) -> String {
    let mut out = String::new();
    for (i, rdn) in name.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            push_attribute(&mut out, atv);
        }
    }
    out
}

/// `type=value` (RFC 4514 §2.3): a short name with the escaped string, or the
/// dotted OID (and any value that is not a string) as `#` and the hex of the
/// value's DER.
fn push_attribute(out: &mut String, atv: &Attribute<'_>) {
    let short = SHORT_NAMES
        .iter()
        .find(|(o, _)| *o == atv.oid)
        .map(|(_, s)| *s);
    match (short, super::x509::text(&atv.value)) {
        (Some(short), Some(text)) => {
            out.push_str(short);
            out.push('=');
            push_escaped(out, text);
        }
        (short, _) => {
            match short {
                Some(short) => out.push_str(short),
                None => {
                    let _ = write!(out, "{}", atv.oid);
                }
            }
            out.push_str("=#");
            for b in atv.value.whole {
                let _ = write!(out, "{b:02x}");
            }
        }
    }
}

/// RFC 4514 §2.4: a backslash before `"+,;<>\`, before a leading space or
/// `#` and a trailing space; control characters as `\XX`.
fn push_escaped(out: &mut String, text: &str) {
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '#' if i == 0 => out.push_str("\\#"),
            c if c.is_control() && c.is_ascii() => {
                let _ = write!(out, "\\{:02x}", c as u8);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair};

    fn subject_of(dn: DistinguishedName) -> String {
        let mut p = CertificateParams::default();
        p.distinguished_name = dn;
        let cert = p.self_signed(&KeyPair::generate().unwrap()).unwrap();
        let c = super::super::x509::parse(cert.der()).unwrap();
        to_rfc4514(&c.subject)
    }

    #[test]
    fn order_short_names_and_escaping() {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "FR");
        dn.push(DnType::OrganizationName, "Capulet, Inc. <\"x\">");
        dn.push(DnType::CommonName, " #juliet+romeo ");
        dn.push(
            DnType::CustomDnType(vec![1, 2, 840, 113549, 1, 9, 1]),
            DnValue::Ia5String("a@b.example".try_into().unwrap()),
        );
        // RFC 4514 §2.1: the last RDN first.
        assert_eq!(
            subject_of(dn),
            "1.2.840.113549.1.9.1=#160b6140622e6578616d706c65,\
             CN=\\ #juliet\\+romeo\\ ,\
             O=Capulet\\, Inc. \\<\\\"x\\\"\\>,\
             C=FR"
        );
    }

    #[test]
    fn non_string_values_are_hex_der() {
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            DnValue::BmpString("A".try_into().unwrap()),
        );
        assert_eq!(subject_of(dn), "CN=#1e020041");
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "#first");
        assert_eq!(subject_of(dn), "CN=\\#first", "a leading # is escaped");
        // X.690 long-form length for a value over 127 octets.
        let mut dn = DistinguishedName::new();
        let long = "x".repeat(130);
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 13]),
            DnValue::Ia5String(long.as_str().try_into().unwrap()),
        );
        assert_eq!(
            subject_of(dn),
            format!("2.5.4.13=#168182{}", "78".repeat(130))
        );
    }
}
