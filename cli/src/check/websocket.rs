//! The XMPP-over-WebSocket endpoint of a domain, for `xmpptls check
//! --websocket`: what a browser client finds and what it gets there.
//!
//! - **Discovery** (XEP-0156 §3): `https://DOMAIN/.well-known/host-meta`
//!   (XRD) and `host-meta.json`, with PKIX for DOMAIN to the check's roots
//!   as for POSH; plain HTTP only when HTTPS gives nothing, and then it is
//!   a finding (anyone on the path can point clients elsewhere).
//! - **Each endpoint** (`urn:xmpp:alt-connections:websocket` links): the
//!   TLS a browser would negotiate with the URL's host (certificate
//!   identity by RFC 6125, version, suite, group), the WebSocket handshake
//!   with the `xmpp` subprotocol (RFC 6455 §4, RFC 7395 §3.3), an
//!   `<open/>` (RFC 7395 §3.4) and the stream features it answers with:
//!   the SASL mechanisms and the channel-binding types, which a browser
//!   cannot use (it does not expose the TLS channel to pages).
//!
//! The HTTP and WebSocket octets are written here (one GET, one upgrade,
//! a few frames): no HTTP crate for that, as for POSH.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;
use xmpptls::ct::LogList;
use xmpptls::identity::Service;
use xmpptls::policy::{Finding, FindingCode, Severity};
use xmpptls::CertificateDer;
use xmpptls_observatory::report::{Discovery, Features, WebSocketEndpoint, WebSocketReport};

use super::dns::Dns;
use super::net::{self, connect_to, Deadline};
use super::posh::{get, get_over, https_config, split_response};
use super::{ct, scan, CheckArgs};

/// The link relation of a WebSocket endpoint (XEP-0156 §3, RFC 7395 §4).
const REL_WEBSOCKET: &str = "urn:xmpp:alt-connections:websocket";
/// RFC 6455 §1.3: appended to the key before hashing.
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// Longest wait for the server's `<open/>` and features once the
/// WebSocket is up (as for the stream features after TLS).
const ANSWER_WAIT: Duration = Duration::from_secs(3);
/// Most octets read from an endpoint (handshake answer and frames).
const MAX_READ: usize = 64 * 1024;

/// Where and how to look.
pub struct WsTarget<'a> {
    /// The check's arguments: whether to scan, and when CT applies.
    pub args: &'a CheckArgs<'a>,
    /// The CT log list.
    pub logs: &'a LogList,
    /// The XMPP domain.
    pub domain: &'a str,
    /// The resolver (`--dns`): names are resolved there when it is given.
    pub dns: Option<&'a Dns>,
    /// The port of the HTTPS discovery (443; another for tests).
    pub https_port: u16,
    /// The port of the plain-HTTP discovery (80; another for tests).
    pub http_port: u16,
}

/// Discovers and checks the WebSocket endpoints of `t.domain`.
pub fn check(
    t: &WsTarget<'_>,
    roots: &[CertificateDer<'static>],
    deadline: &Deadline,
) -> WebSocketReport {
    let mut report = WebSocketReport {
        discovery: discover(t, roots, deadline),
        ..WebSocketReport::default()
    };
    let mut findings = report.discovery.findings(t.domain);
    for url in report.discovery.links.clone() {
        let (e, mut f) = check_endpoint(t, &url, roots, deadline);
        report.endpoints.push(e);
        findings.append(&mut f);
    }
    report.findings = findings;
    report
}

fn finding(code: FindingCode, severity: Severity, rfc: &'static str, message: String) -> Finding {
    Finding::new(code, severity, rfc, message)
}

/// The host-meta documents over HTTPS, or over plain HTTP when HTTPS gave
/// no link.
fn discover(t: &WsTarget<'_>, roots: &[CertificateDer<'static>], deadline: &Deadline) -> Discovery {
    let connect = match t.dns {
        Some(d) => d.connect_to(t.domain).ok().map(|(c, _)| c),
        None => None,
    };
    let paths = ["/.well-known/host-meta", "/.well-known/host-meta.json"];
    let mut out = Discovery {
        over: "none",
        ..Discovery::default()
    };
    let mut links = Vec::new();
    for path in paths {
        match get(
            t.domain,
            connect.as_deref(),
            t.https_port,
            path,
            roots,
            deadline,
        ) {
            Ok(body) => add_links(&mut links, &body),
            Err(e) => {
                out.https_error.get_or_insert(e);
            }
        }
    }
    if !links.is_empty() {
        out.over = "https";
        out.links = links;
        return out;
    }
    for path in paths {
        let host = connect.as_deref().unwrap_or(t.domain);
        if let Ok(mut sock) = connect_to(host, t.http_port, deadline) {
            if let Ok(body) = get_over(&mut sock, t.domain, path, deadline) {
                add_links(&mut links, &body);
            }
        }
    }
    if !links.is_empty() {
        out.over = "http";
        out.links = links;
    }
    out
}

