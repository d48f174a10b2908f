//! POSH, PKIX over Secure HTTP (RFC 7711): a domain publishes the
//! fingerprints of its XMPP certificate at
//! `https://<domain>/.well-known/posh/<service>.json`, or redirects to a
//! hosting provider's document. The caller fetches over HTTPS (with normal
//! web PKIX) and hands the JSON over; the core parses, follows the rules, and
//! checks the certificate.
//!
//! * A document has `fingerprints` (objects mapping a hash name from the IANA
//!   "Hash Function Textual Names" registry to the base64 hash of the
//!   certificate) or a `url` to another HTTPS document: one redirect is
//!   followed, a second is an error (RFC 7711 §3.4).
//! * `expires` is how many seconds the result may be cached; after a
//!   redirect the smaller of the two applies (§3.3). A missing `expires`
//!   counts as 0: usable for the connection it was fetched for only.
//! * `sha-256`, `sha-384` and `sha-512` are checked; other algorithms are
//!   ignored, and a document with none we can check cannot authenticate.

use ring::digest::{digest, Algorithm, SHA256, SHA384, SHA512};
use rustls_pki_types::{CertificateDer, UnixTime};
use serde_json::{json, Map, Value};

pub use crate::error::PoshError;

/// Largest POSH document accepted, in octets (they are a few hundred).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// A fingerprint from a POSH document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Hash name, lower case (`sha-256`).
    pub algorithm: String,
    /// The hash value.
    pub value: Vec<u8>,
}

/// A parsed POSH document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoshDocument {
    /// Certificate fingerprints.
    Fingerprints {
        /// Every fingerprint listed (several certificates during a rollover).
        fingerprints: Vec<Fingerprint>,
        /// Seconds the document may be cached.
        expires: u64,
    },
    /// A redirect to another POSH document.
    Redirect {
        /// The HTTPS URL to fetch next.
        url: String,
        /// Seconds the redirect may be cached.
        expires: u64,
    },
}

fn algorithm(name: &str) -> Option<&'static Algorithm> {
    match name {
        "sha-256" => Some(&SHA256),
        "sha-384" => Some(&SHA384),
        "sha-512" => Some(&SHA512),
        _ => None,
    }
}

fn bad(why: &str) -> PoshError {
    PoshError::Malformed(why.to_owned())
}

impl PoshDocument {
    /// Parses the JSON of a POSH document.
    pub fn parse(json: &[u8]) -> Result<Self, PoshError> {
        if json.len() > MAX_DOCUMENT_BYTES {
            return Err(bad("document too large"));
        }
        let v: Value =
            serde_json::from_slice(json).map_err(|e| PoshError::Malformed(e.to_string()))?;
        let obj = v.as_object().ok_or_else(|| bad("not a JSON object"))?;
        let expires = match obj.get("expires") {
            None => 0,
            Some(e) => e
                .as_u64()
                .ok_or_else(|| bad("'expires' is not a non-negative integer"))?,
        };
        if let Some(url) = obj.get("url") {
            let url = url.as_str().ok_or_else(|| bad("'url' is not a string"))?;
            if !url.starts_with("https://") {
                return Err(PoshError::InsecureRedirect(url.to_owned()));
            }
            return Ok(PoshDocument::Redirect {
                url: url.to_owned(),
                expires,
            });
        }
        let list = obj
            .get("fingerprints")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("neither 'fingerprints' nor 'url'"))?;
        let mut fingerprints = Vec::new();
        for entry in list {
            let entry = entry
                .as_object()
                .ok_or_else(|| bad("a fingerprint is not an object"))?;
            for (name, value) in entry {
                let text = value
                    .as_str()
                    .ok_or_else(|| bad("a fingerprint is not a string"))?;
                let value = base64_simd::forgiving_decode_to_vec(text.as_bytes())
                    .map_err(|_| bad("a fingerprint is not base64"))?;
                fingerprints.push(Fingerprint {
                    algorithm: name.to_ascii_lowercase(),
                    value,
                });
            }
        }
        Ok(PoshDocument::Fingerprints {
            fingerprints,
            expires,
        })
    }

    /// The POSH document a server publishes for its certificate (SHA-256 and
    /// SHA-512 fingerprints).
    pub fn for_certificate(cert: &CertificateDer<'_>, expires: u64) -> String {
        let mut fp = Map::new();
        for (name, alg) in [("sha-256", &SHA256), ("sha-512", &SHA512)] {
            fp.insert(
                name.into(),
                Value::String(base64_simd::STANDARD.encode_to_string(digest(alg, cert.as_ref()))),
            );
        }
        crate::json_text::compact(&json!({ "fingerprints": [fp], "expires": expires }))
    }
}

