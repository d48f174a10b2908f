//! A self-signed identity for a JID, so two clients can open a tunnel without
//! a CA (authenticating each other by fingerprint or on first use).

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair,
    KeyUsagePurpose, OtherNameValue, SanType,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{Identity, OID_XMPP_ADDR};
use crate::error::Error;
use crate::jid::Jid;

impl Identity {
    /// Generates an ECDSA P-256 key and a self-signed certificate naming the
    /// JID's bare form as XmppAddr (RFC 6120 §13.7.1.4) and as common name,
    /// valid for TLS client and server authentication (both roles occur in
    /// XTLS).
    pub fn self_signed(jid: &Jid) -> Result<Identity, Error> {
        let cfg = |e: rcgen::Error| Error::Config(format!("certificate generation: {e}"));
        let bare = jid.bare_str().to_owned();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, bare.clone());
        params.distinguished_name = dn;
        params.subject_alt_names = vec![SanType::OtherName((
            OID_XMPP_ADDR.to_vec(),
            OtherNameValue::Utf8String(bare),
        ))];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = KeyPair::generate().map_err(cfg)?;
        let cert = params.self_signed(&key).map_err(cfg)?;
        Identity::new(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
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
