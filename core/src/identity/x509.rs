//! The one place certificates are decoded for reading (RFC 5280 §4.1):
//! names, validity, key and signature algorithms, and the three extensions
//! used here (subjectAltName, nameConstraints, basicConstraints), with our
//! own DER reader ([`super::der`]).
//!
//! Path validation is rustls-webpki's, which is strict about every field.
//! Reading for reports and identity matching is lenient where RFC 5280 is
//! strict but harmless (long or negative serial numbers, unknown
//! extensions, version 1 certificates), so that a report can still describe
//! an odd certificate; anything that is not well-formed DER is an error.

use super::der::{self, tag, Reader, Tlv};

/// `id-at-commonName` (X.520; RFC 4519 §2.3).
pub(crate) const OID_CN: &str = "2.5.4.3";
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";
const OID_NAME_CONSTRAINTS: &str = "2.5.29.30";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";

/// A distinguished name: its RDNs in order, each a set of attributes.
pub(crate) type Name<'a> = Vec<Vec<Attribute<'a>>>;

/// One AttributeTypeAndValue of a name (RFC 5280 §4.1.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute<'a> {
    /// The type, dotted (`2.5.4.3`).
    pub oid: String,
    /// The value, any type.
    pub value: Tlv<'a>,
}

/// An AlgorithmIdentifier (RFC 5280 §4.1.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Algorithm<'a> {
    /// The algorithm, dotted.
    pub oid: String,
    /// Its parameters, when present.
    pub parameters: Option<Tlv<'a>>,
}

/// A time of the validity period (RFC 5280 §4.1.2.5), UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Time {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

impl Time {
    /// Whether each field is in its range (a leap second allowed).
    fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 61
    }
}

/// A certificate, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Certificate<'a> {
    /// serialNumber's contents.
    pub serial: &'a [u8],
    /// The issuer's name.
    pub issuer: Name<'a>,
    /// The subject's name.
    pub subject: Name<'a>,
    /// notBefore.
    pub not_before: Time,
    /// notAfter.
    pub not_after: Time,
    /// The public key's algorithm.
    pub key_algorithm: Algorithm<'a>,
    /// The public key (subjectPublicKey without its unused-bits octet).
    pub public_key: &'a [u8],
    /// The whole SubjectPublicKeyInfo.
    pub spki: &'a [u8],
    /// The outer signatureAlgorithm.
    pub signature_algorithm: Algorithm<'a>,
    /// The extensions: type (dotted) and extnValue's contents.
    extensions: Vec<(String, &'a [u8])>,
}

/// A GeneralName (RFC 5280 §4.2.1.6), the forms read here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GeneralName<'a> {
    /// otherName: its type and the value inside `[0] EXPLICIT`.
    Other {
        /// type-id, as arcs.
        type_id: Vec<u64>,
        /// The value.
        value: Tlv<'a>,
    },
    /// dNSName (IA5String, so ASCII).
    Dns(&'a str),
    /// uniformResourceIdentifier (IA5String).
    Uri(&'a str),
    /// iPAddress octets.
    Ip(&'a [u8]),
    /// rfc822Name, x400Address, directoryName, ediPartyName, registeredID.
    Other5280,
}

/// nameConstraints (RFC 5280 §4.2.1.10): the bases of the subtrees.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct NameConstraints<'a> {
    /// permittedSubtrees.
    pub permitted: Vec<GeneralName<'a>>,
    /// excludedSubtrees.
    pub excluded: Vec<GeneralName<'a>>,
}

/// The certificate in `der` (exactly one, no trailing octets).
pub(crate) fn parse(der: &[u8]) -> Result<Certificate<'_>, String> {
    read(der).map_err(|e| format!("malformed certificate: {e}"))
}

