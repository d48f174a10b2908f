//! Public-key pins per peer, for fingerprint pinning and trust on first use
//! (RFC 7590 §3.6: tell the user when a peer's key changes).
//!
//! A pin is the lowercase hex SHA-256 of a SubjectPublicKeyInfo. Keys are
//! free-form strings chosen by the user of the store: XTLS uses the peer's bare
//! JID. A peer may have several pins (one per device or during a rollover).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{json, Value};

use crate::identity::{parse_hex_sha256, Service};

/// Version of the JSON form written by [`PinStore::to_json`].
pub const PIN_STORE_VERSION: u64 = 1;

/// Largest pin store JSON accepted by [`PinStore::from_json`], in octets.
pub const MAX_PIN_STORE_BYTES: usize = 16 * 1024 * 1024;

/// What the store says about a presented key; as JSON (the report's `pin`,
/// README "Report JSON") `{"status": "new" | "match" | "changed", "old"?,
/// "new"?}`, the status named as [`PinKind`] names it (a test holds the two
/// together).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi::export(Display))]
#[non_exhaustive]
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

/// `new`, `match` or `changed (old … → new …)`: the report's names, and
/// the text Kotlin's `toString`, Swift's `description` and Python's `str`
/// show.
impl std::fmt::Display for PinStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::names::Named;
        f.write_str(PinKind::from(self).name())?;
        if let PinStatus::Changed { old, new } = self {
            write!(f, " (old {old} \u{2192} new {new})")?;
        }
        Ok(())
    }
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

/// Where pins live. Implement it to keep pins in the application's own
/// storage (a database, the platform keychain, a file); [`PinStore`] is the
/// in-memory implementation. Keys are as in [`PinStore`].
pub trait PinStorage {
    /// The pins of `key` (empty when none).
    fn pins(&self, key: &str) -> Vec<String>;
    /// Replaces the pins of `key`.
    fn set_pins(&mut self, key: &str, pins: Vec<String>);
}

/// Trust on first use over any storage: compares `spki_hex` with the pins of
/// `key`, pins it when it is the first, and leaves a changed key unpinned
/// (the caller shows the change, RFC 7590 §3.6, and decides).
pub fn check_and_pin(storage: &mut dyn PinStorage, key: &str, spki_hex: &str) -> PinStatus {
    let pins = storage.pins(key);
    let status = status(&pins, spki_hex);
    if status == PinStatus::New {
        storage.set_pins(key, vec![spki_hex.to_ascii_lowercase()]);
    }
    status
}

/// Adds a pin to `key` over any storage: lowercase hex, no duplicates, as
/// [`PinStore::add`] does in memory (the rule for every runtime's
/// `PinStore.add` over the application's storage).
pub fn add_pin(storage: &mut dyn PinStorage, key: &str, spki_hex: &str) {
    let mut pins = storage.pins(key);
    let pin = spki_hex.to_ascii_lowercase();
    if !pins.contains(&pin) {
        pins.push(pin);
        storage.set_pins(key, pins);
    }
}