/// The WebSocket links of a host-meta document (XRD or JSON, XEP-0156 §3),
/// added to `links` once each.
fn add_links(links: &mut Vec<String>, body: &[u8]) {
    let text = String::from_utf8_lossy(body);
    let found: Vec<String> = if text.trim_start().starts_with('{') {
        serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("links").and_then(Value::as_array).cloned())
            .unwrap_or_default()
            .iter()
            .filter(|l| l.get("rel").and_then(Value::as_str) == Some(REL_WEBSOCKET))
            .filter_map(|l| l.get("href").and_then(Value::as_str).map(str::to_owned))
            .collect()
    } else {
        text.split("<Link")
            .skip(1)
            .filter_map(|rest| {
                let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
                (xml_attr(tag, "rel") == Some(REL_WEBSOCKET))
                    .then(|| xml_attr(tag, "href").map(str::to_owned))
                    .flatten()
            })
            .collect()
    };
    for l in found {
        if !links.contains(&l) {
            links.push(l);
        }
    }
}

/// An attribute of a start tag's text, in either quote.
fn xml_attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    ['\'', '"'].iter().find_map(|q| {
        let key = format!("{name}={q}");
        let at = tag.find(&key)?;
        let rest = &tag[at + key.len()..];
        rest.find(*q).map(|e| &rest[..e])
    })
}

/// A `ws://` or `wss://` URL: (secure, host, port, path).
fn split_url(url: &str) -> Option<(bool, String, u16, String)> {
    let (secure, rest) = match url.split_once("://")? {
        ("wss", r) => (true, r),
        ("ws", r) => (false, r),
        _ => return None,
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, p.parse().ok()?),
        _ => (authority, if secure { 443 } else { 80 }),
    };
    Some((secure, host.to_owned(), port, path))
}

/// One endpoint: its TLS, the upgrade, `<open/>` and the features.
fn check_endpoint(
    t: &WsTarget<'_>,
    url: &str,
    roots: &[CertificateDer<'static>],
    deadline: &Deadline,
) -> (WebSocketEndpoint, Vec<Finding>) {
    let mut e = WebSocketEndpoint {
        url: url.to_owned(),
        ..WebSocketEndpoint::default()
    };
    let mut findings = Vec::new();
    let Some((secure, host, port, path)) = split_url(url) else {
        e.error = Some("not a ws:// or wss:// URL".into());
        findings.push(not_xmpp(url, "it is not a ws:// or wss:// URL"));
        return (e, findings);
    };
    if !secure {
        findings.push(finding(
            FindingCode::WebsocketUnencrypted,
            Severity::Error,
            "RFC 7395 §9; RFC 7590 §3.1",
            format!("{url}: XMPP over WebSocket without TLS: passwords and messages travel in the clear"),
        ));
    }
    if !host.eq_ignore_ascii_case(t.domain) {
        findings.push(finding(
            FindingCode::WebsocketOtherDomain,
            Severity::Warning,
            "RFC 7395 §9; XEP-0156 §3",
            format!(
                "{url}: the endpoint is on {host}, not {}: a browser authenticates {host}, and only the discovery document ties it to the domain",
                t.domain
            ),
        ));
    }
    let connect = match t.dns.map(|d| d.connect_to(&host)) {
        Some(Ok((_, Some(why)))) | Some(Err(why)) => {
            e.error = Some(why.clone());
            findings.push(not_xmpp(url, &why));
            return (e, findings);
        }
        Some(Ok((c, None))) => c,
        None => host.clone(),
    };
    let sock = match connect_to(&connect, port, deadline) {
        Ok(s) => s,
        Err(why) => {
            e.error = Some(why.clone());
            findings.push(not_xmpp(url, &why));
            return (e, findings);
        }
    };
    let result = if secure {
        let mut chain = Vec::new();
        let r = over_tls(
            sock, &host, port, &path, t.domain, roots, deadline, &mut e, &mut chain,
        );
        if e.tls.is_some() {
            // The endpoint's TLS, checked like the c2s port's: every
            // version and suite it accepts, and its certificate's SCTs.
            let at = Place {
                url,
                connect: &connect,
                host: &host,
                port,
            };
            tls_like_c2s(t, &at, &chain, deadline, &mut e, &mut findings);
        }
        r
    } else {
        let mut sock = sock;
        open_stream(&mut sock, &host, port, &path, t.domain, deadline, &mut e)
    };
    if let Err((code, why)) = result {
        e.error = Some(why.clone());
        findings.push(match code {
            FindingCode::WebsocketCertificate => finding(
                code,
                Severity::Error,
                "RFC 6125; RFC 7395 §9",
                format!("{url}: the certificate does not verify for {host}: {why}"),
            ),
            _ => not_xmpp(url, &why),
        });
    }
    (e, findings)
}

/// Where an endpoint is.
struct Place<'a> {
    url: &'a str,
    /// What to connect to (an address from `--dns`, or the host).
    connect: &'a str,
    host: &'a str,
    port: u16,
}

