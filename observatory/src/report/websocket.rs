//! The XMPP-over-WebSocket part of a domain's check (XEP-0156 discovery,
//! RFC 7395 endpoints) as data, and its text, JSON and HTML.

use serde_json::{json, Value};
use xmpptls::policy::{Finding, FindingCode, Severity};

use xmpptls::api::ToJson;
use xmpptls::ct::CtReport;

use super::Features;
use crate::{version_name, Profile};

/// What discovery found.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// `https`, `http` or `none`: how the endpoints were found.
    pub over: &'static str,
    /// The endpoints' URLs, in the documents' order.
    pub links: Vec<String>,
    /// Why the HTTPS documents could not be read, when they could not.
    pub https_error: Option<String>,
}

/// One endpoint, checked.
#[derive(Debug, Clone, Default)]
pub struct WebSocketEndpoint {
    /// Its URL.
    pub url: String,
    /// TLS version, suite and key exchange group (`wss://`).
    pub tls: Option<(String, String, String)>,
    /// The server answered the upgrade with the `xmpp` subprotocol.
    pub subprotocol: bool,
    /// The server sent `<open/>` and its stream features.
    pub features: Option<Features>,
    /// The server speaks XMPP here but refused the stream: the stream
    /// error's condition and text (Prosody refuses `ws://` when c2s
    /// requires encryption: `undefined-condition: No stream features to
    /// proceed with`).
    pub refused: Option<String>,
    /// Why the check of this endpoint stopped.
    pub error: Option<String>,
    /// What its TLS accepts (`wss://`, scanned as the c2s port is).
    pub profile: Option<Profile>,
    /// Certificate transparency of its certificate, when it applies.
    pub ct: Option<CtReport>,
}

/// The WebSocket part of a domain's check.
#[derive(Debug, Clone, Default)]
pub struct WebSocketReport {
    /// Discovery.
    pub discovery: Discovery,
    /// Every endpoint discovery named.
    pub endpoints: Vec<WebSocketEndpoint>,
    /// What is wrong or worth knowing.
    pub findings: Vec<Finding>,
}

impl Discovery {
    /// What discovery alone says (XEP-0156 §3): documents behind a
    /// certificate that does not verify, endpoints advertised over plain
    /// HTTP only, or none advertised.
    pub fn findings(&self, domain: &str) -> Vec<Finding> {
        let d = self;
        let mut findings = Vec::new();
        if let Some(e) = d.https_error.as_ref().filter(|e| e.contains("certificate")) {
            findings.push(Finding::new(
                FindingCode::WebsocketDiscoveryUntrusted,
                Severity::Error,
                "XEP-0156 §3; RFC 6125",
                format!("https://{}/.well-known/host-meta: {e}", domain),
            ));
        }
        match d.over {
            "http" => findings.push(Finding::new(
                FindingCode::WebsocketDiscoveryInsecure,
                Severity::Error,
                "XEP-0156 §3",
                format!(
                    "the WebSocket endpoint is advertised only over plain HTTP (http://{}/.well-known/host-meta): anyone on the path can point browser clients elsewhere",
                    domain
                ),
            )),
            "none" => findings.push(Finding::new(
                FindingCode::WebsocketNotFound,
                Severity::Warning,
                "XEP-0156 §3; RFC 7395 §4",
                format!(
                    "no WebSocket endpoint is advertised in https://{}/.well-known/host-meta or host-meta.json: browser clients cannot find one",
                    domain
                ),
            )),
            _ => {}
        }
        findings
    }
}

impl WebSocketReport {
    /// True when a finding is an error.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The JSON form (`"websocket"` in `check --json`).
    pub fn to_json(&self) -> Value {
        json!({
            "discovery": {
                "over": self.discovery.over,
                "links": self.discovery.links,
                "https_error": self.discovery.https_error,
            },
            "endpoints": self.endpoints.iter().map(|e| json!({
                "url": e.url,
                "tls": e.tls.as_ref().map(|(v, s, g)| json!({"version": v, "suite": s, "group": g})),
                "subprotocol": e.subprotocol,
                "xmpp": e.features.is_some(),
                "refused": e.refused,
                "mechanisms": e.features.as_ref().map(|f| f.mechanisms.clone()),
                "channel_bindings": e.features.as_ref().map(|f| f.channel_bindings.clone()),
                "error": e.error,
                "scan": e.profile.as_ref().map(Profile::to_json_value),
                "ct": e.ct.as_ref().map(|c| xmpptls::api::CtSummary::from(c).to_json_value()),
            })).collect::<Vec<_>>(),
            "findings": self.findings.iter().map(|f| json!({
                "code": f.code, "severity": f.severity.as_str(), "rfc": f.rfc, "message": f.message,
            })).collect::<Vec<_>>(),
        })
    }

