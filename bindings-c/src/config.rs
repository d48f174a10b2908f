//! Endpoint configuration for C: identity from PEM, trust mode, PKIX roots,
//! pins; and the pin callback that lets the application persist pins.

use std::ffi::{c_char, c_void};

use xmpptls::api::{EndpointSettings, LimitSettings, TrustKind};
use xmpptls::identity::certificates_from_pem;
use xmpptls::{CertificateDer, Identity, Jid, PinStore, SharedPins};

use crate::ffi::{free_box, guard, jid, named, set, str_arg, text_arg, with_mut};
use crate::identity::xmpptls_identity;
use crate::pin_store::xmpptls_pin_store;
use crate::result::*;

/// PKIX to the roots added with `xmpptls_endpoint_config_add_root_pem`,
/// the peer's bare JID as XmppAddr.
pub const XMPPTLS_TRUST_PKIX: u32 = 2;
/// Only peers whose key was pinned with `xmpptls_endpoint_config_add_pin`.
pub const XMPPTLS_TRUST_PINNED: u32 = 3;

/// TLS 1.3 and TLS 1.2 (ECDHE + AEAD), the default.
pub const XMPPTLS_VERSIONS_TLS12_AND_13: u32 = 0;
/// TLS 1.3 only.
pub const XMPPTLS_VERSIONS_TLS13_ONLY: u32 = 1;
/// TLS 1.2 only, for peers whose TLS library lacks 1.3.
pub const XMPPTLS_VERSIONS_TLS12_ONLY: u32 = 2;

/// Offer the hybrid X25519MLKEM768 first, accept a classical peer (the
/// default; draft-ietf-tls-ecdhe-mlkem).
pub const XMPPTLS_KEY_EXCHANGE_POST_QUANTUM: u32 = 0;
/// X25519MLKEM768 only: a peer that cannot do it is refused (TLS 1.3 only).
pub const XMPPTLS_KEY_EXCHANGE_POST_QUANTUM_REQUIRED: u32 = 1;
/// X25519, secp256r1, secp384r1 only.
pub const XMPPTLS_KEY_EXCHANGE_CLASSICAL: u32 = 2;

/// Called when trust on first use pins a peer's key, with the bare JID and
/// the SPKI SHA-256 (hex, NUL-terminated); the application stores it and
/// adds it back with `xmpptls_endpoint_config_add_pin` next time.
pub type xmpptls_pin_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        bare_jid: *const c_char,
        spki_sha256: *const c_char,
    ),
>;

/// Settings for `xmpptls_endpoint_new_with_config` (opaque). Used by one
/// thread at a time; endpoints made from it do not refer back to it.
pub struct xmpptls_endpoint_config {
    jid: Jid,
    /// Every setting the other runtimes pass as `EndpointSettings`, meant
    /// as the core means it (`EndpointSettings::config_with`). Its PEM and
    /// JSON fields stay unset: C gives those as the objects below.
    settings: EndpointSettings,
    identity: Option<Identity>,
    roots: Vec<CertificateDer<'static>>,
    pins: PinStore,
    /// A pin store shared with the application and the server check
    /// (`xmpptls_endpoint_config_set_pin_store`).
    pin_store: Option<SharedPins>,
}

impl xmpptls_endpoint_config {
    /// The defaults of `xmpptls_endpoint_config_new`, with trust mode `trust`.
    pub(crate) fn new(jid: Jid, trust: TrustKind) -> Self {
        let mut settings = EndpointSettings::new(jid.as_str());
        settings.trust = Some(trust);
        settings.limits = Some(LimitSettings::default());
        xmpptls_endpoint_config {
            jid,
            settings,
            identity: None,
            roots: Vec::new(),
            pins: PinStore::new(),
            pin_store: None,
        }
    }

    /// The limits being set (the defaults until one is).
    fn limits(&mut self) -> &mut LimitSettings {
        self.settings
            .limits
            .get_or_insert_with(LimitSettings::default)
    }