/// Forgets the pins of `key` over any storage (after the user accepted a
/// changed key); whether it had any. Storage that holds none is not
/// written.
pub fn forget(storage: &mut dyn PinStorage, key: &str) -> bool {
    let had = !storage.pins(key).is_empty();
    if had {
        storage.set_pins(key, Vec::new());
    }
    had
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

    /// Adds a pin (lowercase, no duplicates; [`add_pin`] over other
    /// storage). Written on the map itself: through the trait it cost the
    /// npm package 0.2 KiB.
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

    /// The key for a server's pins: `xmpp-client:example.net` (the domain
    /// as given; callers should pass it normalised).
    pub fn service_key(domain: &str, service: Service) -> String {
        format!(
            "{}:{}",
            service.as_str(),
            domain.trim_end_matches('.').to_ascii_lowercase()
        )
    }

    /// The store as JSON: `{"version":1,"pins":{"<key>":["<hex>",…]}}`.
    pub fn to_json(&self) -> String {
        crate::json_text::compact(&json!({ "version": PIN_STORE_VERSION, "pins": self.pins }))
    }

    /// Reads a store written by [`PinStore::to_json`]. Every pin must be 64
    /// hex digits (SHA-256); anything else is refused rather than dropped,
    /// with [`Error::PinStore`](crate::Error::PinStore) (code 105) in every
    /// binding.
    pub fn from_json(text: &str) -> Result<Self, crate::Error> {
        Self::parse_json(text).map_err(crate::Error::PinStore)
    }

    fn parse_json(text: &str) -> Result<Self, String> {
        if text.len() > MAX_PIN_STORE_BYTES {
            return Err("pin store too large".into());
        }
        // from_slice, as POSH documents are read: one copy of serde_json's
        // parser in the binary instead of two (7 KB of the browser build).
        let v: Value = serde_json::from_slice(text.as_bytes()).map_err(|e| e.to_string())?;
        if v.get("version").and_then(Value::as_u64) != Some(PIN_STORE_VERSION) {
            return Err(format!("pin store version is not {PIN_STORE_VERSION}"));
        }
        let pins = v
            .get("pins")
            .and_then(Value::as_object)
            .ok_or("no 'pins' object")?;
        let mut store = PinStore::new();
        for (key, list) in pins {
            let list = list
                .as_array()
                .ok_or_else(|| format!("pins of {key} are not a list"))?;
            for pin in list {
                let pin = pin
                    .as_str()
                    .filter(|p| parse_hex_sha256(p).is_some())
                    .ok_or_else(|| format!("a pin of {key} is not hex SHA-256"))?;
                store.add(key, pin);
            }
        }
        Ok(store)
    }
}

impl PinStorage for PinStore {
    fn pins(&self, key: &str) -> Vec<String> {
        self.get(key).to_vec()
    }

    fn set_pins(&mut self, key: &str, pins: Vec<String>) {
        self.remove(key);
        for p in pins {
            self.add(key, &p);
        }
    }
}

/// One pin store shared by everything that judges keys: an endpoint's
/// tunnels ([`Endpoint::set_pin_storage`](crate::xtls::Endpoint::set_pin_storage))
/// and the server check ([`check_server`](crate::server_check::check_server)),
/// so that a key pinned by one is known to the other (RFC 7590 §3.6: a
/// changed key is noticed wherever it is seen, and across restarts when the
/// storage persists). In memory, or in the application's own storage; every
/// binding's pin store is one of these, over storage its runtime implements
/// (C callbacks, a uniffi foreign trait). Clones share the pins.
#[derive(Clone)]
pub struct SharedPins(Arc<Mutex<PinBacking>>);

/// Where [`SharedPins`] keeps its pins.
enum PinBacking {
    Memory(PinStore),
    App(Box<dyn PinStorage + Send>),
}

impl SharedPins {
    /// Pins kept in memory, starting from `store` (persist them with
    /// [`SharedPins::memory`]).
    pub fn in_memory(store: PinStore) -> Self {
        SharedPins(Arc::new(Mutex::new(PinBacking::Memory(store))))
    }

    /// Pins read from and written to the application's storage.
    pub fn with_storage(storage: Box<dyn PinStorage + Send>) -> Self {
        SharedPins(Arc::new(Mutex::new(PinBacking::App(storage))))
    }

    /// Runs `f` on the pins, wherever they are kept (one caller at a time).
    pub fn with<R>(&self, f: impl FnOnce(&mut dyn PinStorage) -> R) -> R {
        let mut backing = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *backing {
            PinBacking::Memory(m) => f(m),
            PinBacking::App(a) => f(a.as_mut()),
        }
    }

    /// Runs `f` on the in-memory store (to save it as JSON); `None` when
    /// the pins are in the application's storage, which it saves itself.
    pub fn memory<R>(&self, f: impl FnOnce(&PinStore) -> R) -> Option<R> {
        let backing = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &*backing {
            PinBacking::Memory(m) => Some(f(m)),
            PinBacking::App(_) => None,
        }
    }
}

