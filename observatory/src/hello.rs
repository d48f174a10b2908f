//! Crafted ClientHellos: one protocol version, the suites and groups a scan
//! wants to test, and nothing the server could use to refuse us for other
//! reasons (a broad signature_algorithms list, SNI, the padding F5 BIG-IP
//! needs). The record and handshake framing is tls-parser's; extensions are
//! written here (its serializer knows only three).

use tls_parser::{
    Serialize, TlsCipherSuiteID, TlsClientHelloContents, TlsCompressionID, TlsMessage,
    TlsMessageHandshake, TlsPlaintext, TlsRecordHeader, TlsRecordType, TlsVersion,
};

/// SSL 3.0 (RFC 6101; prohibited by RFC 7568).
pub const SSL3: u16 = 0x0300;
/// TLS 1.0 (RFC 2246; deprecated by RFC 8996).
pub const TLS10: u16 = 0x0301;
/// TLS 1.1 (RFC 4346; deprecated by RFC 8996).
pub const TLS11: u16 = 0x0302;
/// TLS 1.2 (RFC 5246).
pub const TLS12: u16 = 0x0303;
/// TLS 1.3 (RFC 8446).
pub const TLS13: u16 = 0x0304;

/// The fallback signalling value (RFC 7507 §2).
pub(crate) const FALLBACK_SCSV: u16 = 0x5600;
/// The renegotiation signalling value (RFC 5746 §3.3): asks a server that
/// supports secure renegotiation to answer with the extension.
pub(crate) const RENEGOTIATION_SCSV: u16 = 0x00ff;

/// The key exchange groups a scan tries (IANA "TLS Supported Groups"):
/// code, name, and security strength in bits (NIST SP 800-57 equivalents;
/// hybrids count their classical part, pure ML-KEM its FIPS 203 category).
/// The post-quantum ones (draft-ietf-tls-ecdhe-mlkem, draft-ietf-tls-mlkem)
/// are offered in TLS 1.3 only, without a key share: a server that accepts
/// one asks for it in a HelloRetryRequest.
pub const GROUPS: &[(u16, &str, u16)] = &[
    (0x001d, "x25519", 128),
    (0x0017, "secp256r1", 128),
    (0x0018, "secp384r1", 192),
    (0x0019, "secp521r1", 256),
    (0x001e, "x448", 224),
    (0x11ec, "X25519MLKEM768", 128),
    (0x11eb, "SecP256r1MLKEM768", 128),
    (0x11ed, "SecP384r1MLKEM1024", 192),
    (0x0200, "MLKEM512", 128),
    (0x0201, "MLKEM768", 192),
    (0x0202, "MLKEM1024", 256),
    (0x0100, "ffdhe2048", 112),
    (0x0101, "ffdhe3072", 128),
    (0x0102, "ffdhe4096", 152),
    (0x0103, "ffdhe6144", 176),
    (0x0104, "ffdhe8192", 192),
    (0x001a, "brainpoolP256r1", 128),
    (0x001b, "brainpoolP384r1", 192),
    (0x001c, "brainpoolP512r1", 256),
    (0x0015, "secp224r1", 112),
    (0x0013, "secp192r1", 96),
];

/// The name of a group code, or `0x…` for one we do not know.
pub fn group_name(code: u16) -> String {
    GROUPS
        .iter()
        .find(|g| g.0 == code)
        .map_or_else(|| format!("0x{code:04x}"), |g| g.1.to_owned())
}

/// `SSLv3`, `TLSv1.0` … `TLSv1.3` (the names the core's reports use), or
/// `0x….` for a version we do not know.
pub fn version_name(v: u16) -> String {
    match v {
        SSL3 => "SSLv3".into(),
        TLS10 => "TLSv1.0".into(),
        TLS11 => "TLSv1.1".into(),
        TLS12 => "TLSv1.2".into(),
        TLS13 => "TLSv1.3".into(),
        _ => format!("0x{v:04x}"),
    }
}

/// Signature schemes offered (RFC 8446 §4.2.3 and the TLS 1.2 pairs of
/// RFC 5246 §7.4.1.4.1): every one a server might sign with, so none is
/// refused over the signature.
const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401,
    0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202,
];

/// The secp256r1 base point, uncompressed (SEC 1 §2.3.3): a valid key
/// share, so the server answers with a ServerHello instead of an alert.
const P256_GENERATOR: [u8; 65] = [
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40,
    0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2,
    0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e,
    0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51,
    0xf5,
];