/// The fingerprints that apply after following at most one redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoshKeys {
    /// The fingerprints.
    pub fingerprints: Vec<Fingerprint>,
    /// Seconds they may be cached (the smaller value across a redirect).
    pub expires: u64,
    /// The redirect URL followed, if any (for the report).
    pub via: Option<String>,
}

/// Combines the document fetched from the domain with, when it redirects,
/// the document fetched from the redirect URL.
pub fn resolve(first: PoshDocument, followed: Option<PoshDocument>) -> Result<PoshKeys, PoshError> {
    match first {
        PoshDocument::Fingerprints {
            fingerprints,
            expires,
        } => Ok(PoshKeys {
            fingerprints,
            expires,
            via: None,
        }),
        PoshDocument::Redirect { url, expires } => match followed {
            None => Err(PoshError::RedirectNotFollowed(url)),
            Some(PoshDocument::Redirect { .. }) => Err(PoshError::TooManyRedirects),
            Some(PoshDocument::Fingerprints {
                fingerprints,
                expires: e2,
            }) => Ok(PoshKeys {
                fingerprints,
                expires: expires.min(e2),
                via: Some(url),
            }),
        },
    }
}

/// Checks `cert` (the server's end entity) against the keys, which were
/// fetched at `fetched_at`. Returns the algorithm that matched.
pub fn verify(
    keys: &PoshKeys,
    cert: &CertificateDer<'_>,
    fetched_at: UnixTime,
    now: UnixTime,
) -> Result<String, PoshError> {
    if now.as_secs() > fetched_at.as_secs().saturating_add(keys.expires) {
        return Err(PoshError::Expired);
    }
    let mut usable = false;
    for fp in &keys.fingerprints {
        let Some(alg) = algorithm(&fp.algorithm) else {
            continue;
        };
        usable = true;
        if digest(alg, cert.as_ref()).as_ref() == fp.value.as_slice() {
            return Ok(fp.algorithm.clone());
        }
    }
    Err(if usable {
        PoshError::NoMatch
    } else {
        PoshError::NoUsableFingerprint
    })
}

