//! Pins kept where the app wants them: a storage interface the app
//! implements (Room, SharedPreferences, the Keychain) and the `PinStore`
//! object the endpoint and the server check use (RFC 7590 §3.6: notice a
//! changed key, also across restarts).

use std::sync::{Arc, Mutex, PoisonError};

use xmpptls::identity::Service;
use xmpptls::PinStatus;

/// Storage for pins, implemented by the app. Keys are bare JIDs (XTLS
/// peers) or `xmpp-client:<domain>` / `xmpp-server:<domain>` (servers);
/// values are lowercase hex SHA-256 of a SubjectPublicKeyInfo.
#[uniffi::export(with_foreign)]
pub trait PinStorage: Send + Sync {
    /// The pins of `key`, empty when none.
    fn load(&self, key: String) -> Vec<String>;
    /// Replaces the pins of `key`.
    fn save(&self, key: String, pins: Vec<String>);
}

/// Where a `PinStore` keeps its pins.
enum Backing {
    Memory(xmpptls::PinStore),
    App(Arc<dyn PinStorage>),
}

impl xmpptls::PinStorage for Backing {
    fn pins(&self, key: &str) -> Vec<String> {
        match self {
            Backing::Memory(m) => m.pins(key),
            Backing::App(s) => s.load(key.to_owned()),
        }
    }

    fn set_pins(&mut self, key: &str, pins: Vec<String>) {
        match self {
            Backing::Memory(m) => m.set_pins(key, pins),
            Backing::App(s) => s.save(key.to_owned(), pins),
        }
    }
}

/// Public-key pins per peer or server, in memory or in the app's storage.
/// Safe to share between threads.
#[derive(uniffi::Object)]
pub struct PinStore {
    backing: Mutex<Backing>,
}

impl PinStore {
    /// Runs `f` on the backing storage.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut dyn xmpptls::PinStorage) -> R) -> R {
        let mut b = self.backing.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut *b)
    }
}

#[uniffi::export]
impl PinStore {
    /// A store kept in memory (lost when the app exits).
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(PinStore {
            backing: Mutex::new(Backing::Memory(xmpptls::PinStore::new())),
        })
    }

    /// A store that reads and writes the app's storage.
    #[uniffi::constructor]
    pub fn with_storage(storage: Arc<dyn PinStorage>) -> Arc<Self> {
        Arc::new(PinStore {
            backing: Mutex::new(Backing::App(storage)),
        })
    }

    /// The pins of `key`.
    pub fn pins(&self, key: String) -> Vec<String> {
        self.with(|s| s.pins(&key))
    }

    /// Adds a pin to `key` (e.g. a key the user confirmed out of band).
    pub fn add(&self, key: String, spki_sha256: String) {
        self.with(|s| xmpptls::pins::add_pin(s, &key, &spki_sha256))
    }

    /// Forgets the pins of `key` (after the user accepted a changed key).
    pub fn remove(&self, key: String) {
        self.with(|s| s.set_pins(&key, Vec::new()))
    }

    /// What the pins of `key` say about `spki_sha256`, changing nothing.
    pub fn check(&self, key: String, spki_sha256: String) -> PinStatus {
        self.with(|s| xmpptls::pins::status(&s.pins(&key), &spki_sha256))
    }

    /// Trust on first use: like `check`, and pins the key when it is the
    /// first for `key`. A changed key is not pinned.
    pub fn check_and_pin(&self, key: String, spki_sha256: String) -> PinStatus {
        self.with(|s| xmpptls::pins::check_and_pin(s, &key, &spki_sha256))
    }
}

/// The pin key of a server: `xmpp-client:<domain>` or `xmpp-server:<domain>`.
#[uniffi::export]
pub fn server_pin_key(domain: String, service: Service) -> String {
    xmpptls::PinStore::service_key(&domain, service)
}

/// The endpoint's view of a `PinStore`: the core reads and writes through it.
pub(crate) struct SharedPins(pub Arc<PinStore>);

impl xmpptls::PinStorage for SharedPins {
    fn pins(&self, key: &str) -> Vec<String> {
        self.0.with(|s| s.pins(key))
    }

    fn set_pins(&mut self, key: &str, pins: Vec<String>) {
        self.0.with(|s| s.set_pins(key, pins))
    }
}
