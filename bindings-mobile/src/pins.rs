//! Pins kept where the app wants them: a storage interface the app
//! implements (Room, SharedPreferences, the Keychain) and the `PinStore`
//! object the endpoint and the server check use (RFC 7590 §3.6: notice a
//! changed key, also across restarts).

use std::sync::Arc;

use xmpptls::identity::Service;
use xmpptls::{PinStatus, SharedPins};

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

/// The app's storage as the core reads it.
struct AppStorage(Arc<dyn PinStorage>);

impl xmpptls::PinStorage for AppStorage {
    fn pins(&self, key: &str) -> Vec<String> {
        self.0.load(key.to_owned())
    }

    fn set_pins(&mut self, key: &str, pins: Vec<String>) {
        self.0.save(key.to_owned(), pins)
    }
}

/// Public-key pins per peer or server, in memory or in the app's storage:
/// the core's [`SharedPins`], which the endpoint and the server check
/// share. Safe to share between threads.
#[derive(uniffi::Object)]
pub struct PinStore {
    pub(crate) shared: SharedPins,
}

#[uniffi::export]
impl PinStore {
    /// A store kept in memory (lost when the app exits).
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(PinStore {
            shared: SharedPins::in_memory(xmpptls::PinStore::new()),
        })
    }

    /// A store that reads and writes the app's storage.
    #[uniffi::constructor]
    pub fn with_storage(storage: Arc<dyn PinStorage>) -> Arc<Self> {
        Arc::new(PinStore {
            shared: SharedPins::with_storage(Box::new(AppStorage(storage))),
        })
    }

    /// The pins of `key`.
    pub fn pins(&self, key: String) -> Vec<String> {
        self.shared.with(|s| s.pins(&key))
    }

    /// Adds a pin to `key` (e.g. a key the user confirmed out of band).
    pub fn add(&self, key: String, spki_sha256: String) {
        self.shared
            .with(|s| xmpptls::pins::add_pin(s, &key, &spki_sha256))
    }

    /// Forgets the pins of `key` (after the user accepted a changed key);
    /// whether it had any.
    pub fn remove(&self, key: String) -> bool {
        self.shared.with(|s| xmpptls::pins::forget(s, &key))
    }

    /// What the pins of `key` say about `spki_sha256`, changing nothing.
    pub fn check(&self, key: String, spki_sha256: String) -> PinStatus {
        self.shared
            .with(|s| xmpptls::pins::status(&s.pins(&key), &spki_sha256))
    }

    /// Trust on first use: like `check`, and pins the key when it is the
    /// first for `key`. A changed key is not pinned.
    pub fn check_and_pin(&self, key: String, spki_sha256: String) -> PinStatus {
        self.shared
            .with(|s| xmpptls::pins::check_and_pin(s, &key, &spki_sha256))
    }
}

/// The pin key of a server: `xmpp-client:<domain>` or `xmpp-server:<domain>`.
#[uniffi::export]
pub fn server_pin_key(domain: String, service: Service) -> String {
    xmpptls::PinStore::service_key(&domain, service)
}