    /// The core endpoint these settings describe.
    pub(crate) fn core_endpoint(&self) -> Result<xmpptls::Endpoint, xmpptls_result> {
        let identity = match &self.identity {
            Some(id) => id.clone(),
            None => Identity::self_signed(&self.jid).map_err(|e| code(&e))?,
        };
        let trust = self
            .settings
            .trust
            .unwrap_or(TrustKind::TrustOnFirstUse)
            .mode(self.roots.clone(), self.pins.clone());
        let config = self.settings.config_with(self.jid.clone(), identity, trust);
        let mut endpoint = xmpptls::Endpoint::new(config).map_err(|e| code(&e))?;
        if let Some(shared) = &self.pin_store {
            endpoint.share_pins(shared.clone()).map_err(|e| code(&e))?;
        }
        Ok(endpoint)
    }
}

/// A configuration for the full JID `jid`: self-signed identity, trust on
/// first use, no roots, no pins, until changed.
///
/// # Safety
/// `jid_str` is NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_new(
    jid_str: *const c_char,
    out: *mut *mut xmpptls_endpoint_config,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let j = match unsafe { str_arg(jid_str) }.and_then(jid) {
            Ok(j) => j,
            Err(e) => return e,
        };
        let cfg = xmpptls_endpoint_config::new(j, TrustKind::TrustOnFirstUse);
        // SAFETY: per the function's contract.
        unsafe { set(out, Box::into_raw(Box::new(cfg))) }
    })
}

/// Frees a configuration (NULL is ignored).
///
/// # Safety
/// `cfg` is NULL or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_free(cfg: *mut xmpptls_endpoint_config) {
    // SAFETY: made by Box::into_raw in xmpptls_endpoint_config_new (per the contract).
    unsafe { free_box(cfg) }
}

/// Uses this certificate chain (PEM, leaf first) and private key (PEM).
///
/// # Safety
/// `cfg` is live; the PEM pointers point to the given lengths.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_identity_pem(
    cfg: *mut xmpptls_endpoint_config,
    chain_pem: *const c_char,
    chain_len: usize,
    key_pem: *const c_char,
    key_len: usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| {
            match (text_arg(chain_pem, chain_len), text_arg(key_pem, key_len)) {
                (Ok(chain), Ok(key)) => match Identity::from_pem(chain, key) {
                    Ok(id) => {
                        c.identity = Some(id);
                        XMPPTLS_OK
                    }
                    Err(e) => code(&e),
                },
                (Err(e), _) | (_, Err(e)) => e,
            }
        })
    }
}

/// Uses an identity made by `xmpptls_identity_generate` or
/// `xmpptls_identity_from_pem` (copied: the caller still frees it). Keep
/// the identity's PEM to keep the same key, and so the same pin at every
/// peer, across restarts.
///
/// # Safety
/// `cfg` and `id` are live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_identity(
    cfg: *mut xmpptls_endpoint_config,
    id: *const xmpptls_identity,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| match id.as_ref() {
            Some(id) => match id.identity() {
                Ok(identity) => {
                    c.identity = Some(identity);
                    XMPPTLS_OK
                }
                Err(e) => e,
            },
            None => XMPPTLS_NULL_PARAMETER,
        })
    }
}

/// Sets the trust mode: `XMPPTLS_TRUST_OFFER`, `_ON_FIRST_USE`, `_PKIX`, `_PINNED`.
///
/// # Safety
/// `cfg` is live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_trust(
    cfg: *mut xmpptls_endpoint_config,
    trust: u32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| match named(trust) {
            Ok(t) => {
                c.settings.trust = Some(t);
                XMPPTLS_OK
            }
            Err(e) => e,
        })
    }
}

/// Sets the TLS versions: `XMPPTLS_VERSIONS_TLS12_AND_13` (the default),
/// `_TLS13_ONLY`, `_TLS12_ONLY`; another value is `XMPPTLS_ERR_UNKNOWN_NAME`.
///
/// # Safety
/// `cfg` is live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_versions(
    cfg: *mut xmpptls_endpoint_config,
    versions: u32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| match named(versions) {
            Ok(v) => {
                c.settings.versions = Some(v);
                XMPPTLS_OK
            }
            Err(e) => e,
        })
    }
}