/// The scan of a `wss://` endpoint (direct TLS, the host's name as SNI)
/// and the CT check of its chain, as `check` does for the c2s port; their
/// findings name the endpoint.
fn tls_like_c2s(
    t: &WsTarget<'_>,
    at: &Place<'_>,
    chain: &[CertificateDer<'static>],
    deadline: &Deadline,
    e: &mut WebSocketEndpoint,
    findings: &mut Vec<Finding>,
) {
    let named = |f: Finding| Finding {
        message: format!("{}: {}", at.url, f.message),
        ..f
    };
    if t.args.scan {
        let target = scan::ScanTarget {
            host: at.connect,
            port: at.port,
            domain: at.host,
            service: Service::XmppClient,
            direct_tls: true,
        };
        let profile = scan::run(&target, deadline, |_| {});
        findings.extend(profile.findings().into_iter().map(named));
        e.profile = Some(profile);
    }
    if let Some(r) = ct::check_chain(t.args, t.logs, chain) {
        findings.extend(r.findings.iter().cloned().map(named));
        e.ct = Some(r);
    }
}

fn not_xmpp(url: &str, why: &str) -> Finding {
    finding(
        FindingCode::WebsocketNotXmpp,
        Severity::Error,
        "RFC 7395 §3.3, §3.4",
        format!("{url}: no XMPP stream over WebSocket: {why}"),
    )
}

type Failure = (FindingCode, String);

/// The TLS handshake with the endpoint's host (PKIX and RFC 6125 identity
/// by rustls, as a browser checks), then the XMPP stream over it.
#[allow(clippy::too_many_arguments)]
fn over_tls(
    mut sock: std::net::TcpStream,
    host: &str,
    port: u16,
    path: &str,
    domain: &str,
    roots: &[CertificateDer<'static>],
    deadline: &Deadline,
    e: &mut WebSocketEndpoint,
    chain: &mut Vec<CertificateDer<'static>>,
) -> Result<(), Failure> {
    let other = |why: String| (FindingCode::WebsocketNotXmpp, why);
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|err| other(err.to_string()))?;
    let config = https_config(roots).map_err(other)?;
    let mut conn =
        rustls::ClientConnection::new(config, name).map_err(|err| other(err.to_string()))?;
    while conn.is_handshaking() {
        if let Err(err) = conn.complete_io(&mut sock) {
            let why = err.to_string();
            return Err(if why.contains("certificate") {
                (FindingCode::WebsocketCertificate, why)
            } else {
                other(format!("the TLS handshake failed: {why}"))
            });
        }
    }
    *chain = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
        .unwrap_or_default();
    e.tls = Some((
        conn.protocol_version()
            .map(|v| format!("{v:?}").replace('_', "."))
            .unwrap_or_default(),
        conn.negotiated_cipher_suite()
            .map(|s| format!("{:?}", s.suite()))
            .unwrap_or_default(),
        conn.negotiated_key_exchange_group()
            .map(|g| format!("{:?}", g.name()))
            .unwrap_or_default(),
    ));
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    open_stream(&mut tls, host, port, path, domain, deadline, e)
}

/// The upgrade with the `xmpp` subprotocol, `<open/>`, and the answer up
/// to the stream features (RFC 7395 §3.3, §3.4).
fn open_stream<S: Read + Write>(
    s: &mut S,
    host: &str,
    port: u16,
    path: &str,
    domain: &str,
    deadline: &Deadline,
    e: &mut WebSocketEndpoint,
) -> Result<(), Failure> {
    let fail = |why: String| (FindingCode::WebsocketNotXmpp, why);
    let rng = SystemRandom::new();
    let mut key = [0u8; 16];
    rng.fill(&mut key)
        .map_err(|_| fail("no randomness".into()))?;
    let key = base64_simd::STANDARD.encode_to_string(key);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\nUser-Agent: xmpptls-check\r\n\r\n"
    );
    s.write_all(request.as_bytes())
        .map_err(|err| fail(err.to_string()))?;
    let wait = Deadline(deadline.0.min(Instant::now() + ANSWER_WAIT));
    let mut got = Vec::new();
    let head_end = loop {
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        read_more(s, &mut got, &wait).map_err(fail)?;
    };
    let (head, _) = split_response(&got[..head_end]).map_err(fail)?;
    let status = head.split(' ').nth(1).unwrap_or("").to_owned();
    if status != "101" {
        return Err(fail(format!(
            "the upgrade was answered with HTTP status {status}"
        )));
    }
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let expected = base64_simd::STANDARD.encode_to_string(
        ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            format!("{key}{WEBSOCKET_GUID}").as_bytes(),
        )
        .as_ref(),
    );
    if header("sec-websocket-accept").as_deref() != Some(expected.as_str()) {
        return Err(fail(
            "the upgrade's Sec-WebSocket-Accept is wrong (RFC 6455 §4.2.2)".into(),
        ));
    }
    e.subprotocol =
        header("sec-websocket-protocol").is_some_and(|p| p.eq_ignore_ascii_case("xmpp"));
    if !e.subprotocol {
        return Err(fail(
            "the server did not agree to the xmpp subprotocol (RFC 7395 §3.3.1)".into(),
        ));
    }
    let open = format!(
        "<open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" to=\"{domain}\" version=\"1.0\"/>"
    );
    s.write_all(&frame(0x1, open.as_bytes(), &rng))
        .map_err(|err| fail(err.to_string()))?;
    let mut rest = got.split_off(head_end);
    let mut text = String::new();
    loop {
        while let Some((opcode, payload, used)) = parse_frame(&rest) {
            rest.drain(..used);
            match opcode {
                0x0 | 0x1 => text.push_str(&String::from_utf8_lossy(&payload)),
                0x8 => {
                    return match stream_error(&text) {
                        Some(condition) => {
                            e.refused = Some(condition);
                            Ok(())
                        }
                        None => Err(fail("the server closed the WebSocket".into())),
                    }
                }
                _ => {}
            }
        }
        if text.contains("<open") {
            if let Some(f) = net::element(&text, "<stream:features", "</stream:features>") {
                e.features = Some(Features::parse(f));
                let _ = s.write_all(&frame(0x8, &1000u16.to_be_bytes(), &rng));
                return Ok(());
            }
        }
        if text.contains("<close") {
            return match stream_error(&text) {
                Some(condition) => {
                    e.refused = Some(condition);
                    Ok(())
                }
                None => Err(fail("the server answered <open/> with <close/>".into())),
            };
        }
        read_more(s, &mut rest, &wait).map_err(|why| {
            fail(if text.is_empty() {
                format!("no answer to <open/>: {why}")
            } else {
                format!("no stream features after <open/>: {why}")
            })
        })?;
    }
}