fn read(input: &[u8]) -> Result<Certificate<'_>, String> {
    let cert = der::one(input)?;
    if cert.tag != tag::SEQUENCE {
        return Err("not a SEQUENCE".into());
    }
    let mut c = cert.children();
    let tbs = c.expect(tag::SEQUENCE)?;
    let signature_algorithm = algorithm(c.expect(tag::SEQUENCE)?)?;
    c.expect(tag::BIT_STRING)?;
    if !c.is_empty() {
        return Err("octets after the signature".into());
    }
    let mut t = tbs.children();
    t.optional(tag::context(0))?;
    let serial = t.expect(tag::INTEGER)?.value;
    algorithm(t.expect(tag::SEQUENCE)?)?;
    let issuer = name(t.expect(tag::SEQUENCE)?)?;
    let mut validity = t.expect(tag::SEQUENCE)?.children();
    let not_before = time(validity.next()?)?;
    let not_after = time(validity.next()?)?;
    let subject = name(t.expect(tag::SEQUENCE)?)?;
    let spki = t.expect(tag::SEQUENCE)?;
    let mut s = spki.children();
    let key_algorithm = algorithm(s.expect(tag::SEQUENCE)?)?;
    let key_bits = s.expect(tag::BIT_STRING)?.value;
    let public_key = key_bits.get(1..).ok_or("empty subjectPublicKey")?;
    t.optional(tag::context_primitive(1))?;
    t.optional(tag::context_primitive(2))?;
    let mut extensions = Vec::new();
    if let Some(list) = t.optional(tag::context(3))? {
        let mut seq = list.children().expect(tag::SEQUENCE)?.children();
        while !seq.is_empty() {
            let mut e = seq.expect(tag::SEQUENCE)?.children();
            let oid = der::oid_text(e.expect(tag::OID)?.value);
            e.optional(tag::BOOLEAN)?;
            let value = e.expect(tag::OCTET_STRING)?.value;
            extensions.push((oid, value));
        }
    }
    if !t.is_empty() {
        return Err("octets after the extensions".into());
    }
    Ok(Certificate {
        serial,
        issuer,
        subject,
        not_before,
        not_after,
        key_algorithm,
        public_key,
        spki: spki.whole,
        signature_algorithm,
        extensions,
    })
}

fn algorithm(seq: Tlv<'_>) -> Result<Algorithm<'_>, String> {
    let mut a = seq.children();
    let oid = der::oid_text(a.expect(tag::OID)?.value);
    let parameters = if a.is_empty() { None } else { Some(a.next()?) };
    Ok(Algorithm { oid, parameters })
}

fn name(seq: Tlv<'_>) -> Result<Name<'_>, String> {
    let mut rdns = Vec::new();
    let mut r = seq.children();
    while !r.is_empty() {
        let mut set = r.expect(tag::SET)?.children();
        let mut rdn = Vec::new();
        while !set.is_empty() {
            let mut atv = set.expect(tag::SEQUENCE)?.children();
            let oid = der::oid_text(atv.expect(tag::OID)?.value);
            rdn.push(Attribute {
                oid,
                value: atv.next()?,
            });
        }
        rdns.push(rdn);
    }
    Ok(rdns)
}

/// UTCTime `YYMMDDHHMMSSZ` (years 1950-2049) or GeneralizedTime
/// `YYYYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.1-2).
fn time(t: Tlv<'_>) -> Result<Time, String> {
    let text = std::str::from_utf8(t.value).map_err(|_| "bad time")?;
    let digits = text.strip_suffix('Z').ok_or("time not in UTC")?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("bad time".into());
    }
    let (year, rest) = match (t.tag, digits.len()) {
        (tag::UTC_TIME, 12) => {
            let yy: i64 = digits[..2].parse().map_err(|_| "bad time")?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &digits[2..])
        }
        (tag::GENERALIZED_TIME, 14) => (digits[..4].parse().map_err(|_| "bad time")?, &digits[4..]),
        _ => return Err("bad time".into()),
    };
    let field = |i: usize| -> Result<u32, String> {
        rest.get(i..i + 2)
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| "bad time".to_owned())
    };
    let time = Time {
        year,
        month: field(0)?,
        day: field(2)?,
        hour: field(4)?,
        minute: field(6)?,
        second: field(8)?,
    };
    time.is_valid()
        .then_some(time)
        .ok_or_else(|| "bad time".to_owned())
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian; the
/// algorithm of Howard Hinnant's "chrono-compatible low-level date
/// algorithms").
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_seconds(t: &Time) -> i64 {
    days_from_civil(t.year, t.month, t.day) * 86_400
        + i64::from(t.hour) * 3600
        + i64::from(t.minute) * 60
        + i64::from(t.second)
}

/// Seconds since the Unix epoch of an RFC 3339 §5.6 UTC time
/// (`2026-01-31T12:00:00Z`, a fraction of a second ignored), as log lists
/// write them; None for anything else.
pub(crate) fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = s.get(r)?;
        d.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| d.parse().ok())?
    };
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't')
        && b[13] == b':'
        && b[16] == b':'
        && matches!(b.last(), Some(b'Z' | b'z'));
    if !shape {
        return None;
    }
    let t = Time {
        year: i64::from(num(0..4)?),
        month: num(5..7)?,
        day: num(8..10)?,
        hour: num(11..13)?,
        minute: num(14..16)?,
        second: num(17..19)?,
    };
    t.is_valid().then(|| unix_seconds(&t))
}

