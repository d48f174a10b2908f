//! The facade's records as JSON, in JavaScript's casing (camelCase): what
//! the npm package hands out, written once here from the core's types so
//! that the binding only moves the value across (`JSON.parse`). Each
//! function matches its type exhaustively or names every field, so a new
//! variant fails to build here and a new field is one line here, not in a
//! binding. The report inside stays the report JSON (README, "Report
//! JSON": snake_case, stable field names), with `text` added.

use serde_json::{json, Map, Value};

use super::event::{CloseReason, TunnelEvent, TunnelSummary};
use super::names::Named;
use super::posh::PoshResult;
use super::report::ReportSummary;
use super::settings::IdentityPem;

impl ReportSummary {
    /// The report JSON with `text` added (`Report` in the npm package).
    pub fn to_json_value(&self) -> Value {
        let mut v = self.report_json();
        v["text"] = Value::from(self.text.as_str());
        v
    }
}

impl TunnelSummary {
    /// `TunnelInfo` in the npm package.
    pub fn to_json_value(&self) -> Value {
        json!({
            "role": self.role.name(),
            "tlsVersion": self.tls_version,
            "cipherSuite": self.cipher_suite,
            "kxGroup": self.kx_group,
            "resumed": self.resumed,
            "peerAuth": self.peer_auth,
            "authentication": self.authentication.name(),
            "firstUse": self.first_use,
            "peerCertificateSha256": self.peer_certificate_sha256,
            "peerSpkiSha256": self.peer_spki_sha256,
            "offerVerified": self.offer_verified,
            "report": self.report.to_json_value(),
        })
    }
}

impl TunnelEvent {
    /// One flat object, a discriminated union on `type` (`TunnelEvent` in
    /// the npm package): `type` and `peer`, then exactly the fields of the
    /// variant; a closed tunnel's `reason` by its name, with `waited` or
    /// `code` and `detail` beside it.
    pub fn to_json_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), self.kind().name().into());
        m.insert("peer".into(), self.peer().into());
        let mut put = |k: &str, v: Value| m.insert(k.into(), v);
        match self {
            TunnelEvent::Established { info, .. } => put("info", info.to_json_value()),
            TunnelEvent::Stanza { stanza, .. } => put("stanza", stanza.as_str().into()),
            TunnelEvent::StanzaRejected { code, detail, .. } => {
                put("code", (*code).into());
                put("detail", detail.as_str().into())
            }
            TunnelEvent::Closed {
                reason, returned, ..
            } => {
                put("reason", reason.kind().name().into());
                match reason {
                    CloseReason::Timeout { waited } => {
                        put("waited", waited.name().into());
                    }
                    CloseReason::Error { code, detail } => {
                        put("code", (*code).into());
                        put("detail", detail.as_str().into());
                    }
                    CloseReason::Local
                    | CloseReason::Peer
                    | CloseReason::PeerUnavailable
                    | CloseReason::PeerRestarted => {}
                }
                let back = returned
                    .iter()
                    .map(|r| json!({"stanza": r.stanza, "maybeDelivered": r.maybe_delivered}));
                put("returned", Value::Array(back.collect()))
            }
        };
        Value::Object(m)
    }
}

impl IdentityPem {
    /// `IdentityPem` in the npm package.
    pub fn to_json_value(&self) -> Value {
        json!({"chainPem": self.chain_pem, "keyPem": self.key_pem, "pin": self.pin})
    }
}

impl PoshResult {
    /// `PoshResult` in the npm package.
    pub fn to_json_value(&self) -> Value {
        json!({"outcome": self.outcome.name(), "algorithm": self.algorithm, "detail": self.detail})
    }
}
