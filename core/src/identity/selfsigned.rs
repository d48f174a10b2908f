//! A self-signed identity for a JID, so two clients can open a tunnel without
//! a CA (authenticating each other by fingerprint or on first use).
//!
//! The certificate has one fixed shape, so it is written here in DER
//! (X.690) directly over ring's ECDSA, rather than with a general
//! certificate generator: that generator and its ASN.1 writer were about
//! 36 KB of the npm package's wasm. The shape is RFC 5280's: version 3, a
//! random positive 20-octet serial, ecdsa-with-SHA256, the bare JID as
//! subject and issuer common name, valid from 1975-01-01 to 4096-01-01
//! (the validity a certificate without a CA does not need), an ECDSA P-256
//! key, and three extensions: subjectAltName with the bare JID as
//! XmppAddr (RFC 6120 §13.7.1.4), keyUsage digitalSignature (critical),
//! and extKeyUsage serverAuth and clientAuth (both roles occur in XTLS).

use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::Identity;
use crate::error::Error;
use crate::jid::Jid;

/// DER tags (X.690 §8).
const BOOLEAN: u8 = 0x01;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const UTF8_STRING: u8 = 0x0c;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
/// `[0]` and `[3]`, constructed (context-specific).
const CONTEXT_0: u8 = 0xa0;
const CONTEXT_3: u8 = 0xa3;

/// Object identifiers, content octets only.
const ECDSA_WITH_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
const SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
/// id-on-xmppAddr, 1.3.6.1.5.5.7.8.5 (RFC 6120 §13.7.1.4).
const XMPP_ADDR: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x05];