/// One ClientHello to send on a fresh connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The version offered (for TLS 1.3, in supported_versions).
    pub version: u16,
    /// The cipher suites offered, in this order.
    pub suites: Vec<u16>,
    /// supported_groups, in this order (none for SSL 3.0).
    pub groups: Vec<u16>,
    /// TLS 1.3: send key shares for x25519 and secp256r1 when offered.
    /// Without shares a server that accepts a group answers with a
    /// HelloRetryRequest naming it, which is all a scan needs to know.
    pub key_shares: bool,
    /// The server name for SNI (a DNS name; none for IP literals).
    pub server_name: Option<String>,
    /// Add TLS_FALLBACK_SCSV (RFC 7507): a server that supports a higher
    /// version must refuse with inappropriate_fallback.
    pub fallback_scsv: bool,
    /// Offer DEFLATE compression before null (RFC 3749).
    pub deflate: bool,
}

impl Probe {
    /// A probe of `version` with `suites` and every group of [`GROUPS`].
    pub fn new(version: u16, suites: Vec<u16>, server_name: Option<&str>) -> Self {
        Probe {
            version,
            suites,
            groups: GROUPS.iter().map(|g| g.0).collect(),
            key_shares: true,
            server_name: server_name
                .filter(|n| n.parse::<std::net::IpAddr>().is_err())
                .map(str::to_owned),
            fallback_scsv: false,
            deflate: false,
        }
    }

    /// The ClientHello as one TLS record, with `random` as its random.
    pub fn client_hello(&self, random: &[u8; 32]) -> Vec<u8> {
        let tls13 = self.version >= TLS13;
        let mut suites: Vec<TlsCipherSuiteID> =
            self.suites.iter().map(|&s| TlsCipherSuiteID(s)).collect();
        // Ask for the renegotiation extension (RFC 5746 §3.3) in every
        // version that has renegotiation.
        if !tls13 {
            suites.push(TlsCipherSuiteID(RENEGOTIATION_SCSV));
        }
        if self.fallback_scsv {
            suites.push(TlsCipherSuiteID(FALLBACK_SCSV));
        }
        let comp = if self.deflate {
            vec![TlsCompressionID(1), TlsCompressionID(0)]
        } else {
            vec![TlsCompressionID(0)]
        };
        let mut ext = self.extensions();
        // A ClientHello of 256 to 511 octets hangs some F5 BIG-IP servers
        // (RFC 7685 §4): pad it to 512.
        let base = 4
            + 2
            + 32
            + 1
            + if tls13 { 32 } else { 0 }
            + 2
            + 2 * suites.len()
            + 1
            + comp.len()
            + 2
            + ext.len();
        if (256..512).contains(&base) && self.version > SSL3 {
            let pad = (512 - base).saturating_sub(4);
            put_ext(&mut ext, 0x0015, &vec![0u8; pad]);
        }
        // TLS 1.3's compatibility mode sends a legacy session id (RFC 8446
        // §D.4); some servers expect it.
        let session_id = tls13.then_some(&random[..]);
        let legacy_version = self.version.min(TLS12);
        let hello = TlsClientHelloContents::new(
            legacy_version,
            random,
            session_id,
            suites,
            comp,
            (self.version > SSL3).then_some(&ext[..]),
        );
        let record = TlsPlaintext {
            hdr: TlsRecordHeader {
                record_type: TlsRecordType::Handshake,
                // TLS 1.0 in the record layer for everything newer, as
                // browsers send (RFC 8446 §5.1: "legacy_record_version").
                version: TlsVersion(self.version.min(TLS10)),
                len: 0,
            },
            msg: vec![TlsMessage::Handshake(TlsMessageHandshake::ClientHello(
                hello,
            ))],
        };
        // Serialising into a Vec fails only on lengths over their fields
        // (64 KiB of suites or extensions), which a probe never has.
        record.serialize().unwrap_or_default()
    }

