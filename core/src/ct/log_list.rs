//! The CT log list in the v3 JSON format Google publishes
//! (`https://www.gstatic.com/ct/log_list/v3/log_list.json`, schema
//! `log_list_schema.json`): operators, their logs, each log's id, key, state
//! and the interval of certificate expiry it accepts. Data, not code: the
//! command bundles a snapshot and takes a newer file.

use serde_json::Value;

use super::{err, CtError};
use crate::identity::x509::parse_rfc3339;

/// A log's state in the list (Chrome's CT log states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogState {
    /// Not yet trusted.
    Pending,
    /// Trusted for new SCTs.
    Qualified,
    /// Trusted for new SCTs.
    Usable,
    /// Trusted, frozen: no new entries.
    ReadOnly,
    /// Trusted for SCTs from before the retirement only.
    Retired,
    /// Never trusted.
    Rejected,
}

impl LogState {
    /// The state's name in the list.
    pub fn name(self) -> &'static str {
        match self {
            LogState::Pending => "pending",
            LogState::Qualified => "qualified",
            LogState::Usable => "usable",
            LogState::ReadOnly => "readonly",
            LogState::Retired => "retired",
            LogState::Rejected => "rejected",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "pending" => LogState::Pending,
            "qualified" => LogState::Qualified,
            "usable" => LogState::Usable,
            "readonly" => LogState::ReadOnly,
            "retired" => LogState::Retired,
            "rejected" => LogState::Rejected,
            _ => return None,
        })
    }
}

/// One log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransparencyLog {
    /// Its operator's name.
    pub operator: String,
    /// Its description (`Google 'Argon2024' log`).
    pub description: String,
    /// SHA-256 of its key (RFC 6962 §3.2).
    pub log_id: [u8; 32],
    /// Its public key, a DER SubjectPublicKeyInfo.
    pub key: Vec<u8>,
    /// Its state, and since when (Unix seconds).
    pub state: Option<(LogState, i64)>,
    /// The certificate expiry dates it accepts, `[start, end)` in Unix
    /// seconds (a temporally sharded log).
    pub interval: Option<(i64, i64)>,
}

/// A log list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogList {
    /// Every log, in the list's order.
    pub logs: Vec<TransparencyLog>,
    /// When the list was made (Unix seconds): its `log_list_timestamp`, or
    /// else the newest state change it records.
    pub date: Option<i64>,
}

fn b64(v: &Value, field: &str) -> Result<Vec<u8>, CtError> {
    let text = v
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| err(format!("a log without {field}")))?;
    base64_simd::STANDARD
        .decode_to_vec(text.as_bytes())
        .map_err(|_| err(format!("a log's {field} is not base64")))
}

fn time(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_str).and_then(parse_rfc3339)
}

impl LogList {
    /// Reads a v3 log list; an error names what is wrong.
    pub fn parse(json: &str) -> Result<Self, CtError> {
        let v: Value = serde_json::from_str(json).map_err(|e| err(format!("log list: {e}")))?;
        let operators = v
            .get("operators")
            .and_then(Value::as_array)
            .ok_or_else(|| err("log list: no operators"))?;
        let mut list = LogList {
            logs: Vec::new(),
            date: time(v.get("log_list_timestamp")),
        };
        let mut newest = None;
        for op in operators {
            let operator = op
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            for log in op
                .get("logs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = b64(log, "log_id")?;
                let log_id: [u8; 32] = id
                    .try_into()
                    .map_err(|_| err("a log id that is not 32 octets"))?;
                let key = b64(log, "key")?;
                // RFC 6962 §3.2: the id is the key's SHA-256; a list where
                // they differ cannot be trusted for either.
                if ring::digest::digest(&ring::digest::SHA256, &key).as_ref() != log_id {
                    return Err(err("a log whose id is not its key's SHA-256"));
                }
                let state = log.get("state").and_then(Value::as_object).and_then(|m| {
                    m.iter().find_map(|(name, s)| {
                        Some((LogState::from_name(name)?, time(s.get("timestamp"))?))
                    })
                });
                if let Some((_, t)) = state {
                    newest = newest.max(Some(t));
                }
                let interval = log.get("temporal_interval").and_then(|i| {
                    Some((
                        time(i.get("start_inclusive"))?,
                        time(i.get("end_exclusive"))?,
                    ))
                });
                list.logs.push(TransparencyLog {
                    operator: operator.clone(),
                    description: log
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    log_id,
                    key,
                    state,
                    interval,
                });
            }
        }
        list.date = list.date.or(newest);
        Ok(list)
    }

    /// The log with id `id`.
    pub fn log(&self, id: &[u8; 32]) -> Option<&TransparencyLog> {
        self.logs.iter().find(|l| &l.log_id == id)
    }
}
