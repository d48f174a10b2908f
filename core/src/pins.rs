//! Public-key pins per peer, for fingerprint pinning and trust on first use
//! (RFC 7590 §3.6: tell the user when a peer's key changes).
//!
//! A pin is the lowercase hex SHA-256 of a SubjectPublicKeyInfo. Keys are
//! free-form strings chosen by the user of the store: XTLS uses the peer's bare
//! JID. A peer may have several pins (one per device or during a rollover).

use std::collections::BTreeMap;

/// What the store says about a presented key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinStatus {
    /// Nothing was pinned for this key before.
    New,
    /// The presented key is one of the pins.
    Match,
    /// Pins exist and the presented key is not among them.
    Changed {
        /// The first pin on record.
        old: String,
        /// The presented key.
        new: String,
    },
}

/// Compares a presented key with a list of pins (no pins: `New`).
pub fn status(pins: &[String], spki_hex: &str) -> PinStatus {
    match pins.first() {
        None => PinStatus::New,
        Some(_) if pins.iter().any(|p| p.eq_ignore_ascii_case(spki_hex)) => PinStatus::Match,
        Some(old) => PinStatus::Changed {
            old: old.clone(),
            new: spki_hex.to_owned(),
        },
    }
}

/// An in-memory pin store; the application loads and saves it with
/// [`PinStore::entries`] and [`PinStore::add`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinStore {
    pins: BTreeMap<String, Vec<String>>,
}

impl PinStore {
    /// An empty store.
    pub fn new() -> Self {
        PinStore::default()
    }

    /// Compares `spki_hex` with the pins of `key`.
    pub fn check(&self, key: &str, spki_hex: &str) -> PinStatus {
        status(self.get(key), spki_hex)
    }

    /// Adds a pin (no duplicates).
    pub fn add(&mut self, key: &str, spki_hex: &str) {
        let v = self.pins.entry(key.to_owned()).or_default();
        let pin = spki_hex.to_ascii_lowercase();
        if !v.contains(&pin) {
            v.push(pin);
        }
    }

    /// Forgets every pin of `key` (after the user accepted a key change).
    pub fn remove(&mut self, key: &str) -> bool {
        self.pins.remove(key).is_some()
    }

    /// The pins of `key`.
    pub fn get(&self, key: &str) -> &[String] {
        self.pins.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every (key, pin) pair, for persisting.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pins
            .iter()
            .flat_map(|(k, v)| v.iter().map(move |p| (k.as_str(), p.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_match_changed() {
        let mut s = PinStore::new();
        assert_eq!(s.check("a@b", "AA"), PinStatus::New);
        s.add("a@b", "AA");
        assert_eq!(s.check("a@b", "aa"), PinStatus::Match);
        assert_eq!(
            s.check("a@b", "bb"),
            PinStatus::Changed {
                old: "aa".into(),
                new: "bb".into()
            }
        );
        s.add("a@b", "bb");
        assert_eq!(s.entries().count(), 2);
        assert!(s.remove("a@b"));
        assert_eq!(s.check("a@b", "aa"), PinStatus::New);
    }
}