    fn extensions(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.version == SSL3 {
            return out;
        }
        let tls13 = self.version >= TLS13;
        if let Some(name) = &self.server_name {
            let mut sni = Vec::new();
            put_u16(&mut sni, (name.len() + 3) as u16);
            sni.push(0); // host_name
            put_u16(&mut sni, name.len() as u16);
            sni.extend_from_slice(name.as_bytes());
            put_ext(&mut out, 0x0000, &sni);
        }
        if !self.groups.is_empty() {
            let mut g = Vec::new();
            put_u16(&mut g, (self.groups.len() * 2) as u16);
            for &x in &self.groups {
                put_u16(&mut g, x);
            }
            put_ext(&mut out, 0x000a, &g);
            put_ext(&mut out, 0x000b, &[1, 0]); // ec_point_formats: uncompressed
        }
        let mut sig = Vec::new();
        put_u16(&mut sig, (SIGNATURE_SCHEMES.len() * 2) as u16);
        for &s in SIGNATURE_SCHEMES {
            put_u16(&mut sig, s);
        }
        put_ext(&mut out, 0x000d, &sig);
        put_ext(&mut out, 0x0017, &[]); // extended_master_secret (RFC 7627)
        if tls13 {
            put_ext(&mut out, 0x002b, &[2, 0x03, 0x04]); // supported_versions: TLS 1.3
            put_ext(&mut out, 0x002d, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
            let mut shares = Vec::new();
            if self.key_shares {
                for &g in &self.groups {
                    let key: &[u8] = match g {
                        0x001d => &X25519_BASE,
                        0x0017 => &P256_GENERATOR,
                        _ => continue,
                    };
                    put_u16(&mut shares, g);
                    put_u16(&mut shares, key.len() as u16);
                    shares.extend_from_slice(key);
                }
            }
            let mut ks = Vec::new();
            put_u16(&mut ks, shares.len() as u16);
            ks.extend_from_slice(&shares);
            put_ext(&mut out, 0x0033, &ks);
        }
        out
    }
}

/// The X25519 base point u = 9 (RFC 7748 §4.1): a valid public value.
const X25519_BASE: [u8; 32] = {
    let mut k = [0u8; 32];
    k[0] = 9;
    k
};

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_ext(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
    put_u16(out, typ);
    put_u16(out, body.len() as u16);
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tls_parser::{parse_tls_extensions, parse_tls_plaintext, TlsExtension};

    fn parsed(p: &Probe) -> (u16, u16, Vec<u16>, Vec<u8>, Vec<u8>) {
        let bytes = p.client_hello(&[7; 32]);
        let (rest, rec) = parse_tls_plaintext(&bytes).expect("a TLS record");
        assert!(rest.is_empty());
        let Some(TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch))) = rec.msg.first()
        else {
            panic!("not a ClientHello")
        };
        (
            rec.hdr.version.0,
            ch.version.0,
            ch.ciphers.iter().map(|c| c.0).collect(),
            ch.comp.iter().map(|c| c.0).collect(),
            ch.ext.unwrap_or_default().to_vec(),
        )
    }

    #[test]
    fn a_tls12_hello_carries_the_suites_scsv_sni_and_groups() {
        let mut p = Probe::new(TLS12, vec![0xc02f, 0x009c], Some("example.net"));
        p.fallback_scsv = true;
        let (record, version, suites, comp, ext) = parsed(&p);
        assert_eq!((record, version), (TLS10, TLS12));
        assert_eq!(
            suites,
            vec![0xc02f, 0x009c, RENEGOTIATION_SCSV, FALLBACK_SCSV]
        );
        assert_eq!(comp, vec![0]);
        let (_, exts) = parse_tls_extensions(&ext).expect("extensions");
        assert!(exts
            .iter()
            .any(|e| matches!(e, TlsExtension::SNI(v) if v[0].1 == b"example.net")));
        assert!(exts
            .iter()
            .any(|e| matches!(e, TlsExtension::EllipticCurves(g) if g.len() == GROUPS.len())));
        assert!(!exts
            .iter()
            .any(|e| matches!(e, TlsExtension::SupportedVersions(_))));
    }

    #[test]
    fn a_tls13_hello_offers_1_3_with_valid_key_shares() {
        let p = Probe::new(TLS13, vec![0x1301], Some("192.0.2.1"));
        let (_, version, suites, _, ext) = parsed(&p);
        assert_eq!(version, TLS12, "legacy_version");
        assert_eq!(suites, vec![0x1301], "no renegotiation SCSV in TLS 1.3");
        let (_, exts) = parse_tls_extensions(&ext).expect("extensions");
        assert!(
            !exts.iter().any(|e| matches!(e, TlsExtension::SNI(_))),
            "no SNI for an IP"
        );
        assert!(exts.iter().any(
            |e| matches!(e, TlsExtension::SupportedVersions(v) if v.iter().any(|x| x.0 == TLS13))
        ));
        let shares = exts.iter().find_map(|e| match e {
            TlsExtension::KeyShare(k) => Some(k.to_vec()),
            _ => None,
        });
        let shares = shares.expect("key_share");
        // x25519 (32 octets) and secp256r1 (65) shares, each with 4 octets of header.
        assert_eq!(shares.len(), 2 + 4 + 32 + 4 + 65);
    }

    #[test]
    fn ssl3_hellos_have_no_extensions_and_deflate_is_offered_first() {
        let mut p = Probe::new(SSL3, vec![0x000a], Some("example.net"));
        p.deflate = true;
        let (record, version, _, comp, ext) = parsed(&p);
        assert_eq!((record, version), (SSL3, SSL3));
        assert_eq!(comp, vec![1, 0]);
        assert!(ext.is_empty());
    }

    #[test]
    fn hellos_between_256_and_511_octets_are_padded_to_512() {
        for n in 1..120 {
            let p = Probe::new(
                TLS12,
                (0..n).map(|i| 0xc000 + i).collect(),
                Some("example.net"),
            );
            let len = p.client_hello(&[1; 32]).len() - 5; // without the record header
            assert!(!(256..512).contains(&len), "{n} suites: {len} octets");
        }
    }
}
