//! One pin store for C, as in every runtime (the core's `SharedPins`): in
//! memory (saved and loaded as JSON) or in the application's own storage
//! through two callbacks, and shared by the server check
//! (`xmpptls_check_server`) and endpoints
//! (`xmpptls_endpoint_config_set_pin_store`), so a key pinned by one is
//! known to the other (RFC 7590 §3.6: a changed key is noticed, also across
//! restarts when the storage persists).

use std::ffi::{c_char, c_void, CString};

use xmpptls::{PinStorage, PinStore, SharedPins};

use crate::ffi::{free_box, guard, set, str_arg, text_arg, with_mut, with_ref, write_out};
use crate::result::*;

/// Most pins one `load` callback may add for one key (`xmpptls_pin_list_add`
/// refuses more with `XMPPTLS_ERR_BUFFER_FULL`): a peer or server has one
/// key, and a few more during a planned key change.
pub const XMPPTLS_MAX_PINS_PER_KEY: usize = 16;

/// Pins kept for peers (bare JIDs) and servers (`xmpp-client:<domain>`,
/// `xmpp-server:<domain>`), in memory or in the application's storage
/// (opaque; free with `xmpptls_pin_store_free`). Endpoints and the server
/// check that use it hold their own share, so it may be freed before them.
pub struct xmpptls_pin_store {
    pub(crate) pins: SharedPins,
}

/// The pins a `load` callback hands back (opaque; valid during the
/// callback only).
pub struct xmpptls_pin_list {
    pins: Vec<String>,
}

/// Fills `pins` with the pins kept for `key` (NUL-terminated): one
/// `xmpptls_pin_list_add` per pin, none when there are none.
pub type xmpptls_pins_load_callback = Option<
    unsafe extern "C" fn(userdata: *mut c_void, key: *const c_char, pins: *mut xmpptls_pin_list),
>;

/// Replaces the pins kept for `key` with `count` pins (lowercase hex
/// SHA-256, NUL-terminated each; `count` 0 forgets the key). The strings
/// are valid during the callback only.
pub type xmpptls_pins_save_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        key: *const c_char,
        pins: *const *const c_char,
        count: usize,
    ),
>;

/// The application's storage behind its two callbacks.
struct CallbackStorage {
    load: unsafe extern "C" fn(*mut c_void, *const c_char, *mut xmpptls_pin_list),
    save: unsafe extern "C" fn(*mut c_void, *const c_char, *const *const c_char, usize),
    userdata: *mut c_void,
}

// SAFETY: `xmpptls_pin_store_with_callbacks`'s contract: the callbacks may
// be called with `userdata` from any thread that calls the library with the
// store or with an endpoint using it (one at a time: the store locks).
unsafe impl Send for CallbackStorage {}

impl PinStorage for CallbackStorage {
    fn pins(&self, key: &str) -> Vec<String> {
        // Keys are JIDs and domains, which hold no NUL.
        let Ok(key) = CString::new(key) else {
            return Vec::new();
        };
        let mut list = xmpptls_pin_list { pins: Vec::new() };
        // SAFETY: per the store's contract; `list` outlives the call.
        unsafe { (self.load)(self.userdata, key.as_ptr(), &mut list) };
        list.pins
    }

    fn set_pins(&mut self, key: &str, pins: Vec<String>) {
        let Ok(key) = CString::new(key) else {
            return;
        };
        // Pins are hex digits, which hold no NUL.
        let owned: Vec<CString> = pins
            .into_iter()
            .filter_map(|p| CString::new(p).ok())
            .collect();
        let pointers: Vec<*const c_char> = owned.iter().map(|p| p.as_ptr()).collect();
        // SAFETY: per the store's contract; the strings outlive the call.
        unsafe {
            (self.save)(
                self.userdata,
                key.as_ptr(),
                pointers.as_ptr(),
                pointers.len(),
            )
        };
    }
}

/// Adds a pin (SPKI SHA-256, 64 hex digits, NUL-terminated) to the list a
/// `load` callback fills; `XMPPTLS_INVALID_PARAMETER` for anything else,
/// `XMPPTLS_ERR_BUFFER_FULL` beyond `XMPPTLS_MAX_PINS_PER_KEY`.
///
/// # Safety
/// `pins` is the list passed to the running `load` callback; `spki_sha256`
/// is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_list_add(
    pins: *mut xmpptls_pin_list,
    spki_sha256: *const c_char,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(pins, |list| match str_arg(spki_sha256) {
            Ok(p) if xmpptls::identity::parse_hex_sha256(p).is_none() => XMPPTLS_INVALID_PARAMETER,
            Ok(_) if list.pins.len() >= XMPPTLS_MAX_PINS_PER_KEY => XMPPTLS_ERR_BUFFER_FULL,
            Ok(p) => {
                list.pins.push(p.to_ascii_lowercase());
                XMPPTLS_OK
            }
            Err(e) => e,
        })
    }
}