/// The whole check from the documents as fetched (RFC 7711 §3): `first` is
/// the document at the well-known URL, `followed` the one its redirect
/// points to (if it redirects), both fetched at `fetched_at`. Returns the
/// algorithm whose fingerprint matched `cert`.
pub fn verify_documents(
    first: &[u8],
    followed: Option<&[u8]>,
    cert: &CertificateDer<'_>,
    fetched_at: UnixTime,
    now: UnixTime,
) -> Result<String, PoshError> {
    let first = PoshDocument::parse(first)?;
    let followed = followed.map(PoshDocument::parse).transpose()?;
    verify(&resolve(first, followed)?, cert, fetched_at, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    fn cert(name: &str) -> CertificateDer<'static> {
        let jid = crate::jid::Jid::parse(name).unwrap();
        crate::identity::Identity::self_signed(&jid)
            .unwrap()
            .leaf()
            .clone()
    }

    #[test]
    fn documents_are_checked_in_one_call() {
        let c = cert("example.net");
        let doc = PoshDocument::for_certificate(&c, 3600);
        let redirect = br#"{"url":"https://hosting.example/posh.json","expires":60}"#;
        let ok = verify_documents(redirect, Some(doc.as_bytes()), &c, t(1000), t(1030));
        assert_eq!(ok.unwrap(), "sha-256");
        // The redirect's own expiry (60 s) bounds the pair.
        let late = verify_documents(redirect, Some(doc.as_bytes()), &c, t(1000), t(1100));
        assert_eq!(late, Err(PoshError::Expired));
        let other = cert("example.org");
        assert_eq!(
            verify_documents(doc.as_bytes(), None, &other, t(1000), t(1000)),
            Err(PoshError::NoMatch)
        );
    }

    #[test]
    fn published_document_verifies_its_certificate_only() {
        let c = cert("example.net");
        let doc = PoshDocument::parse(PoshDocument::for_certificate(&c, 86400).as_bytes()).unwrap();
        let keys = resolve(doc, None).unwrap();
        assert_eq!(keys.expires, 86400);
        assert_eq!(verify(&keys, &c, t(1000), t(2000)), Ok("sha-256".into()));
        assert_eq!(
            verify(&keys, &cert("example.net"), t(1000), t(2000)),
            Err(PoshError::NoMatch)
        );
        assert_eq!(
            verify(&keys, &c, t(1000), t(1000 + 86401)),
            Err(PoshError::Expired)
        );
    }

    #[test]
    fn one_redirect_is_followed_with_the_smaller_expiry() {
        let c = cert("example.net");
        let first = PoshDocument::parse(br#"{"url":"https://hosting.example/.well-known/posh/xmpp-client.json","expires":604800}"#).unwrap();
        let second =
            PoshDocument::parse(PoshDocument::for_certificate(&c, 3600).as_bytes()).unwrap();
        let keys = resolve(first.clone(), Some(second)).unwrap();
        assert_eq!(keys.expires, 3600);
        assert_eq!(
            keys.via.as_deref(),
            Some("https://hosting.example/.well-known/posh/xmpp-client.json")
        );
        assert!(verify(&keys, &c, t(0), t(10)).is_ok());
        assert!(matches!(
            resolve(first.clone(), None),
            Err(PoshError::RedirectNotFollowed(_))
        ));
        assert_eq!(
            resolve(first.clone(), Some(first)),
            Err(PoshError::TooManyRedirects)
        );
    }

    #[test]
    fn bad_documents() {
        assert!(matches!(
            PoshDocument::parse(b"{\"url\":\"http://x.example/p.json\"}"),
            Err(PoshError::InsecureRedirect(_))
        ));
        for bad in [
            &b"not json"[..],
            b"[]",
            b"{}",
            b"{\"fingerprints\":[{\"sha-256\":\"!!\"}]}",
            b"{\"fingerprints\":[\"x\"]}",
            b"{\"fingerprints\":[],\"expires\":-1}",
        ] {
            assert!(
                matches!(PoshDocument::parse(bad), Err(PoshError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert!(matches!(
            PoshDocument::parse(&big),
            Err(PoshError::Malformed(_))
        ));
        // Only algorithms we cannot check.
        let sha1 = PoshDocument::parse(b"{\"fingerprints\":[{\"sha-1\":\"AAAA\"}],\"expires\":60}")
            .unwrap();
        let keys = resolve(sha1, None).unwrap();
        assert_eq!(
            verify(&keys, &cert("a.example"), t(0), t(0)),
            Err(PoshError::NoUsableFingerprint)
        );
        // Missing expires: valid for the connection it was fetched for only.
        let c = cert("b.example");
        let mut doc: Value = serde_json::from_str(&PoshDocument::for_certificate(&c, 5)).unwrap();
        doc.as_object_mut().unwrap().remove("expires");
        let keys = resolve(
            PoshDocument::parse(doc.to_string().as_bytes()).unwrap(),
            None,
        )
        .unwrap();
        assert!(verify(&keys, &c, t(7), t(7)).is_ok());
        assert_eq!(verify(&keys, &c, t(7), t(8)), Err(PoshError::Expired));
    }
}