/// The condition of a stream error (RFC 6120 §4.9.3) in `text`, if any.
fn stream_error(text: &str) -> Option<String> {
    let at = text.find("urn:ietf:params:xml:ns:xmpp-streams")?;
    let before = &text[..at];
    let start = before.rfind('<')? + 1;
    let name: String = before[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if name.is_empty() {
        return None;
    }
    // Its text, when the server gave one (RFC 6120 §4.9.2).
    let said = text[at..]
        .find("<text")
        .and_then(|i| {
            let rest = &text[at + i..];
            let body = &rest[rest.find('>')? + 1..];
            body.find("</text>").map(|e| body[..e].to_owned())
        })
        .filter(|t| !t.is_empty());
    Some(match said {
        Some(t) => format!("{name}: {t}"),
        None => name,
    })
}

/// Reads what comes, within `wait`, bounded by [`MAX_READ`].
fn read_more<S: Read>(s: &mut S, into: &mut Vec<u8>, wait: &Deadline) -> Result<(), String> {
    if wait.passed() {
        return Err(format!("nothing within {} s", ANSWER_WAIT.as_secs()));
    }
    if into.len() > MAX_READ {
        return Err(format!("more than {MAX_READ} octets"));
    }
    let mut buf = [0u8; 8192];
    match s.read(&mut buf) {
        Ok(0) => Err("the connection closed".into()),
        Ok(n) => {
            into.extend_from_slice(&buf[..n]);
            Ok(())
        }
        Err(err) => Err(err.to_string()),
    }
}

/// A client frame (RFC 6455 §5.2): final, `opcode`, masked.
fn frame(opcode: u8, payload: &[u8], rng: &SystemRandom) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let mut mask = [0u8; 4];
    let _ = rng.fill(&mut mask);
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// The first whole frame of `b`: (opcode, payload unmasked, octets used).
fn parse_frame(b: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    let opcode = b.first()? & 0x0f;
    let second = *b.get(1)?;
    let (len, mut at) = match second & 0x7f {
        126 => (usize::from(u16::from_be_bytes([*b.get(2)?, *b.get(3)?])), 4),
        127 => (
            usize::try_from(u64::from_be_bytes(b.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        n => (usize::from(n), 2),
    };
    let mask = if second & 0x80 != 0 {
        let m: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        Some(m)
    } else {
        None
    };
    let body = b.get(at..at.checked_add(len)?)?;
    let payload = match mask {
        Some(m) => body.iter().enumerate().map(|(i, x)| x ^ m[i % 4]).collect(),
        None => body.to_vec(),
    };
    Some((opcode, payload, at + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_from_xrd_and_json() {
        let mut links = Vec::new();
        add_links(
            &mut links,
            b"<?xml version='1.0'?><XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\
              <Link rel=\"urn:xmpp:alt-connections:websocket\" href=\"wss://a.example:5281/ws\"/>\
              <Link rel='urn:xmpp:alt-connections:xbosh' href='https://a.example/bosh'/></XRD>",
        );
        add_links(
            &mut links,
            br#"{"links":[{"rel":"urn:xmpp:alt-connections:websocket","href":"wss://a.example:5281/ws"},
                {"rel":"urn:xmpp:alt-connections:websocket","href":"ws://b.example/ws"}]}"#,
        );
        assert_eq!(links, ["wss://a.example:5281/ws", "ws://b.example/ws"]);
    }

    #[test]
    fn urls_and_frames() {
        assert_eq!(
            split_url("wss://a.example:5281/xmpp-websocket"),
            Some((true, "a.example".into(), 5281, "/xmpp-websocket".into()))
        );
        assert_eq!(
            split_url("ws://a.example"),
            Some((false, "a.example".into(), 80, "/".into()))
        );
        assert_eq!(split_url("https://a.example/"), None);
        assert_eq!(
            stream_error("<open/><stream:error xmlns:stream='x'><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"),
            Some("policy-violation".into())
        );
        assert_eq!(stream_error("<open/>"), None);
        let rng = SystemRandom::new();
        for len in [5usize, 300, 70_000] {
            let payload = vec![b'x'; len];
            let f = frame(0x1, &payload, &rng);
            assert_eq!(parse_frame(&f), Some((0x1, payload.clone(), f.len())));
            assert_eq!(parse_frame(&f[..f.len() - 1]), None);
        }
    }
}