    /// The text form, after the targets' reports.
    pub fn to_text(&self) -> String {
        let mut out = String::from("== WebSocket (XEP-0156, RFC 7395)\n");
        let d = &self.discovery;
        out.push_str(&format!(
            "Discovery:    {}\n",
            match d.over {
                "https" => format!("host-meta over HTTPS, {} endpoint(s)", d.links.len()),
                "http" => format!(
                    "host-meta over plain HTTP only, {} endpoint(s)",
                    d.links.len()
                ),
                _ => "no WebSocket endpoint advertised".to_owned(),
            }
        ));
        for e in &self.endpoints {
            out.push_str(&format!("Endpoint:     {}\n", e.url));
            if let Some((v, s, g)) = &e.tls {
                out.push_str(&format!("  TLS:        {v}, {s}, {g}\n"));
            }
            if let Some(p) = &e.profile {
                out.push_str(&format!("  Accepts:    {}\n", accepts(p)));
            }
            if let Some(ct) = &e.ct {
                let line = ct.to_text();
                out.push_str(&format!(
                    "  CT:         {}",
                    line.trim_start_matches("CT").trim_start()
                ));
            }
            match (&e.features, &e.error) {
                (Some(f), _) => {
                    out.push_str(&format!(
                        "  XMPP:       <open/> answered; SASL {}\n",
                        if f.mechanisms.is_empty() {
                            "none".to_owned()
                        } else {
                            f.mechanisms.join(", ")
                        }
                    ));
                    if !f.channel_bindings.is_empty() {
                        out.push_str(&format!(
                            "  Binding:    {} (a browser cannot use channel binding)\n",
                            f.channel_bindings.join(", ")
                        ));
                    }
                }
                (None, Some(why)) => out.push_str(&format!("  XMPP:       no ({why})\n")),
                (None, None) => {}
            }
            if let Some(condition) = &e.refused {
                out.push_str(&format!(
                    "  XMPP:       the stream was refused: {condition}\n"
                ));
            }
        }
        if !self.findings.is_empty() {
            out.push_str("Findings:\n");
            for f in &self.findings {
                out.push_str(&format!("  - {f}\n"));
            }
        }
        out
    }

    /// The HTML section.
    pub fn to_html(&self) -> String {
        let esc = super::html::esc;
        let rows: String = self
            .endpoints
            .iter()
            .map(|e| {
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&e.url),
                    e.tls
                        .as_ref()
                        .map(|(v, s, g)| esc(&format!("{v}, {s}, {g}")))
                        .unwrap_or_default(),
                    e.profile
                        .as_ref()
                        .map(|p| esc(&accepts(p)))
                        .unwrap_or_default(),
                    match (&e.features, &e.error, &e.refused) {
                        (Some(f), _, _) => esc(&format!("SASL {}", f.mechanisms.join(", "))),
                        (None, Some(why), _) => esc(why),
                        (None, None, Some(c)) => esc(&format!("refused: {c}")),
                        (None, None, None) => String::new(),
                    }
                )
            })
            .collect();
        let findings = super::html::findings_list(&self.findings);
        format!(
            "<section><h2>WebSocket (XEP-0156, RFC 7395)</h2><p>Discovery: {}</p><table><tr><th>endpoint</th><th>TLS</th><th>accepts</th><th>XMPP</th></tr>{rows}</table><h3>Findings</h3><ul>{findings}</ul></section>\n",
            esc(self.discovery.over)
        )
    }
}

/// What a scanned endpoint accepts, in one line: each version with its
/// number of suites, the refused ones, and post-quantum key exchange.
fn accepts(p: &Profile) -> String {
    let mut parts: Vec<String> = p
        .versions
        .iter()
        .map(|v| format!("{} ({} suites)", version_name(v.version), v.suites.len()))
        .collect();
    if !p.refused.is_empty() {
        let refused: Vec<String> = p.refused.iter().map(|(v, _)| version_name(*v)).collect();
        parts.push(format!("refused {}", refused.join(", ")));
    }
    parts.push(format!(
        "post-quantum {}",
        if p.post_quantum_groups().is_empty() {
            "no"
        } else {
            "yes"
        }
    ));
    if let Some(why) = &p.incomplete {
        parts.push(format!("scan incomplete: {why}"));
    }
    parts.join("; ")
}
