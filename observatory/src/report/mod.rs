//! The typed report of `xmpptls check`: one [`TargetReport`] per place the
//! check connected to (the connection report with every finding, the scan,
//! the grade, the stream, DANE, POSH, CT) and the domain's WebSocket
//! endpoints, assembled here and rendered as text, JSON and HTML, so the
//! command only does the IO and prints.

mod features;
mod html;
mod json;
mod target;
mod text;
mod websocket;

use serde_json::{json, Value};
use xmpptls::policy::Verdict;

pub use features::Features;
pub use html::{esc, html_page, target_html};
pub use json::target_json;
pub use target::{grade_of, DaneSummary, Endpoint, PoshSummary, TargetReport};
pub use text::target_text;
pub use websocket::{Discovery, WebSocketEndpoint, WebSocketReport};

/// Everything one check of a domain found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The XMPP domain.
    pub domain: String,
    /// One report per place: every SRV target (RFC 6120 §3.2.1, XEP-0368)
    /// or the fallback, or the one place given. Empty when the SRV records
    /// say the service is not available (target ".").
    pub targets: Vec<TargetReport>,
    /// The WebSocket endpoints (XEP-0156, RFC 7395), when asked.
    pub websocket: Option<WebSocketReport>,
}

impl CheckReport {
    /// True unless a place's verdict is fail, the WebSocket check has an
    /// error (it has no grade of its own), or there is no place at all:
    /// what the exit code follows.
    pub fn passed(&self) -> bool {
        !self.targets.is_empty()
            && self
                .targets
                .iter()
                .all(|t| t.report.evaluation.verdict != Verdict::Fail)
            && !self.websocket.as_ref().is_some_and(WebSocketReport::failed)
    }

    /// A bare domain (SRV or the fallback) is shown as a list of places;
    /// one given place as that place's report.
    fn listed(&self) -> bool {
        self.targets.len() > 1 || self.targets.iter().any(|t| t.endpoint.source != "given")
    }

    fn no_service(&self) -> String {
        format!(
            "{}: its SRV records say the service is not available (target \".\")",
            self.domain
        )
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        if self.targets.is_empty() {
            return format!("{}\n", self.no_service());
        }
        let mut out = String::new();
        for t in &self.targets {
            if self.listed() {
                out.push_str(&format!(
                    "== {}:{} ({})\n",
                    t.endpoint.host, t.endpoint.port, t.endpoint.source
                ));
            }
            out.push_str(&target_text(t));
        }
        if let Some(w) = &self.websocket {
            out.push_str(&w.to_text());
        }
        out
    }

    /// The report for programs: `{domain, targets, websocket}` for a
    /// domain, the place's own object (plus `websocket`) for one given
    /// place, `{domain, targets: [], error}` when there is no service.
    pub fn to_json(&self) -> Value {
        if self.targets.is_empty() {
            return json!({"domain": self.domain, "targets": [], "error": self.no_service()});
        }
        let mut v = if self.listed() {
            json!({"domain": self.domain, "targets": self.targets.iter().map(target_json).collect::<Vec<_>>()})
        } else {
            target_json(&self.targets[0])
        };
        if let (Some(w), Some(obj)) = (&self.websocket, v.as_object_mut()) {
            obj.insert("websocket".into(), w.to_json());
        }
        v
    }

    /// One self-contained HTML page: a section per place, then the
    /// WebSocket endpoints.
    pub fn to_html(&self) -> String {
        let mut sections: String = self.targets.iter().map(target_html).collect();
        if let Some(w) = &self.websocket {
            sections.push_str(&w.to_html());
        }
        html_page(&self.domain, &sections)
    }
}

#[cfg(test)]
mod tests {
    use xmpptls::policy::Policy;

    use super::*;

    fn place(source: &str) -> TargetReport {
        let e = Endpoint {
            host: "xmpp.example.net".into(),
            connect: "xmpp.example.net".into(),
            port: 5222,
            direct_tls: false,
            source: source.into(),
            unresolved: None,
        };
        TargetReport::unreachable(&e, "example.net", &Policy::strict(), "refused".into())
    }

    fn check(targets: Vec<TargetReport>, websocket: Option<WebSocketReport>) -> CheckReport {
        CheckReport {
            domain: "example.net".into(),
            targets,
            websocket,
        }
    }

    #[test]
    fn no_service_fails_and_says_so_in_every_form() {
        let r = check(vec![], None);
        assert!(!r.passed());
        assert!(r.to_text().contains("not available"));
        assert_eq!(r.to_json()["targets"], json!([]));
        assert!(r.to_json()["error"].is_string());
    }

    #[test]
    fn a_given_place_is_its_own_object_and_srv_places_a_list() {
        let given = check(vec![place("given")], None);
        assert_eq!(given.to_json()["endpoint"]["source"], "given");
        assert!(!given.to_text().starts_with("=="));
        let srv = check(vec![place("SRV"), place("SRV")], None);
        let v = srv.to_json();
        assert_eq!(v["domain"], "example.net");
        assert_eq!(v["targets"].as_array().map(Vec::len), Some(2));
        assert_eq!(srv.to_text().matches("== xmpp.example.net:5222").count(), 2);
        // An unreachable place is an error: the check does not pass.
        assert!(!srv.passed());
        // One HTML document for every place (issue 22 #11).
        assert_eq!(srv.to_html().matches("<!doctype html>").count(), 1);
    }

    #[test]
    fn the_websocket_part_joins_every_form_and_its_errors_fail_the_check() {
        let mut ok = place("given");
        ok.report.evaluation.findings.clear();
        ok.report.evaluation.verdict = Verdict::Pass;
        let discovery = Discovery {
            over: "http",
            links: vec!["wss://example.net/xmpp-websocket".into()],
            https_error: None,
        };
        let ws = WebSocketReport {
            findings: discovery.findings("example.net"),
            discovery,
            endpoints: vec![],
        };
        let r = check(vec![ok.clone()], Some(ws));
        assert!(r.to_json()["websocket"]["findings"][0]["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("websocket-")));
        assert!(r.to_text().contains("== WebSocket"));
        assert!(r.to_html().contains("WebSocket (XEP-0156"));
        assert!(!r.passed(), "discovery over plain HTTP is an error");
        assert!(check(vec![ok], None).passed());
    }
}
