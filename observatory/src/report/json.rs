//! A check for programs: the report's stable JSON fields (README) plus the
//! grade, the scan, the stream, the endpoint, DANE and POSH.

use serde_json::json;

use super::TargetReport;
use crate::Profile;

/// The check as JSON: the report's stable fields, plus `grade`, `scan`,
/// `stream` and `elapsed_ms`.
pub fn target_json(o: &TargetReport) -> serde_json::Value {
    let mut v = o.report.to_json_value();
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "grade".into(),
            json!({
                "grade": o.grade.grade.as_str(),
                "score": o.grade.score.total,
                "protocol": o.grade.score.protocol,
                "key_exchange": o.grade.score.key_exchange,
                "cipher": o.grade.score.cipher,
                "caps": o.grade.caps.iter().map(|(g, why)| json!({"grade": g.as_str(), "why": why})).collect::<Vec<_>>(),
            }),
        );
        obj.insert(
            "scan".into(),
            o.profile
                .as_ref()
                .map_or(serde_json::Value::Null, Profile::to_json_value),
        );
        let before = o.features.as_ref();
        let after = o.features_tls.as_ref();
        obj.insert(
            "stream".into(),
            json!({
                "starttls": before.map(|f| f.starttls),
                "starttls_required": before.map(|f| f.required),
                "sasl_before_tls": before.map(|f| &f.mechanisms),
                "sasl_after_tls": after.map(|f| &f.mechanisms),
                "channel_bindings": after.map(|f| &f.channel_bindings),
                "dialback": before.into_iter().chain(after).any(|f| f.dialback),
            }),
        );
        obj.insert(
            "endpoint".into(),
            json!({"host": o.endpoint.host, "port": o.endpoint.port, "direct_tls": o.endpoint.direct_tls, "source": o.endpoint.source}),
        );
        obj.insert(
            "dane".into(),
            o.dane.as_ref().map_or(serde_json::Value::Null, |d| {
                json!({"records": d.records, "secure": d.secure, "outcome": d.outcome, "authenticated": d.authenticated})
            }),
        );
        obj.insert(
            "posh".into(),
            o.posh.as_ref().map_or(
                serde_json::Value::Null,
                |p| json!({"url": p.url, "outcome": p.outcome, "authenticated": p.authenticated}),
            ),
        );
        obj.insert("elapsed_ms".into(), json!(o.elapsed.as_millis() as u64));
    }
    v
}