/// An empty pin store in memory.
///
/// # Safety
/// `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_new(out: *mut *mut xmpptls_pin_store) -> xmpptls_result {
    guard(|| {
        let store = Box::new(xmpptls_pin_store {
            pins: SharedPins::in_memory(PinStore::new()),
        });
        // SAFETY: per the function's contract.
        unsafe { set(out, Box::into_raw(store)) }
    })
}

/// A pin store over the application's storage (a database, the platform
/// keychain): `load` is called when a pin is needed and `save` when one
/// changes, with `userdata`. Both are required.
///
/// # Safety
/// `out` is writable. The callbacks may be called with `userdata` from any
/// thread that calls the library with this store or with an endpoint using
/// it, until the store and every such endpoint are freed; they must not
/// call the library with this store or those endpoints.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_with_callbacks(
    load: xmpptls_pins_load_callback,
    save: xmpptls_pins_save_callback,
    userdata: *mut c_void,
    out: *mut *mut xmpptls_pin_store,
) -> xmpptls_result {
    guard(|| {
        let (Some(load), Some(save)) = (load, save) else {
            return XMPPTLS_NULL_PARAMETER;
        };
        let storage = CallbackStorage {
            load,
            save,
            userdata,
        };
        let store = Box::new(xmpptls_pin_store {
            pins: SharedPins::with_storage(Box::new(storage)),
        });
        // SAFETY: per the function's contract.
        unsafe { set(out, Box::into_raw(store)) }
    })
}

/// A pin store in memory read back from the JSON `xmpptls_pin_store_json`
/// wrote (`len` octets); `XMPPTLS_ERR_PIN_STORE` when it is not one.
///
/// # Safety
/// `json` points to `len` octets; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_from_json(
    json: *const c_char,
    len: usize,
    out: *mut *mut xmpptls_pin_store,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let text = match unsafe { text_arg(json, len) }.map(std::str::from_utf8) {
            Ok(Ok(t)) => t,
            Ok(Err(_)) => return XMPPTLS_INVALID_PARAMETER,
            Err(e) => return e,
        };
        if out.is_null() {
            return XMPPTLS_NULL_PARAMETER;
        }
        match PinStore::from_json(text) {
            Ok(store) => {
                let pins = SharedPins::in_memory(store);
                // SAFETY: checked non-NULL.
                unsafe { set(out, Box::into_raw(Box::new(xmpptls_pin_store { pins }))) }
            }
            Err(e) => code(&e),
        }
    })
}

/// The store's JSON, or `XMPPTLS_UNSUPPORTED` for a store over the
/// application's storage (which saves itself).
fn json_of(s: &xmpptls_pin_store) -> Result<String, xmpptls_result> {
    s.pins.memory(PinStore::to_json).ok_or(XMPPTLS_UNSUPPORTED)
}

/// Length (without NUL) of the store's JSON, to save it;
/// `XMPPTLS_UNSUPPORTED` for a store made with
/// `xmpptls_pin_store_with_callbacks`.
///
/// # Safety
/// `s` is live; `len` points to a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_json_len(
    s: *const xmpptls_pin_store,
    len: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_ref(s, |s| match json_of(s) {
            Ok(json) => set(len, json.len()),
            Err(e) => e,
        })
    }
}

/// Copies the store's JSON into `buf`, NUL-terminated (`len` at least
/// `xmpptls_pin_store_json_len` plus one).
///
/// # Safety
/// `s` is live; `buf` has `len` writable octets; `written` is a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_json(
    s: *const xmpptls_pin_store,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_ref(s, |s| match json_of(s) {
            Ok(json) => write_out(json.as_bytes(), buf.cast(), len, written),
            Err(e) => e,
        })
    }
}

/// Frees a pin store (NULL is ignored). Endpoints using it keep their
/// share of the pins.
///
/// # Safety
/// `s` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_pin_store_free(s: *mut xmpptls_pin_store) {
    // SAFETY: made by Box::into_raw here (per the contract).
    unsafe { free_box(s) }
}
