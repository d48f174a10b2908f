//! Every limit of an endpoint as plain numbers, with one set of names and
//! defaults for every runtime: C sets them by name
//! (`xmpptls_endpoint_config_set_limit`), JavaScript through an object
//! (`limits: { ackTimeoutSecs: 60 }`), Kotlin, Swift and Python through
//! this record. Each is documented once, on [`Limits`].

use std::time::Duration;

use crate::error::Error;
use crate::xtls::Limits;

/// [`Limits`] as plain numbers: sizes and counts as integers, deadlines
/// in whole seconds (the resolution of the clock the endpoint is given).
/// The defaults are [`Limits::default`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LimitSettings {
    /// [`Limits::max_data_bytes`] (default 6,173).
    #[cfg_attr(feature = "uniffi", uniffi(default = 6173))]
    pub max_data_bytes: u64,
    /// [`Limits::max_in_flight`] (default 16).
    #[cfg_attr(feature = "uniffi", uniffi(default = 16))]
    pub max_in_flight: u64,
    /// [`Limits::coalesce_bytes`] (default 2 KiB).
    #[cfg_attr(feature = "uniffi", uniffi(default = 2048))]
    pub coalesce_bytes: u64,
    /// [`Limits::max_buffered_bytes`] (default 1 MiB).
    #[cfg_attr(feature = "uniffi", uniffi(default = 1048576))]
    pub max_buffered_bytes: u64,
    /// [`Limits::max_stanza_bytes`] (default 128 KiB).
    #[cfg_attr(feature = "uniffi", uniffi(default = 131072))]
    pub max_stanza_bytes: u64,
    /// [`Limits::max_tunnels`] (default 64).
    #[cfg_attr(feature = "uniffi", uniffi(default = 64))]
    pub max_tunnels: u64,
    /// [`Limits::max_half_open`] (default 16).
    #[cfg_attr(feature = "uniffi", uniffi(default = 16))]
    pub max_half_open: u64,
    /// [`Limits::max_half_open_per_peer`] (default 2).
    #[cfg_attr(feature = "uniffi", uniffi(default = 2))]
    pub max_half_open_per_peer: u64,
    /// [`Limits::initial_window_bytes`] (default 16,413).
    #[cfg_attr(feature = "uniffi", uniffi(default = 16413))]
    pub initial_window_bytes: u64,
    /// [`Limits::remembered_tunnels`] (default 64).
    #[cfg_attr(feature = "uniffi", uniffi(default = 64))]
    pub remembered_tunnels: u64,
    /// [`Limits::resumption_sessions`] (default 256).
    #[cfg_attr(feature = "uniffi", uniffi(default = 256))]
    pub resumption_sessions: u64,
    /// [`Limits::start_timeout`] in seconds (default 30).
    #[cfg_attr(feature = "uniffi", uniffi(default = 30))]
    pub start_timeout_secs: u64,
    /// [`Limits::handshake_timeout`] in seconds (default 30).
    #[cfg_attr(feature = "uniffi", uniffi(default = 30))]
    pub handshake_timeout_secs: u64,
    /// [`Limits::half_open_timeout`] in seconds (default 10).
    #[cfg_attr(feature = "uniffi", uniffi(default = 10))]
    pub half_open_timeout_secs: u64,
    /// [`Limits::ack_timeout`] in seconds (default 30).
    #[cfg_attr(feature = "uniffi", uniffi(default = 30))]
    pub ack_timeout_secs: u64,
    /// [`Limits::close_timeout`] in seconds (default 10).
    #[cfg_attr(feature = "uniffi", uniffi(default = 10))]
    pub close_timeout_secs: u64,
}

/// The names of [`LimitSettings`]' fields, in order: what C's
/// `xmpptls_endpoint_config_set_limit` and JavaScript's `limits` object
/// (in camelCase) take.
pub const LIMIT_NAMES: [&str; 16] = [
    "max_data_bytes",
    "max_in_flight",
    "coalesce_bytes",
    "max_buffered_bytes",
    "max_stanza_bytes",
    "max_tunnels",
    "max_half_open",
    "max_half_open_per_peer",
    "initial_window_bytes",
    "remembered_tunnels",
    "resumption_sessions",
    "start_timeout_secs",
    "handshake_timeout_secs",
    "half_open_timeout_secs",
    "ack_timeout_secs",
    "close_timeout_secs",
];

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings::from(&Limits::default())
    }
}

