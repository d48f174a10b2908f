//! The facade's records as JSON: serialized from the core's types (serde),
//! so that a binding only moves the value across (`JSON.parse`) and a new
//! field reaches every JSON form without a line here. The npm package's
//! records are camelCase; the report inside stays the report JSON (README,
//! "Report JSON": snake_case, stable field names), with `text` added. Events
//! are flattened into one object per kind below, matched exhaustively so
//! that a new kind fails to build here.

use serde_json::{json, Map, Value};

use super::event::{CloseReason, TunnelEvent};
use super::names::Named;

/// A record of the model as a JSON value, serialized from its type (serde):
/// the report JSON (snake_case, README "Report JSON"), and the npm
/// package's `TunnelInfo`, `IdentityPem` and `PoshResult` (camelCase, the
/// report inside them staying the report JSON).
pub trait ToJson {
    /// The value; `null` where the type cannot be written as JSON (a map
    /// with keys other than strings, which no record of the model has).
    fn to_json_value(&self) -> Value;
}

impl<T: serde::Serialize> ToJson for T {
    fn to_json_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
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
