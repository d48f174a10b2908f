//! POSH for `xmpptls check` (RFC 7711): the document at
//! `https://DOMAIN/.well-known/posh/xmpp-client.json` (or
//! `xmpp-server.json`) fetched over HTTPS — PKIX for DOMAIN to the check's
//! roots, as RFC 7711 §3 requires — with the one redirect a POSH document
//! may make, then checked against the server's certificate by the core's
//! `dna::posh`. A minimal HTTP/1.1 GET over rustls: one request, the
//! response read to its end, bounded in size and by the check's deadline.

use std::io::{Read, Write};
use std::sync::Arc;

use xmpptls::dna::posh::{self, PoshDocument};
use xmpptls::identity::Service;
use xmpptls::{CertificateDer, UnixTime};

use super::net::{connect_to, Deadline};

/// Most octets of a POSH response read (documents are a few hundred).
const MAX_RESPONSE: usize = 64 * 1024;

/// The documents fetched for a domain.
#[derive(Debug, Clone)]
pub struct PoshFetch {
    /// The well-known URL.
    pub url: String,
    /// The document there (None: none, with why in `error`).
    pub first: Option<Vec<u8>>,
    /// The document its redirect points to, when it redirects.
    pub followed: Option<Vec<u8>>,
    /// Why there is no usable document.
    pub error: Option<String>,
    /// When they were fetched.
    pub fetched_at: UnixTime,
}

/// Where to fetch: the HTTPS host may be reached at another address or
/// port than DNS and 443 say (tests, `--posh-port`).
pub struct PoshTarget<'a> {
    /// The XMPP domain.
    pub domain: &'a str,
    /// c2s or s2s: which document.
    pub service: Service,
    /// Address to connect to for the domain (None: the domain itself).
    pub connect: Option<&'a str>,
    /// HTTPS port (443).
    pub port: u16,
}

/// Fetches the POSH document(s) of `t` with PKIX to `roots`.
pub fn fetch(
    t: &PoshTarget<'_>,
    roots: &[CertificateDer<'static>],
    deadline: &Deadline,
) -> PoshFetch {
    let name = match t.service {
        Service::XmppClient => "xmpp-client",
        Service::XmppServer => "xmpp-server",
    };
    let url = format!("https://{}/.well-known/posh/{name}.json", t.domain);
    let mut out = PoshFetch {
        url: url.clone(),
        first: None,
        followed: None,
        error: None,
        fetched_at: UnixTime::now(),
    };
    let first = match get(
        t.domain,
        t.connect,
        t.port,
        &format!("/.well-known/posh/{name}.json"),
        roots,
        deadline,
    ) {
        Ok(body) => body,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    if let Ok(PoshDocument::Redirect { url: next, .. }) = PoshDocument::parse(&first) {
        // One redirect, to another HTTPS URL (RFC 7711 §3.2).
        match split_https(&next) {
            Some((host, port, path)) => {
                let connect = (host == t.domain).then_some(t.connect).flatten();
                let port = port.unwrap_or(if host == t.domain { t.port } else { 443 });
                match get(&host, connect, port, &path, roots, deadline) {
                    Ok(body) => out.followed = Some(body),
                    Err(e) => out.error = Some(format!("{next}: {e}")),
                }
            }
            None => out.error = Some(format!("the redirect to {next} is not an https:// URL")),
        }
    }
    out.first = Some(first);
    out
}

/// `https://host[:port]/path` split, or None for another scheme or a bad port.
fn split_https(url: &str) -> Option<(String, Option<u16>, String)> {
    let rest = url.strip_prefix("https://")?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, Some(p.parse().ok()?)),
        _ => (authority, None),
    };
    Some((host.to_owned(), port, path))
}

/// What POSH says about `cert`: the core's outcome name (`match`,
/// `no-match`, `expired`, …) or why there was nothing to check.
pub fn verify(f: &PoshFetch, cert: &CertificateDer<'_>) -> Result<String, String> {
    let Some(first) = &f.first else {
        return Err(f.error.clone().unwrap_or_else(|| "no document".into()));
    };
    posh::verify_documents(
        first,
        f.followed.as_deref(),
        cert,
        f.fetched_at,
        UnixTime::now(),
    )
    .map_err(|e| {
        use xmpptls::api::{Named, PoshOutcome};
        format!("{} ({e})", PoshOutcome::from(&e).name())
    })
}

/// The rustls client configuration of the check's HTTPS fetches: PKIX to
/// `roots`, safe default versions.
pub(super) fn https_config(
    roots: &[CertificateDer<'static>],
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut store = rustls::RootCertStore::empty();
    for r in roots {
        let _ = store.add(r.clone());
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(store)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// One GET over HTTPS: the body of a 200 response, or why not.
pub(super) fn get(
    host: &str,
    connect: Option<&str>,
    port: u16,
    path: &str,
    roots: &[CertificateDer<'static>],
    deadline: &Deadline,
) -> Result<Vec<u8>, String> {
    let server_name =
        rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
    let mut conn = rustls::ClientConnection::new(https_config(roots)?, server_name)
        .map_err(|e| e.to_string())?;
    let mut sock = connect_to(connect.unwrap_or(host), port, deadline)?;
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    get_over(&mut tls, host, path, deadline)
}

/// One GET over `stream` (TLS or plain TCP), read to its end: the body of
/// a 200 response, or why not.
pub(super) fn get_over<S: Read + Write>(
    stream: &mut S,
    host: &str,
    path: &str,
    deadline: &Deadline,
) -> Result<Vec<u8>, String> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: xmpptls-check\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{host}: {e}"))?;
    let mut response = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if deadline.passed() {
            return Err("the check's deadline passed".into());
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                response.extend_from_slice(&buf[..n]);
                if response.len() > MAX_RESPONSE {
                    return Err(format!("the response exceeds {MAX_RESPONSE} octets"));
                }
            }
            // A server that closes without close_notify: what came is all.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(format!("{host}: {e}")),
        }
    }
    let (head, body) = split_response(&response)?;
    let status = head.split(' ').nth(1).unwrap_or("");
    if status != "200" {
        return Err(format!("HTTP status {status}"));
    }
    if head
        .lines()
        .any(|l| l.to_ascii_lowercase().replace(' ', "") == "transfer-encoding:chunked")
    {
        return dechunk(body);
    }
    Ok(body.to_vec())
}

pub(super) fn split_response(r: &[u8]) -> Result<(String, &[u8]), String> {
    let end = r
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP response header")?;
    Ok((
        String::from_utf8_lossy(&r[..end]).into_owned(),
        &r[end + 4..],
    ))
}

/// A chunked body (RFC 9112 §7.1) joined.
fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a bad chunk")?;
        let size_text = String::from_utf8_lossy(&b[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| "a bad chunk size")?;
        b = &b[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size + 2 {
            return Err("a truncated chunk".into());
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_urls_and_chunked_bodies() {
        assert_eq!(
            split_https("https://example.net/.well-known/posh/xmpp-client.json"),
            Some((
                "example.net".into(),
                None,
                "/.well-known/posh/xmpp-client.json".into()
            ))
        );
        assert_eq!(
            split_https("https://example.net:8443/p.json"),
            Some(("example.net".into(), Some(8443), "/p.json".into()))
        );
        assert_eq!(split_https("https://example.net:x/p.json"), None);
        assert_eq!(split_https("http://example.net/x"), None);
        assert_eq!(
            dechunk(b"4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"),
            Ok(b"{\"a\":1}".to_vec())
        );
        assert!(dechunk(b"zz\r\n").is_err());
        assert!(dechunk(b"9\r\nabc").is_err());
    }
}
