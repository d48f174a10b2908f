//! `xmpptls cert`, `xmpptls posh`, `xmpptls tlsa`: certificate checks and the
//! records a server publishes, from PEM files.

use std::time::{Duration, SystemTime};

use serde_json::json;
use xmpptls::dna::dane::TlsaRecord;
use xmpptls::dna::posh::PoshDocument;
use xmpptls::identity::pkix::{default_algorithms, verify_chain, Purpose, Roots};
use xmpptls::identity::{
    certificates_from_pem, match_identity, CertificateInfo, ReferenceIdentity, Service,
};
use xmpptls::{CertificateDer, UnixTime};

/// A failure the user caused (bad file, bad argument): exit code 2.
pub struct Usage(pub String);

/// The certificates of a file: PEM (any number), or one DER certificate.
pub(crate) fn read_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, Usage> {
    let bytes = std::fs::read(path).map_err(|e| Usage(format!("{path}: {e}")))?;
    let pem = bytes.windows(10).any(|w| w == b"-----BEGIN");
    if !pem && bytes.first() == Some(&0x30) {
        let der = CertificateDer::from(bytes);
        CertificateInfo::from_der(&der)
            .map_err(|e| Usage(format!("{path}: not a DER certificate: {e}")))?;
        return Ok(vec![der]);
    }
    certificates_from_pem(&bytes).map_err(|e| Usage(format!("{path}: {e}")))
}

fn parse_time(at: Option<&str>) -> Result<UnixTime, Usage> {
    match at {
        None => Ok(UnixTime::since_unix_epoch(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
        )),
        Some(s) => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|e| Usage(format!("--at {s}: {e}")))?;
            let secs = u64::try_from(t.unix_timestamp())
                .map_err(|_| Usage(format!("--at {s}: before 1970")))?;
            Ok(UnixTime::since_unix_epoch(Duration::from_secs(secs)))
        }
    }
}

/// Arguments of `xmpptls cert`.
pub struct CertArgs<'a> {
    pub chain: &'a str,
    pub ca: Option<&'a str>,
    pub at: Option<&'a str>,
    pub domain: &'a str,
    pub service: &'a str,
    pub cn_fallback: bool,
    pub json: bool,
}