/// One DER element: tag, definite length (short or long form), content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let octets = len.to_be_bytes();
        let skip = octets.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (octets.len() - skip) as u8);
        out.extend_from_slice(&octets[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A constructed element from its parts.
fn seq(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// `Name` with one common name (RFC 5280 §4.1.2.4).
fn name(cn: &str) -> Vec<u8> {
    let atv = seq(
        SEQUENCE,
        &[&tlv(OID, COMMON_NAME), &tlv(UTF8_STRING, cn.as_bytes())],
    );
    seq(SEQUENCE, &[&tlv(SET, &atv)])
}

/// An extension (RFC 5280 §4.1): its OID, criticality, and value.
fn extension(oid: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let crit = if critical {
        tlv(BOOLEAN, &[0xff])
    } else {
        Vec::new()
    };
    seq(
        SEQUENCE,
        &[&tlv(OID, oid), &crit, &tlv(OCTET_STRING, value)],
    )
}

impl Identity {
    /// Generates an ECDSA P-256 key and a self-signed certificate naming the
    /// JID's bare form as XmppAddr (RFC 6120 §13.7.1.4) and as common name,
    /// valid for TLS client and server authentication (both roles occur in
    /// XTLS).
    pub fn self_signed(jid: &Jid) -> Result<Identity, Error> {
        let fail = |what: &str| Error::Config(format!("certificate generation: {what}"));
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map_err(|_| fail("no key"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| fail("unusable key"))?;
        let bare = jid.bare_str();

        // A positive serial of 20 octets (RFC 5280 §4.1.2.2).
        let mut serial = [0u8; 20];
        rng.fill(&mut serial).map_err(|_| fail("no randomness"))?;
        serial[0] = (serial[0] & 0x7f) | 0x01;

        let algorithm = seq(SEQUENCE, &[&tlv(OID, ECDSA_WITH_SHA256)]);
        let validity = seq(
            SEQUENCE,
            &[
                &tlv(UTC_TIME, b"750101000000Z"),
                &tlv(GENERALIZED_TIME, b"40960101000000Z"),
            ],
        );
        let mut point = vec![0u8]; // no unused bits
        point.extend_from_slice(key.public_key().as_ref());
        let spki = seq(
            SEQUENCE,
            &[
                &seq(SEQUENCE, &[&tlv(OID, EC_PUBLIC_KEY), &tlv(OID, PRIME256V1)]),
                &tlv(BIT_STRING, &point),
            ],
        );
        // GeneralName otherName ([0] IMPLICIT): type-id, [0] EXPLICIT value.
        let xmpp_addr = seq(
            CONTEXT_0,
            &[
                &tlv(OID, XMPP_ADDR),
                &tlv(CONTEXT_0, &tlv(UTF8_STRING, bare.as_bytes())),
            ],
        );
        let extensions = seq(
            SEQUENCE,
            &[
                &extension(SUBJECT_ALT_NAME, false, &tlv(SEQUENCE, &xmpp_addr)),
                // digitalSignature: bit 0 of a one-octet string, 7 unused.
                &extension(KEY_USAGE, true, &tlv(BIT_STRING, &[0x07, 0x80])),
                &extension(
                    EXT_KEY_USAGE,
                    false,
                    &seq(SEQUENCE, &[&tlv(OID, SERVER_AUTH), &tlv(OID, CLIENT_AUTH)]),
                ),
            ],
        );
        let subject = name(bare);
        let tbs = seq(
            SEQUENCE,
            &[
                &tlv(CONTEXT_0, &tlv(INTEGER, &[2])), // v3
                &tlv(INTEGER, &serial),
                &algorithm,
                &subject,
                &validity,
                &subject,
                &spki,
                &tlv(CONTEXT_3, &extensions),
            ],
        );
        let signature = key.sign(&rng, &tbs).map_err(|_| fail("signing"))?;
        let mut bits = vec![0u8];
        bits.extend_from_slice(signature.as_ref());
        let cert = seq(SEQUENCE, &[&tbs, &algorithm, &tlv(BIT_STRING, &bits)]);
        Identity::new(
            vec![CertificateDer::from(cert)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8.as_ref().to_vec())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::PresentedIds;

    #[test]
    fn self_signed_names_the_bare_jid() {
        let jid = Jid::parse("romeo@montague.lit/orchard").unwrap();
        let id = Identity::self_signed(&jid).unwrap();
        let ids = PresentedIds::from_der(id.leaf()).unwrap();
        assert_eq!(ids.xmpp_addr, vec!["romeo@montague.lit".to_string()]);
        assert_eq!(ids.cn, vec!["romeo@montague.lit".to_string()]);
        assert!(ids.dns.is_empty());
        assert_eq!(id.certificate_fingerprint().len(), 64);
        assert_ne!(id.certificate_fingerprint(), id.spki_fingerprint().unwrap());
    }

    #[test]
    fn lengths_take_the_long_form_past_127_octets() {
        assert_eq!(tlv(OCTET_STRING, &[7; 3]), [0x04, 3, 7, 7, 7]);
        assert_eq!(&tlv(OCTET_STRING, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(&tlv(OCTET_STRING, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }

    /// webpki accepts it as an end entity for both roles, signed by its
    /// own key; a changed octet breaks the signature.
    #[test]
    fn webpki_reads_it_and_its_signature_verifies() {
        let jid = Jid::parse("juliet@capulet.lit/balcony").unwrap();
        let id = Identity::self_signed(&jid).unwrap();
        let ee = webpki::EndEntityCert::try_from(id.leaf()).unwrap();
        let spki = crate::identity::spki_der(id.leaf()).unwrap();
        let key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            &spki[spki.len() - 65..],
        );
        drop(ee);
        let der = id.leaf().as_ref();
        // The certificate's three parts, read back with the same writer's
        // rules: the signature covers exactly the TBSCertificate.
        let (tbs, sig) = split_certificate(der);
        key.verify(tbs, sig).unwrap();
        let mut bad = tbs.to_vec();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(key.verify(&bad, sig).is_err());
    }

    /// (TBSCertificate, signature) of a certificate this module wrote.
    fn split_certificate(der: &[u8]) -> (&[u8], &[u8]) {
        fn header(d: &[u8]) -> (usize, usize) {
            match d[1] {
                n if n < 0x80 => (2, usize::from(n)),
                0x81 => (3, usize::from(d[2])),
                _ => (4, usize::from(d[2]) << 8 | usize::from(d[3])),
            }
        }
        let (h, _) = header(der);
        let body = &der[h..];
        let (th, tl) = header(body);
        let tbs = &body[..th + tl];
        let rest = &body[th + tl..];
        let (ah, al) = header(rest);
        let bits = &rest[ah + al..];
        let (bh, _) = header(bits);
        (tbs, &bits[bh + 1..])
    }

    #[test]
    fn pem_round_trip_keeps_the_key() {
        let jid = Jid::parse("juliet@capulet.lit/balcony").unwrap();
        let id = Identity::self_signed(&jid).unwrap();
        let (chain, key) = id.to_pem();
        assert!(chain.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(chain.lines().all(|l| l.len() <= 64));
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let back = Identity::from_pem(chain.as_bytes(), key.as_bytes()).unwrap();
        assert_eq!(back.spki_fingerprint(), id.spki_fingerprint());
        assert_eq!(back.key().secret_der(), id.key().secret_der());
    }
}