/// RFC 3339 §5.6, UTC (`2026-01-31T12:00:00Z`).
pub(crate) fn rfc3339(t: &Time) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

impl<'a> Certificate<'a> {
    /// The value of the one extension of type `oid`; two are an error.
    fn extension(&self, oid: &str, what: &str) -> Result<Option<&'a [u8]>, String> {
        let mut found = self.extensions.iter().filter(|(o, _)| o == oid);
        match (found.next(), found.next()) {
            (Some(_), Some(_)) => Err(format!("two {what} extensions")),
            (first, _) => Ok(first.map(|(_, v)| *v)),
        }
    }
}

/// The subjectAltName entries (RFC 5280 §4.2.1.6); none when absent. Two
/// subjectAltName extensions, or a malformed one, are an error.
pub(crate) fn subject_alt_names<'a>(
    cert: &Certificate<'a>,
) -> Result<Vec<GeneralName<'a>>, String> {
    let Some(value) = cert.extension(OID_SUBJECT_ALT_NAME, "subjectAltName")? else {
        return Ok(Vec::new());
    };
    let names = der::one(value)
        .and_then(|seq| general_names(seq.children()))
        .map_err(|e| format!("malformed subjectAltName: {e}"))?;
    Ok(names)
}

fn general_names(mut r: Reader<'_>) -> Result<Vec<GeneralName<'_>>, String> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(general_name(r.next()?)?);
    }
    Ok(out)
}

fn ia5(value: &[u8]) -> Result<&str, String> {
    value
        .is_ascii()
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
        .ok_or_else(|| "an IA5String that is not ASCII".to_owned())
}

fn general_name(t: Tlv<'_>) -> Result<GeneralName<'_>, String> {
    Ok(match t.tag {
        // otherName: SEQUENCE-like { type-id, [0] EXPLICIT value }.
        0xa0 => {
            let mut o = t.children();
            let type_id =
                der::oid_arcs(o.expect(tag::OID)?.value).ok_or("a malformed otherName type")?;
            let value = o.expect(tag::context(0))?.children().next()?;
            GeneralName::Other { type_id, value }
        }
        0x82 => GeneralName::Dns(ia5(t.value)?),
        0x86 => GeneralName::Uri(ia5(t.value)?),
        0x87 => GeneralName::Ip(t.value),
        0x81 | 0xa3 | 0xa4 | 0xa5 | 0x88 => GeneralName::Other5280,
        other => return Err(format!("GeneralName tag 0x{other:02x}")),
    })
}

/// nameConstraints (RFC 5280 §4.2.1.10).
pub(crate) fn name_constraints<'a>(
    cert: &Certificate<'a>,
) -> Result<Option<NameConstraints<'a>>, String> {
    let Some(value) = cert.extension(OID_NAME_CONSTRAINTS, "nameConstraints")? else {
        return Ok(None);
    };
    let subtrees = |t: Tlv<'a>| -> Result<Vec<GeneralName<'a>>, String> {
        let mut r = t.children();
        let mut out = Vec::new();
        while !r.is_empty() {
            out.push(general_name(r.expect(tag::SEQUENCE)?.children().next()?)?);
        }
        Ok(out)
    };
    let read = || -> Result<NameConstraints<'a>, String> {
        let mut r = der::one(value)?.children();
        let mut nc = NameConstraints::default();
        if let Some(p) = r.optional(tag::context(0))? {
            nc.permitted = subtrees(p)?;
        }
        if let Some(e) = r.optional(tag::context(1))? {
            nc.excluded = subtrees(e)?;
        }
        Ok(nc)
    };
    read()
        .map(Some)
        .map_err(|e| format!("malformed nameConstraints: {e}"))
}

/// Whether basicConstraints says cA (RFC 5280 §4.2.1.9).
pub(crate) fn is_ca(cert: &Certificate<'_>) -> bool {
    let Ok(Some(value)) = cert.extension(OID_BASIC_CONSTRAINTS, "basicConstraints") else {
        return false;
    };
    der::one(value)
        .ok()
        .and_then(|seq| seq.children().optional(tag::BOOLEAN).ok().flatten())
        .is_some_and(|b| b.value.first().is_some_and(|v| *v != 0))
}