/// Sets the key exchange: `XMPPTLS_KEY_EXCHANGE_POST_QUANTUM` (the default:
/// X25519MLKEM768 preferred, classical accepted), `_POST_QUANTUM_REQUIRED`,
/// `_CLASSICAL`; another value is `XMPPTLS_ERR_UNKNOWN_NAME`. Required with
/// `XMPPTLS_VERSIONS_TLS12_ONLY` fails when the endpoint is made.
///
/// # Safety
/// `cfg` is live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_key_exchange(
    cfg: *mut xmpptls_endpoint_config,
    key_exchange: u32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| match named(key_exchange) {
            Ok(k) => {
                c.settings.key_exchange = Some(k);
                XMPPTLS_OK
            }
            Err(e) => e,
        })
    }
}

/// Whether `<start/>` and `<proceed/>` carry a XEP-0250 offer with our
/// certificate hash (XTLS §4.2): 1 (the default) or 0; another value is
/// `XMPPTLS_INVALID_PARAMETER`.
///
/// # Safety
/// `cfg` is live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_send_offer(
    cfg: *mut xmpptls_endpoint_config,
    send_offer: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe { with_mut(cfg, |c| set_flag(&mut c.settings.send_offer, send_offer)) }
}

/// Whether the IQs the endpoint writes carry our JID as `from`: 1 (the
/// default) or 0; another value is `XMPPTLS_INVALID_PARAMETER`. A client on
/// a c2s stream may set 0: its server stamps `from` on everything it routes
/// (RFC 6120 §8.1.2.1), and some 35 octets less per IQ count on a shaped
/// stream (ejabberd's default c2s shaper).
///
/// # Safety
/// `cfg` is live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_send_from(
    cfg: *mut xmpptls_endpoint_config,
    send_from: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe { with_mut(cfg, |c| set_flag(&mut c.settings.send_from, send_from)) }
}

/// Whether the endpoint offers and accepts data in IQ results
/// (`<piggyback/>`): 1 (the default) or 0; another value is
/// `XMPPTLS_INVALID_PARAMETER`. With a peer that offers it too, the answer
/// to a data IQ carries our next TLS octets: two stanzas per
/// request/response through the servers instead of four.
///
/// # Safety
/// `cfg` is live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_piggyback(
    cfg: *mut xmpptls_endpoint_config,
    piggyback: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe { with_mut(cfg, |c| set_flag(&mut c.settings.piggyback, piggyback)) }
}

/// Whether the endpoint accepts tunnels peers start: 1 (the default) or 0
/// (every `<start/>` is refused; `xmpptls_endpoint_set_enabled` changes it
/// later); another value is `XMPPTLS_INVALID_PARAMETER`.
///
/// # Safety
/// `cfg` is live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_enabled(
    cfg: *mut xmpptls_endpoint_config,
    enabled: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe { with_mut(cfg, |c| set_flag(&mut c.settings.enabled, enabled)) }
}

/// A C boolean (0 or 1) into `flag`.
fn set_flag(flag: &mut bool, value: i32) -> xmpptls_result {
    match value {
        0 | 1 => {
            *flag = value == 1;
            XMPPTLS_OK
        }
        _ => XMPPTLS_INVALID_PARAMETER,
    }
}

/// Adds trusted roots (PEM, one or more certificates) for `XMPPTLS_TRUST_PKIX`.
///
/// # Safety
/// `cfg` is live; `pem` points to `len` octets.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_add_root_pem(
    cfg: *mut xmpptls_endpoint_config,
    pem: *const c_char,
    len: usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| {
            match text_arg(pem, len).map(certificates_from_pem) {
                Ok(Ok(certs)) => {
                    c.roots.extend(certs);
                    XMPPTLS_OK
                }
                Ok(Err(e)) => code(&e),
                Err(e) => e,
            }
        })
    }
}