/// Inspects the leaf, validates the chain when roots are given, matches the
/// identity. Ok(true) when everything asked for holds.
pub fn cert(a: &CertArgs<'_>) -> Result<bool, Usage> {
    let chain = read_certs(a.chain)?;
    let service = Service::parse(a.service).ok_or_else(|| {
        Usage(format!(
            "--service must be xmpp-client or xmpp-server, not {}",
            a.service
        ))
    })?;
    let reference = ReferenceIdentity::new(a.domain, service).map_err(|e| Usage(e.to_string()))?;
    let now = parse_time(a.at)?;
    let leaf = chain.first().ok_or_else(|| Usage("empty chain".into()))?;
    let info = CertificateInfo::from_der(leaf).map_err(|e| Usage(format!("{}: {e}", a.chain)))?;
    let matched = match_identity(&info.ids, &reference, a.cn_fallback);
    let chain_result = match a.ca {
        None => None,
        Some(ca) => {
            let roots = Roots::new(&read_certs(ca)?).map_err(|e| Usage(format!("{ca}: {e}")))?;
            Some(
                verify_chain(
                    &chain,
                    &roots,
                    now,
                    Purpose::ServerAuth,
                    &default_algorithms(),
                )
                .and_then(|constraints| constraints.check(reference.domain())),
            )
        }
    };
    let valid_now = info.valid_at(i64::try_from(now.as_secs()).unwrap_or(i64::MAX));
    // A key below the strict policy's minimum (RFC 7525 §4.5) fails too.
    let weak = xmpptls::policy::Policy::strict().peer_key_finding(&info.key_type, info.key_bits);
    let ok = matched.is_some() && chain_result.as_ref().is_none_or(|r| r.is_ok()) && weak.is_none();
    if a.json {
        let ids = &info.ids;
        println!(
            "{}",
            json!({
                "ok": ok,
                "domain": reference.domain(),
                "service": service.as_str(),
                "identity": matched.as_ref().map(|m| json!({"type": m.kind(), "presented": m.presented()})),
                "chain": chain_result.as_ref().map(|r| match r {
                    Ok(()) => json!({"valid": true}),
                    Err(e) => json!({"valid": false, "error": e.to_string()}),
                }),
                "certificate": {
                    "subject": info.subject, "issuer": info.issuer, "serial": info.serial,
                    "not_before": info.not_before_text, "not_after": info.not_after_text,
                    "valid_now": valid_now, "is_ca": info.is_ca,
                    "signature_algorithm": info.signature_algorithm,
                    "sha256": info.sha256, "spki_sha256": info.spki_sha256,
                    "san": {"dns": ids.dns, "srv": ids.srv, "xmpp_addr": ids.xmpp_addr, "uri": ids.uri, "ip": ids.ip},
                    "cn": ids.cn,
                },
                "chain_length": chain.len(),
                "key": {"type": info.key_type, "bits": info.key_bits, "weak": weak.as_ref().map(|f| f.message.clone())},
            })
        );
    } else {
        let list = |v: &[String]| {
            if v.is_empty() {
                "-".to_owned()
            } else {
                v.join(", ")
            }
        };
        println!("Certificate   {}", info.subject);
        println!("Issuer        {}", info.issuer);
        println!(
            "Valid         {} to {}{}",
            info.not_before_text,
            info.not_after_text,
            if valid_now {
                ""
            } else {
                "  (NOT valid at the time checked)"
            }
        );
        println!("DNS-IDs       {}", list(&info.ids.dns));
        println!("SRV-IDs       {}", list(&info.ids.srv));
        println!("XmppAddrs     {}", list(&info.ids.xmpp_addr));
        println!(
            "URIs / IPs    {} / {}",
            list(&info.ids.uri),
            list(&info.ids.ip)
        );
        println!("CN            {}", list(&info.ids.cn));
        println!("SHA-256       {}", info.sha256);
        println!("SPKI SHA-256  {}", info.spki_sha256);
        match &weak {
            Some(f) => println!(
                "Key           {} {} bits: WEAK, {}",
                info.key_type, info.key_bits, f.message
            ),
            None => println!("Key           {} {} bits", info.key_type, info.key_bits),
        }
        match &chain_result {
            None => println!("Chain         not checked (no --ca)"),
            Some(Ok(())) => println!(
                "Chain         valid to the given roots ({} certificates sent)",
                chain.len()
            ),
            Some(Err(e)) => println!("Chain         NOT valid: {e}"),
        }
        match &matched {
            Some(m) => println!(
                "Identity      {} {} matches {m}",
                reference.domain(),
                service.as_str()
            ),
            None => println!(
                "Identity      NO identifier matches {} for {}{}",
                reference.domain(),
                service.as_str(),
                if a.cn_fallback {
                    ""
                } else {
                    " (CN not considered; --cn-fallback)"
                }
            ),
        }
        println!("Result        {}", if ok { "pass" } else { "FAIL" });
    }
    Ok(ok)
}

/// Prints the POSH document for the first certificate of a PEM file.
pub fn posh(path: &str, expires: u64) -> Result<(), Usage> {
    let certs = read_certs(path)?;
    let leaf = certs.first().ok_or_else(|| Usage("empty chain".into()))?;
    println!("{}", PoshDocument::for_certificate(leaf, expires));
    Ok(())
}

/// Prints the TLSA record data (presentation format) for a certificate.
pub fn tlsa(path: &str, usage: u8, selector: u8, matching: u8) -> Result<(), Usage> {
    let certs = read_certs(path)?;
    // Usages 0 and 2 name a trust anchor: the last certificate of the file.
    let cert = if usage == 0 || usage == 2 {
        certs.last()
    } else {
        certs.first()
    };
    let cert = cert.ok_or_else(|| Usage("empty chain".into()))?;
    let r = TlsaRecord::for_certificate(cert, usage, selector, matching)
        .map_err(|e| Usage(e.to_string()))?;
    println!("{}", r.presentation());
    Ok(())
}