impl PinStorage for SharedPins {
    fn pins(&self, key: &str) -> Vec<String> {
        self.with(|s| s.pins(key))
    }

    fn set_pins(&mut self, key: &str, pins: Vec<String>) {
        self.with(|s| s.set_pins(key, pins))
    }
}

impl std::fmt::Debug for SharedPins {
    /// Where the pins are kept. Never waits for the lock: printing the
    /// store from inside [`SharedPins::with`] must not hang.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = match self.0.try_lock() {
            Ok(backing) => match &*backing {
                PinBacking::Memory(_) => "memory",
                PinBacking::App(_) => "application storage",
            },
            Err(_) => "in use",
        };
        write!(f, "SharedPins({kept})")
    }
}

crate::names::named!(PinKind, "pin status" {
    New = 1, "new";
    Match = 2, "match";
    Changed = 3, "changed";
});

/// What the pin store said about a presented key ([`PinStatus`], without
/// the keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PinKind {
    /// [`PinStatus::New`]: pinned now (trust on first use).
    New,
    /// [`PinStatus::Match`].
    Match,
    /// [`PinStatus::Changed`] (RFC 7590 §3.6: make it visible).
    Changed,
}

impl From<&PinStatus> for PinKind {
    fn from(p: &PinStatus) -> Self {
        match p {
            PinStatus::New => PinKind::New,
            PinStatus::Match => PinKind::Match,
            PinStatus::Changed { .. } => PinKind::Changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Storage that records every write, as an app's database would see it.
    #[derive(Default)]
    struct Recording {
        map: BTreeMap<String, Vec<String>>,
        writes: usize,
    }

    impl PinStorage for Recording {
        fn pins(&self, key: &str) -> Vec<String> {
            self.map.get(key).cloned().unwrap_or_default()
        }
        fn set_pins(&mut self, key: &str, pins: Vec<String>) {
            self.writes += 1;
            self.map.insert(key.to_owned(), pins);
        }
    }

    /// The derived JSON names each status as `PinKind` does, and carries
    /// the two keys of a change beside it (README "Report JSON").
    #[test]
    fn the_json_status_is_the_kind_name() {
        use crate::api::ToJson;
        use crate::names::Named;
        let changed = PinStatus::Changed {
            old: "aa".into(),
            new: "bb".into(),
        };
        for s in [PinStatus::New, PinStatus::Match, changed.clone()] {
            let v = s.to_json_value();
            assert_eq!(v["status"], PinKind::from(&s).name(), "{s}");
            let keys = v.as_object().map_or(0, |m| m.len());
            assert_eq!(
                keys,
                if PinKind::from(&s) == PinKind::Changed {
                    3
                } else {
                    1
                }
            );
        }
        let v = changed.to_json_value();
        assert_eq!(
            (v["old"].as_str(), v["new"].as_str()),
            (Some("aa"), Some("bb"))
        );
    }

    /// Forgetting over any storage says whether there was a pin, and does
    /// not write to storage that holds none for the key.
    #[test]
    fn forget_writes_only_what_it_forgets() {
        let mut db = Recording::default();
        assert!(!forget(&mut db, "romeo@montague.lit"));
        assert_eq!(db.writes, 0, "nothing to forget, nothing written");
        add_pin(&mut db, "romeo@montague.lit", "AA");
        assert!(forget(&mut db, "romeo@montague.lit"));
        assert_eq!(db.writes, 2);
        assert!(db.pins("romeo@montague.lit").is_empty());
        assert!(!forget(&mut db, "romeo@montague.lit"));
        assert_eq!(db.writes, 2);
    }

    #[test]
    fn pluggable_storage_gets_first_use_pins_only() {
        let mut db = Recording::default();
        let key = PinStore::service_key("example.net", Service::XmppClient);
        assert_eq!(check_and_pin(&mut db, &key, "AA"), PinStatus::New);
        assert_eq!(db.map[&key], ["aa"]);
        assert_eq!(check_and_pin(&mut db, &key, "aa"), PinStatus::Match);
        assert_eq!(
            check_and_pin(&mut db, &key, "bb"),
            PinStatus::Changed {
                old: "aa".into(),
                new: "bb".into()
            }
        );
        assert_eq!(db.writes, 1, "a changed key is not pinned silently");
        let mut mem = PinStore::new();
        assert_eq!(check_and_pin(&mut mem, "k", "cc"), PinStatus::New);
        assert_eq!(mem.get("k"), ["cc"]);
    }

    /// An application's database that the test can still read after the
    /// store took it.
    #[derive(Clone, Default)]
    struct Db(Arc<Mutex<BTreeMap<String, Vec<String>>>>);

    impl PinStorage for Db {
        fn pins(&self, key: &str) -> Vec<String> {
            self.0.lock().unwrap().get(key).cloned().unwrap_or_default()
        }
        fn set_pins(&mut self, key: &str, pins: Vec<String>) {
            self.0.lock().unwrap().insert(key.to_owned(), pins);
        }
    }

    #[test]
    fn shared_pins_are_one_store_for_every_holder() {
        // In memory: what one holder pins on first use, a clone sees as a
        // match, and a changed key as changed (RFC 7590 §3.6).
        let endpoint_view = SharedPins::in_memory(PinStore::new());
        let mut check_view = endpoint_view.clone();
        assert_eq!(
            endpoint_view.with(|s| check_and_pin(s, "k", "AA")),
            PinStatus::New
        );
        assert_eq!(check_and_pin(&mut check_view, "k", "aa"), PinStatus::Match);
        assert!(matches!(
            check_and_pin(&mut check_view, "k", "bb"),
            PinStatus::Changed { .. }
        ));
        assert_eq!(
            endpoint_view.memory(|m| m.to_json()),
            Some(format!(
                r#"{{"pins":{{"k":["aa"]}},"version":{PIN_STORE_VERSION}}}"#
            ))
        );
        // In the application's storage: reads and writes go there, and
        // there is no in-memory JSON to save.
        let db = Db::default();
        let app = SharedPins::with_storage(Box::new(db.clone()));
        app.with(|s| add_pin(s, "romeo@montague.lit", "CC"));
        assert_eq!(db.pins("romeo@montague.lit"), ["cc"]);
        assert_eq!(app.pins("romeo@montague.lit"), ["cc"]);
        assert_eq!(app.memory(|m| m.to_json()), None);
        assert_eq!(format!("{app:?}"), "SharedPins(application storage)");
        let inside = app.with(|_| format!("{app:?}"));
        assert_eq!(
            inside, "SharedPins(in use)",
            "printing inside `with` does not hang"
        );
    }

    #[test]
    fn adding_to_any_storage_is_adding_to_the_store() {
        let mut db = Recording::default();
        let mut mem = PinStore::new();
        for pin in ["AA", "aa", "bb"] {
            add_pin(&mut db, "k", pin);
            mem.add("k", pin);
        }
        assert_eq!(db.map["k"], ["aa", "bb"]);
        assert_eq!(db.writes, 2, "a pin already there is not written again");
        assert_eq!(mem.get("k"), db.map["k"].as_slice());
    }

    #[test]
    fn json_round_trip_and_refusals() {
        let mut s = PinStore::new();
        let (a, b) = ("ab".repeat(32), "CD".repeat(32));
        s.add("romeo@montague.lit", &a);
        s.add(
            &PinStore::service_key("Example.NET.", Service::XmppClient),
            &b,
        );
        let text = s.to_json();
        assert!(text.contains("\"xmpp-client:example.net\""));
        assert_eq!(PinStore::from_json(&text), Ok(s));
        assert!(PinStore::from_json("{\"version\":2,\"pins\":{}}").is_err());
        assert!(PinStore::from_json("{\"version\":1,\"pins\":{\"k\":[\"zz\"]}}").is_err());
        assert!(PinStore::from_json("{\"version\":1,\"pins\":{\"k\":\"x\"}}").is_err());
        assert!(PinStore::from_json("not json").is_err());
        assert_eq!(
            PinStore::from_json("{\"version\":1,\"pins\":{}}"),
            Ok(PinStore::new())
        );
    }

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