/// The text of a directory string or otherName value: UTF8String,
/// PrintableString, IA5String or NumericString (what XmppAddr, SRVName,
/// CN and the like use); `None` for other types.
/// IA5String, PrintableString and NumericString are 7-bit (X.680 §41):
/// one with other octets is malformed, not UTF-8 to be read as such.
pub(crate) fn text<'a>(value: &Tlv<'a>) -> Option<&'a str> {
    match value.tag {
        tag::UTF8_STRING => std::str::from_utf8(value.value).ok(),
        tag::PRINTABLE_STRING | tag::IA5_STRING | tag::NUMERIC_STRING => {
            let v = value.value;
            v.is_ascii().then(|| std::str::from_utf8(v).ok()).flatten()
        }
        _ => None,
    }
}

/// The values of one attribute type in a name, in order (e.g. CN, 2.5.4.3).
pub(crate) fn attribute_texts<'a, 'n>(
    name: &'n Name<'a>,
    oid: &'n str,
) -> impl Iterator<Item = &'a str> + 'n {
    name.iter()
        .flatten()
        .filter(move |atv| atv.oid == oid)
        .filter_map(|atv| text(&atv.value))
}

/// The modulus size in bits of a DER RSAPublicKey (RFC 8017 §A.1.1).
pub(crate) fn rsa_modulus_bits(key: &[u8]) -> Option<u32> {
    let seq = der::one(key).ok().filter(|t| t.tag == tag::SEQUENCE)?;
    let modulus = seq.children().expect(tag::INTEGER).ok()?.value;
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
pub(crate) fn pss_hash_oid(params: Option<&Tlv<'_>>) -> Option<String> {
    const SHA1: &str = "1.3.14.3.2.26";
    let Some(params) = params else {
        return Some(SHA1.to_owned());
    };
    if params.tag != tag::SEQUENCE {
        return None;
    }
    match params.children().optional(tag::context(0)).ok()? {
        None => Some(SHA1.to_owned()),
        Some(hash) => {
            let alg = hash.children().expect(tag::SEQUENCE).ok()?;
            algorithm(alg).ok().map(|a| a.oid)
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
        assert_eq!(
            subject_alt_names(&c).unwrap(),
            [
                GeneralName::Dns("xmpp.example"),
                GeneralName::Uri("xmpp:a@b")
            ]
        );
        let nc = name_constraints(&c).unwrap().unwrap();
        assert_eq!(nc.permitted, [GeneralName::Dns("example")]);
        assert!(nc.excluded.is_empty());

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
        // Every truncation of a real certificate is an error, not a panic.
        for n in 0..der.der().len() {
            assert!(parse(&der.der()[..n]).is_err(), "{n}");
        }
    }

    #[test]
    fn times() {
        let t = |tag, s: &str| {
            time(Tlv {
                tag,
                value: s.as_bytes(),
                whole: &[],
            })
        };
        let epoch = t(tag::UTC_TIME, "700101000000Z").unwrap();
        assert_eq!(unix_seconds(&epoch), 0);
        let y2k = t(tag::UTC_TIME, "000229120000Z").unwrap();
        assert_eq!(unix_seconds(&y2k), 951_825_600);
        assert_eq!(rfc3339(&y2k), "2000-02-29T12:00:00Z");
        let far = t(tag::GENERALIZED_TIME, "40960101000000Z").unwrap();
        assert_eq!(rfc3339(&far), "4096-01-01T00:00:00Z");
        assert_eq!(unix_seconds(&far), 67_090_118_400);
        let before = t(tag::UTC_TIME, "491231235959Z").unwrap();
        assert_eq!(rfc3339(&before), "2049-12-31T23:59:59Z");
        for bad in [
            "7001010000Z",
            "700101000000",
            "701301000000Z",
            "70010100000aZ",
            "+70101000000Z",
            "\u{e9}0101000000Z",
            "7001010000\u{e9}Z",
        ] {
            assert!(t(tag::UTC_TIME, bad).is_err(), "{bad}");
        }
        assert!(t(tag::OCTET_STRING, "700101000000Z").is_err());
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
        let params = der::one(&[
            0x30, 0x0f, 0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
            0x04, 0x02, 0x01,
        ])
        .unwrap();
        assert_eq!(
            pss_hash_oid(Some(&params)).as_deref(),
            Some("2.16.840.1.101.3.4.2.1")
        );
        let empty = der::one(&[0x30, 0x00]).unwrap();
        assert_eq!(pss_hash_oid(Some(&empty)).as_deref(), Some("1.3.14.3.2.26"));
    }
}