/// A count or size as u64 (usize is at most 64 bits on every target).
fn wide(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A u64 as a count or size, saturating on 32-bit targets.
fn narrow(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl From<&Limits> for LimitSettings {
    fn from(l: &Limits) -> Self {
        LimitSettings {
            max_data_bytes: wide(l.max_data_bytes),
            max_in_flight: wide(l.max_in_flight),
            coalesce_bytes: wide(l.coalesce_bytes),
            max_buffered_bytes: wide(l.max_buffered_bytes),
            max_stanza_bytes: wide(l.max_stanza_bytes),
            max_tunnels: wide(l.max_tunnels),
            max_half_open: wide(l.max_half_open),
            max_half_open_per_peer: wide(l.max_half_open_per_peer),
            initial_window_bytes: wide(l.initial_window_bytes),
            remembered_tunnels: wide(l.remembered_tunnels),
            resumption_sessions: wide(l.resumption_sessions),
            start_timeout_secs: l.start_timeout.as_secs(),
            handshake_timeout_secs: l.handshake_timeout.as_secs(),
            half_open_timeout_secs: l.half_open_timeout.as_secs(),
            ack_timeout_secs: l.ack_timeout.as_secs(),
            close_timeout_secs: l.close_timeout.as_secs(),
        }
    }
}

impl From<&LimitSettings> for Limits {
    fn from(s: &LimitSettings) -> Self {
        Limits {
            max_data_bytes: narrow(s.max_data_bytes),
            max_in_flight: narrow(s.max_in_flight),
            coalesce_bytes: narrow(s.coalesce_bytes),
            max_buffered_bytes: narrow(s.max_buffered_bytes),
            max_stanza_bytes: narrow(s.max_stanza_bytes),
            max_tunnels: narrow(s.max_tunnels),
            max_half_open: narrow(s.max_half_open),
            max_half_open_per_peer: narrow(s.max_half_open_per_peer),
            initial_window_bytes: narrow(s.initial_window_bytes),
            remembered_tunnels: narrow(s.remembered_tunnels),
            resumption_sessions: narrow(s.resumption_sessions),
            start_timeout: Duration::from_secs(s.start_timeout_secs),
            handshake_timeout: Duration::from_secs(s.handshake_timeout_secs),
            half_open_timeout: Duration::from_secs(s.half_open_timeout_secs),
            ack_timeout: Duration::from_secs(s.ack_timeout_secs),
            close_timeout: Duration::from_secs(s.close_timeout_secs),
        }
    }
}

impl LimitSettings {
    /// The field called `name` (one of [`LIMIT_NAMES`]): the one table
    /// from names to fields.
    fn field(&mut self, name: &str) -> Option<&mut u64> {
        Some(match name {
            "max_data_bytes" => &mut self.max_data_bytes,
            "max_in_flight" => &mut self.max_in_flight,
            "coalesce_bytes" => &mut self.coalesce_bytes,
            "max_buffered_bytes" => &mut self.max_buffered_bytes,
            "max_stanza_bytes" => &mut self.max_stanza_bytes,
            "max_tunnels" => &mut self.max_tunnels,
            "max_half_open" => &mut self.max_half_open,
            "max_half_open_per_peer" => &mut self.max_half_open_per_peer,
            "initial_window_bytes" => &mut self.initial_window_bytes,
            "remembered_tunnels" => &mut self.remembered_tunnels,
            "resumption_sessions" => &mut self.resumption_sessions,
            "start_timeout_secs" => &mut self.start_timeout_secs,
            "handshake_timeout_secs" => &mut self.handshake_timeout_secs,
            "half_open_timeout_secs" => &mut self.half_open_timeout_secs,
            "ack_timeout_secs" => &mut self.ack_timeout_secs,
            "close_timeout_secs" => &mut self.close_timeout_secs,
            _ => return None,
        })
    }

    /// Sets the limit called `name` (one of [`LIMIT_NAMES`]). An unknown
    /// name is [`Error::Config`] (500): a misspelt limit must not be
    /// accepted and ignored. Values are checked when the endpoint is made
    /// ([`Limits::validate`]).
    pub fn set(&mut self, name: &str, value: u64) -> Result<(), Error> {
        let field = self.field(name).ok_or_else(|| {
            Error::Config(format!(
                "unknown limit '{name}' (known: {})",
                LIMIT_NAMES.join(", ")
            ))
        })?;
        *field = value;
        Ok(())
    }

    /// The limit called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<u64> {
        let mut copy = *self;
        copy.field(name).map(|v| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_cores_and_every_name_round_trips() {
        let d = LimitSettings::default();
        assert_eq!(Limits::from(&d), Limits::default());
        let mut s = d;
        for (i, name) in LIMIT_NAMES.iter().enumerate() {
            s.set(name, 1000 + i as u64).unwrap();
        }
        for (i, name) in LIMIT_NAMES.iter().enumerate() {
            assert_eq!(s.get(name), Some(1000 + i as u64), "{name}");
        }
        let l = Limits::from(&s);
        assert_eq!(l.ack_timeout, Duration::from_secs(1014));
        assert_eq!(l.initial_window_bytes, 1008);
        assert_eq!(l.coalesce_bytes, 1002);
        assert!(matches!(s.set("ack_timeout", 1), Err(Error::Config(_))));
        assert_eq!(s.get("nope"), None);
    }
}
