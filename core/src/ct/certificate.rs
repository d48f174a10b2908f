//! What an embedded SCT signed (RFC 6962 §3.2): the precertificate entry,
//! the issuer's key hash and the final certificate's TBSCertificate with
//! the SCT list extension taken out, which is the precertificate's
//! TBSCertificate without its poison extension.

use crate::identity::der::{self, tag, Reader};

use super::{err, CtError};

/// The DER contents of the SCT list extension's OID,
/// 1.3.6.1.4.1.11129.2.4.2 (RFC 6962 §3.3).
pub const SCT_LIST_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// The DER contents of the OCSP extension carrying an SCT list,
/// 1.3.6.1.4.1.11129.2.4.5 (RFC 6962 §3.3).
pub const OCSP_SCT_LIST_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x05];

/// The TBSCertificate of a certificate and its parts.
fn tbs(cert: &[u8]) -> Result<der::Tlv<'_>, CtError> {
    let c = der::one(cert).map_err(err)?;
    c.children().expect(tag::SEQUENCE).map_err(err)
}

/// The extensions of a TBSCertificate (`[3] EXPLICIT SEQUENCE OF`), if any.
fn extensions<'a>(tbs: &der::Tlv<'a>) -> Result<Option<der::Tlv<'a>>, CtError> {
    let mut r = tbs.children();
    while !r.is_empty() {
        let t = r.next().map_err(err)?;
        if t.tag == tag::context(3) {
            return Ok(Some(t.children().expect(tag::SEQUENCE).map_err(err)?));
        }
    }
    Ok(None)
}

/// One extension of a TBSCertificate.
struct Extension<'a> {
    /// extnID's contents.
    oid: &'a [u8],
    /// extnValue's contents.
    value: &'a [u8],
    /// The whole encoding.
    whole: &'a [u8],
}

/// Each extension, in order.
fn each_extension<'a>(exts: &der::Tlv<'a>) -> Result<Vec<Extension<'a>>, CtError> {
    let mut out = Vec::new();
    let mut r = exts.children();
    while !r.is_empty() {
        let e = r.expect(tag::SEQUENCE).map_err(err)?;
        let mut f = e.children();
        let oid = f.expect(tag::OID).map_err(err)?;
        f.optional(tag::BOOLEAN).map_err(err)?;
        let value = f.expect(tag::OCTET_STRING).map_err(err)?;
        out.push(Extension {
            oid: oid.value,
            value: value.value,
            whole: e.whole,
        });
    }
    Ok(out)
}

/// The SCT list embedded in a certificate (the TLS-encoded list inside the
/// extension's OCTET STRING), or None when it has none.
pub fn embedded_sct_list(cert: &[u8]) -> Result<Option<Vec<u8>>, CtError> {
    let t = tbs(cert)?;
    let Some(exts) = extensions(&t)? else {
        return Ok(None);
    };
    for e in each_extension(&exts)? {
        if e.oid == SCT_LIST_OID {
            let inner = der::one(e.value).map_err(err)?;
            if inner.tag != tag::OCTET_STRING {
                return Err(err("the SCT extension is not an OCTET STRING"));
            }
            return Ok(Some(inner.value.to_vec()));
        }
    }
    Ok(None)
}

/// DER of `tag` with `value` (X.690 §8.1.3 definite length).
fn encode(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let octets: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | octets.len() as u8);
        out.extend_from_slice(&octets);
    }
    out.extend_from_slice(value);
    out
}

/// The precertificate's TBSCertificate an embedded SCT signed: the
/// certificate's, with the SCT list extension removed (RFC 6962 §3.2).
pub fn precert_tbs(cert: &[u8]) -> Result<Vec<u8>, CtError> {
    let t = tbs(cert)?;
    let mut content = Vec::with_capacity(t.value.len());
    let mut r: Reader<'_> = t.children();
    let mut found = false;
    while !r.is_empty() {
        let field = r.next().map_err(err)?;
        if field.tag != tag::context(3) {
            content.extend_from_slice(field.whole);
            continue;
        }
        let exts = field.children().expect(tag::SEQUENCE).map_err(err)?;
        let mut kept = Vec::new();
        for e in each_extension(&exts)? {
            if e.oid == SCT_LIST_OID {
                found = true;
            } else {
                kept.extend_from_slice(e.whole);
            }
        }
        content.extend_from_slice(&encode(tag::context(3), &encode(tag::SEQUENCE, &kept)));
    }
    if !found {
        return Err(err("the certificate embeds no SCT list"));
    }
    Ok(encode(tag::SEQUENCE, &content))
}

/// SHA-256 of the issuer's SubjectPublicKeyInfo (RFC 6962 §3.2
/// `issuer_key_hash`).
pub fn issuer_key_hash(issuer: &[u8]) -> Result<[u8; 32], CtError> {
    let parsed = crate::identity::x509::parse(issuer).map_err(err)?;
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, parsed.spki).as_ref());
    Ok(out)
}