/// Adds a pin (SPKI SHA-256, hex) for a bare JID: the known keys for
/// `XMPPTLS_TRUST_PINNED`, or pins saved from earlier first uses.
///
/// # Safety
/// `cfg` is live; both strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_add_pin(
    cfg: *mut xmpptls_endpoint_config,
    bare_jid: *const c_char,
    spki_sha256: *const c_char,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| match (str_arg(bare_jid), str_arg(spki_sha256)) {
            (Ok(j), Ok(p)) => {
                if xmpptls::identity::parse_hex_sha256(p).is_none() {
                    return XMPPTLS_INVALID_PARAMETER;
                }
                c.pins.add(j, p);
                XMPPTLS_OK
            }
            (Err(e), _) | (_, Err(e)) => e,
        })
    }
}

/// Endpoints made from this configuration read and write their peers' pins
/// in `store` (pinned and trust-on-first-use modes), which the application
/// and `xmpptls_check_server` may share; NULL goes back to the pins added
/// here. Pins come from one place: with pins added here too, making the
/// endpoint fails with `XMPPTLS_ERR_CONFIG`. The configuration keeps its
/// own share: `store` may be freed after this call.
///
/// # Safety
/// `cfg` is live; `store` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_pin_store(
    cfg: *mut xmpptls_endpoint_config,
    store: *const xmpptls_pin_store,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| {
            c.pin_store = store.as_ref().map(|s| s.pins.clone());
            XMPPTLS_OK
        })
    }
}

/// Adds every pin of a pin store saved as JSON (the text of
/// `xmpptls_endpoint_pins_json`, `len` octets) to the configuration.
/// `XMPPTLS_ERR_PIN_STORE` for text that is not such a store (nothing is
/// added then).
///
/// # Safety
/// `cfg` is live; `json` points to `len` octets.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_load_pins_json(
    cfg: *mut xmpptls_endpoint_config,
    json: *const c_char,
    len: usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| {
            let text = match text_arg(json, len).map(std::str::from_utf8) {
                Ok(Ok(t)) => t,
                Ok(Err(_)) => return XMPPTLS_INVALID_PARAMETER,
                Err(e) => return e,
            };
            match PinStore::from_json(text) {
                Ok(store) => {
                    for (jid, pin) in store.entries() {
                        c.pins.add(jid, pin);
                    }
                    XMPPTLS_OK
                }
                Err(e) => code(&e),
            }
        })
    }
}

/// Sets the limit called `name` (snake_case, as the core's `LimitSettings`
/// names it: `"ack_timeout_secs"`, `"max_in_flight"`, `"max_half_open"`,
/// …; the README's table lists all with their defaults). Sizes in octets,
/// deadlines in whole seconds. An unknown name is `XMPPTLS_ERR_CONFIG`
/// and changes nothing; values are checked when the endpoint is made.
///
/// # Safety
/// `cfg` is live; `name` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_set_limit(
    cfg: *mut xmpptls_endpoint_config,
    name: *const c_char,
    value: u64,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| match str_arg(name) {
            Ok(n) => match c.limits().set(n, value) {
                Ok(()) => XMPPTLS_OK,
                Err(e) => code(&e),
            },
            Err(e) => e,
        })
    }
}

/// The limit called `name` in `*out` (the default until set).
/// `XMPPTLS_ERR_CONFIG` for an unknown name (`*out` untouched).
///
/// # Safety
/// `cfg` is live; `name` is NUL-terminated; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_config_get_limit(
    cfg: *mut xmpptls_endpoint_config,
    name: *const c_char,
    out: *mut u64,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(cfg, |c| match str_arg(name) {
            Ok(n) => match c.limits().get(n) {
                // SAFETY: per the function's contract.
                Some(v) => set(out, v),
                None => code(&xmpptls::Error::Config(format!("unknown limit '{n}'"))),
            },
            Err(e) => e,
        })
    }
}
