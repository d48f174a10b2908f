//! The XTLS endpoint and its events for C (see the core's `Endpoint`).

use std::cell::Cell;
use std::ffi::{c_char, c_void, CString};

use xmpptls::api::{FlatEvent, Named};
use xmpptls::{Endpoint, ReturnedStanza};

use crate::config::{xmpptls_endpoint_config, xmpptls_pin_callback};
use crate::ffi::{
    cstr_arg, free_box, guard, jid, named, seconds, set, str_arg, text_arg, with_mut, with_ref,
    write_out,
};
use crate::nul_text::NulText;
use crate::result::*;

/// Trust the certificate whose hash the peer's XEP-0250 offer announces.
pub const XMPPTLS_TRUST_OFFER: u32 = 0;
/// Trust on first use: pin the first key per bare JID, refuse a changed key.
pub const XMPPTLS_TRUST_ON_FIRST_USE: u32 = 1;

/// Event kinds returned by `xmpptls_event_kind`.
pub const XMPPTLS_EVENT_ESTABLISHED: u32 = 1;
/// A decrypted stanza (routing restored): `xmpptls_event_text` gives it.
pub const XMPPTLS_EVENT_STANZA: u32 = 2;
/// An inner stanza was refused: `xmpptls_event_text` gives the reason.
pub const XMPPTLS_EVENT_STANZA_REJECTED: u32 = 3;
/// The tunnel ended: `xmpptls_event_text` gives the reason,
/// `xmpptls_event_close_reason` its kind, `xmpptls_event_returned_*` the
/// stanzas the peer did not acknowledge.
pub const XMPPTLS_EVENT_CLOSED: u32 = 4;

/// Close reasons returned by `xmpptls_event_close_reason`: we closed it.
pub const XMPPTLS_CLOSE_LOCAL: u32 = 1;
/// The peer closed it.
pub const XMPPTLS_CLOSE_PEER: u32 = 2;
/// The application reported the peer unavailable.
pub const XMPPTLS_CLOSE_PEER_UNAVAILABLE: u32 = 3;
/// The peer started a new tunnel (it restarted); this one was replaced.
pub const XMPPTLS_CLOSE_PEER_RESTARTED: u32 = 4;
/// An answer did not come in time (`xmpptls_endpoint_handle_timeout`).
pub const XMPPTLS_CLOSE_TIMEOUT: u32 = 5;
/// An error: `xmpptls_event_error_code` gives its code.
pub const XMPPTLS_CLOSE_ERROR: u32 = 6;

/// Tunnel states (`xmpptls_endpoint_tunnel_state`): `<start/>` sent or
/// received, no `<proceed/>` yet.
pub const XMPPTLS_STATE_STARTING: u32 = 1;
/// The TLS handshake runs.
pub const XMPPTLS_STATE_HANDSHAKING: u32 = 2;
/// Stanzas flow.
pub const XMPPTLS_STATE_ESTABLISHED: u32 = 3;
/// `<close/>` sent, waiting for `<closed/>`.
pub const XMPPTLS_STATE_CLOSING: u32 = 4;

/// What a tunnel closed by `XMPPTLS_CLOSE_TIMEOUT` waited for
/// (`xmpptls_event_waited`): `<proceed/>`, the answer to our start.
pub const XMPPTLS_WAIT_PROCEED: u32 = 1;
/// The end of the TLS handshake.
pub const XMPPTLS_WAIT_HANDSHAKE: u32 = 2;
/// The acknowledgement of a `<data/>` IQ.
pub const XMPPTLS_WAIT_ACK: u32 = 3;
/// `<closed/>`, the answer to our close.
pub const XMPPTLS_WAIT_CLOSED: u32 = 4;

/// Roles in a tunnel (`xmpptls_event_role`, XTLS §4.1): we sent the
/// `<start/>` and are the TLS client.
pub const XMPPTLS_ROLE_INITIATOR: u32 = 1;
/// The peer started; we are the TLS server.
pub const XMPPTLS_ROLE_RESPONDER: u32 = 2;

/// An XTLS endpoint for one local full JID (opaque). Used by one thread at
/// a time (it may move between threads); the pin callback runs on the
/// thread that polls events.
pub struct xmpptls_endpoint {
    pub(crate) inner: Endpoint,
    /// The next stanza to send, taken from the core when its length was asked.
    next: Option<String>,
    /// What `xmpptls_endpoint_poll_write` lent out last.
    write: Option<String>,
    /// Told about keys pinned on first use (see `xmpptls_endpoint_new_with_config`).
    callback: xmpptls_pin_callback,
    userdata: *mut c_void,
    /// The peer of the last send, parsed: applications send to the same
    /// peer many times, and parsing its JID each time cost a few percent of
    /// a small stanza's time (`cargo bench -p xmpptls-c --bench overhead`).
    last_peer: Option<xmpptls::Jid>,
}

impl xmpptls_endpoint {
    /// Makes `last_peer` the JID at `peer`, checking and parsing it only
    /// when its octets are not the last send's: a repeated peer costs one
    /// comparison.
    ///
    /// # Safety
    /// `peer` is NULL or a NUL-terminated string.
    unsafe fn peer_jid(&mut self, peer: *const c_char) -> Result<(), xmpptls_result> {
        // SAFETY: per the function's contract.
        let octets = unsafe { cstr_arg(peer) }?;
        let last = self.last_peer.as_ref().map(|j| j.as_str().as_bytes());
        if last != Some(octets) {
            let text = std::str::from_utf8(octets).map_err(|_| XMPPTLS_INVALID_PARAMETER)?;
            self.last_peer = Some(jid(text)?);
        }
        Ok(())
    }

    /// The next stanza to send, taken from the core into `next` if it is
    /// not there yet. Nothing is stored when the core has none: writing the
    /// empty answer into `next` and reading it back was a store-forwarding
    /// stall per call on an empty queue (perf: 1.3 % of a 1 KiB stanza).
    fn next_transmit(&mut self) -> Option<&str> {
        if self.next.is_none() {
            let s = self.inner.poll_transmit()?;
            self.next = Some(s);
        }
        self.next.as_deref()
    }

    pub(crate) fn with_callback(
        inner: Endpoint,
        callback: xmpptls_pin_callback,
        userdata: *mut c_void,
    ) -> Self {
        xmpptls_endpoint {
            inner,
            next: None,
            write: None,
            last_peer: None,
            callback,
            userdata,
        }
    }

    /// Tells the application about a key pinned on first use.
    fn pinned(&self, bare_jid: &str, spki: &str) {
        let Some(cb) = self.callback else { return };
        let (Ok(jid), Ok(pin)) = (CString::new(bare_jid), CString::new(spki)) else {
            return;
        };
        // SAFETY: the application gave this callback and userdata for
        // exactly this call; both strings live until it returns.
        unsafe { cb(self.userdata, jid.as_ptr(), pin.as_ptr()) };
    }
}

/// One event of an endpoint (opaque; free with `xmpptls_event_free`). It
/// owns its data: it outlives the endpoint and may be read from any thread.
pub struct xmpptls_event {
    kind: u32,
    /// The peer's JID, followed by a NUL (lent by `xmpptls_event_view`).
    peer: NulText,
    /// The text, followed by a NUL (lent by `xmpptls_event_view`).
    text: String,
    /// `XMPPTLS_CLOSE_*` for a closed tunnel, 0 otherwise.
    close_reason: u32,
    /// The error code of a rejected stanza or of a close by error, 0 otherwise.
    error_code: u32,
    /// `XMPPTLS_WAIT_*` for a close by timeout, 0 otherwise.
    waited: u32,
    /// `XMPPTLS_ROLE_*` for `ESTABLISHED`, 0 otherwise.
    role: u32,
    /// The stanzas a closed tunnel hands back.
    returned: Vec<ReturnedStanza>,
}

/// Creates an endpoint for `jid` with a freshly generated self-signed
/// identity (XmppAddr = the bare JID) and the trust mode `trust`
/// (`XMPPTLS_TRUST_OFFER` or `XMPPTLS_TRUST_ON_FIRST_USE`).
///
/// # Safety
/// `jid_str` is a NUL-terminated string; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_new(
    jid_str: *const c_char,
    trust: u32,
    out: *mut *mut xmpptls_endpoint,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let j = match unsafe { str_arg(jid_str) }.and_then(jid) {
            Ok(j) => j,
            Err(e) => return e,
        };
        if out.is_null() {
            return XMPPTLS_NULL_PARAMETER;
        }
        let trust = match named(trust) {
            Ok(t) => t,
            Err(e) => return e,
        };
        match xmpptls_endpoint_config::new(j, trust).core_endpoint() {
            Ok(inner) => {
                let ep = xmpptls_endpoint::with_callback(inner, None, std::ptr::null_mut());
                // SAFETY: `out` is non-NULL and writable.
                unsafe { set(out, Box::into_raw(Box::new(ep))) }
            }
            Err(e) => e,
        }
    })
}

/// Frees an endpoint (NULL is ignored).
///
/// # Safety
/// `ep` is NULL or was returned by `xmpptls_endpoint_new` and not freed.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_free(ep: *mut xmpptls_endpoint) {
    // SAFETY: made by Box::into_raw in xmpptls_endpoint_new (per the contract).
    unsafe { free_box(ep) }
}

/// Processes one incoming stanza (`len` octets). `*handled` is set to 1
/// when it was XTLS, 0 when the host library should process it itself.
/// Errors in XTLS input are returned as codes; answers the protocol needs
/// have been queued for `xmpptls_endpoint_poll_transmit`.
///
/// # Safety
/// `ep` is a live endpoint; `stanza` points to `len` octets; `handled` to an int.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_handle_incoming(
    ep: *mut xmpptls_endpoint,
    stanza: *const c_char,
    len: usize,
    now_unix_secs: u64,
    handled: *mut i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            let bytes = match text_arg(stanza, len) {
                Ok(b) => b,
                Err(c) => return c,
            };
            if handled.is_null() {
                return XMPPTLS_NULL_PARAMETER;
            }
            match e.inner.handle_incoming(bytes, seconds(now_unix_secs)) {
                Ok(x) => set(handled, i32::from(x == xmpptls::Incoming::Handled)),
                Err(err) => code(&err),
            }
        })
    }
}

/// Opens a tunnel to the full JID `peer`.
///
/// # Safety
/// `ep` is a live endpoint; `peer` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_open(
    ep: *mut xmpptls_endpoint,
    peer: *const c_char,
    now_unix_secs: u64,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match str_arg(peer).and_then(jid) {
            Ok(p) => e
                .inner
                .open(&p, seconds(now_unix_secs))
                .map_or_else(|err| code(&err), |()| XMPPTLS_OK),
            Err(c) => c,
        })
    }
}

/// Sends a stanza (`len` octets of XML) through the tunnel with `peer`. It
/// is taken whole or refused with nothing changed; if the tunnel ends before
/// the peer acknowledges it, the `CLOSED` event hands it back.
///
/// # Safety
/// `ep` is a live endpoint; `peer` NUL-terminated; `stanza` `len` octets.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_send(
    ep: *mut xmpptls_endpoint,
    peer: *const c_char,
    stanza: *const c_char,
    len: usize,
    now_unix_secs: u64,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            let p = match e.peer_jid(peer) {
                Ok(()) => e.last_peer.as_ref(),
                Err(c) => return c,
            };
            match (p, text_arg(stanza, len)) {
                (Some(p), Ok(b)) => e
                    .inner
                    .send(p, b, seconds(now_unix_secs))
                    .map_or_else(|err| code(&err), |()| XMPPTLS_OK),
                (None, _) => XMPPTLS_INVALID_PARAMETER,
                (_, Err(c)) => c,
            }
        })
    }
}

/// Closes the tunnel with `peer` gracefully. Keep the XMPP stream open
/// until the `XMPPTLS_EVENT_CLOSED` event for `peer` (the peer's
/// `<closed/>`, or `close_timeout`): disconnecting first leaves the peer
/// to time out, and stanzas still in flight come back with
/// `maybe_delivered` set.
///
/// # Safety
/// `ep` is a live endpoint; `peer` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_close(
    ep: *mut xmpptls_endpoint,
    peer: *const c_char,
    now_unix_secs: u64,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match str_arg(peer).and_then(jid) {
            Ok(p) => e
                .inner
                .close(&p, seconds(now_unix_secs))
                .map_or_else(|err| code(&err), |()| XMPPTLS_OK),
            Err(c) => c,
        })
    }
}

/// When `xmpptls_endpoint_handle_timeout` must next be called, in seconds
/// since the Unix epoch; `XMPPTLS_EMPTY` when no tunnel waits for anything.
/// Ask again after every call into the endpoint.
///
/// # Safety
/// `ep` is a live endpoint; `deadline` points to a `uint64_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_poll_timeout(
    ep: *mut xmpptls_endpoint,
    deadline_unix_secs: *mut u64,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match e.inner.poll_timeout() {
            Some(t) => set(deadline_unix_secs, t.as_secs()),
            None => XMPPTLS_EMPTY,
        })
    }
}

/// Closes every tunnel whose deadline has passed (a `CLOSED` event with
/// `XMPPTLS_CLOSE_TIMEOUT` each, handing back unacknowledged stanzas).
///
/// # Safety
/// `ep` is a live endpoint.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_handle_timeout(
    ep: *mut xmpptls_endpoint,
    now_unix_secs: u64,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            e.inner.handle_timeout(seconds(now_unix_secs));
            XMPPTLS_OK
        })
    }
}

/// After handling a read and draining `xmpptls_endpoint_poll_transmit`:
/// `*keepalive` is 1 when XTLS stanzas were handled and nothing was sent in
/// answer. Then write one space (a whitespace keepalive, RFC 6120 §4.6.1)
/// to the XMPP stream, or set `TCP_QUICKACK` on the socket: a server with
/// Nagle's algorithm on (Prosody's default) otherwise holds its next write
/// to this client for the kernel's delayed ACK, ~40 ms per exchange.
///
/// # Safety
/// `ep` is a live endpoint; `keepalive` points to an int.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_poll_keepalive(
    ep: *mut xmpptls_endpoint,
    keepalive: *mut i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            if keepalive.is_null() {
                return XMPPTLS_NULL_PARAMETER;
            }
            set(keepalive, i32::from(e.inner.poll_keepalive()))
        })
    }
}

/// Tears down the tunnels with `peer` (a bare JID: all its resources).
///
/// # Safety
/// `ep` is a live endpoint; `peer` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_peer_unavailable(
    ep: *mut xmpptls_endpoint,
    peer: *const c_char,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match str_arg(peer).and_then(jid) {
            Ok(p) => {
                e.inner.peer_unavailable(&p);
                XMPPTLS_OK
            }
            Err(c) => c,
        })
    }
}

/// The length of the next stanza to send (without NUL), or `XMPPTLS_EMPTY`.
///
/// # Safety
/// `ep` is a live endpoint; `len` points to a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_transmit_len(
    ep: *mut xmpptls_endpoint,
    len: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match e.next_transmit() {
            Some(s) => set(len, s.len()),
            None => XMPPTLS_EMPTY,
        })
    }
}

/// Takes the next stanza to send into `buf` (NUL-terminated; `buf_len` must
/// be at least the `xmpptls_endpoint_transmit_len` plus one), or returns
/// `XMPPTLS_EMPTY`. On `XMPPTLS_BUFFER_TOO_SMALL` the stanza stays queued.
///
/// # Safety
/// `ep` is a live endpoint; `buf` has `buf_len` writable octets; `written` a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_poll_transmit(
    ep: *mut xmpptls_endpoint,
    buf: *mut c_char,
    buf_len: usize,
    written: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            let Some(s) = e.next_transmit() else {
                return XMPPTLS_EMPTY;
            };
            let r = write_out(s.as_bytes(), buf.cast(), buf_len, written);
            if r == XMPPTLS_OK {
                e.next = None;
            }
            r
        })
    }
}

/// Length (without NUL) of the endpoint's pin store as JSON
/// (`{"version":1,"pins":{bare JID:[hex,…]}}`).
///
/// # Safety
/// `ep` is a live endpoint; `len` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_pins_json_len(
    ep: *mut xmpptls_endpoint,
    len: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe { with_mut(ep, |e| set(len, e.inner.pins().to_json().len())) }
}

/// Copies the pin store as JSON into `buf`, to persist it.
///
/// # Safety
/// `ep` is a live endpoint; `buf` has `len` writable octets; `written` a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_pins_json(
    ep: *mut xmpptls_endpoint,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            write_out(
                e.inner.pins().to_json().as_bytes(),
                buf.cast(),
                len,
                written,
            )
        })
    }
}

/// Borrows the next stanza to send without copying: `*data` and `*len`
/// stay valid until the next call on this endpoint. Call
/// `xmpptls_endpoint_consume_transmit` once it is sent. `XMPPTLS_EMPTY`
/// when nothing is queued. (Not NUL-terminated.)
///
/// # Safety
/// `ep` is a live endpoint; `data` and `len` are writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_peek_transmit(
    ep: *mut xmpptls_endpoint,
    data: *mut *const c_char,
    len: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            if data.is_null() || len.is_null() {
                return XMPPTLS_NULL_PARAMETER;
            }
            lend(e.next_transmit(), data, len)
        })
    }
}

/// Lends `text` through the out-parameters (checked non-NULL by the
/// caller), or says `XMPPTLS_EMPTY`.
///
/// # Safety
/// `data` and `len` are non-NULL and writable.
unsafe fn lend(text: Option<&str>, data: *mut *const c_char, len: *mut usize) -> xmpptls_result {
    match text {
        Some(s) => {
            // SAFETY: per the function's contract.
            unsafe { set(data, s.as_ptr().cast()) };
            // SAFETY: per the function's contract.
            unsafe { set(len, s.len()) }
        }
        None => XMPPTLS_EMPTY,
    }
}

/// Everything to write to the XMPP stream now, as one text lent to the
/// caller (`*data`, `*len`; not NUL-terminated), valid until the next call
/// on this endpoint: every stanza to send, in order, then one space when a
/// whitespace keepalive is due (`xmpptls_endpoint_poll_keepalive`).
/// `XMPPTLS_EMPTY` when there is nothing to write. The one call a host
/// makes after each read, each send/open/close and each timeout, and
/// writes with one `write` (libstrophe: `xmpp_send_raw`).
///
/// # Safety
/// `ep` is a live endpoint; `data` and `len` are writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_poll_write(
    ep: *mut xmpptls_endpoint,
    data: *mut *const c_char,
    len: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            if data.is_null() || len.is_null() {
                return XMPPTLS_NULL_PARAMETER;
            }
            // A stanza peeked and not consumed goes first.
            let mut out = e.next.take().unwrap_or_default();
            if let Some(rest) = e.inner.poll_write() {
                out.push_str(&rest);
            }
            e.write = (!out.is_empty()).then_some(out);
            lend(e.write.as_deref(), data, len)
        })
    }
}

/// Drops the stanza `xmpptls_endpoint_peek_transmit` showed (it was sent).
///
/// # Safety
/// `ep` is a live endpoint.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_consume_transmit(
    ep: *mut xmpptls_endpoint,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match e.next.take() {
            Some(_) => XMPPTLS_OK,
            None => XMPPTLS_EMPTY,
        })
    }
}

/// Takes the next event into `*out` (free it with `xmpptls_event_free`), or
/// returns `XMPPTLS_EMPTY`.
///
/// # Safety
/// `ep` is a live endpoint; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_poll_event(
    ep: *mut xmpptls_endpoint,
    out: *mut *mut xmpptls_event,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            if out.is_null() {
                return XMPPTLS_NULL_PARAMETER;
            }
            match e.inner.poll_event() {
                Some(ev) => set(out, Box::into_raw(e.c_event(ev))),
                None => XMPPTLS_EMPTY,
            }
        })
    }
}

impl xmpptls_endpoint {
    /// The C form of an event: its text and peer NUL-terminated, after
    /// telling the pin callback of a key pinned on first use. Out of line:
    /// `poll_event` is called on an empty queue more often than not, and
    /// that call should not pay for this one's registers.
    #[inline(never)]
    fn c_event(&mut self, ev: xmpptls::Event) -> Box<xmpptls_event> {
        let ev = FlatEvent::from(ev);
        if let Some((bare, pin)) = ev.pinned_on_first_use() {
            self.pinned(bare, pin);
        }
        let role = ev.summary.as_ref().map_or(0, |s| s.role.code());
        let mut text = match ev.summary {
            Some(s) => s.report.json,
            None => ev.text,
        };
        text.push('\0');
        let peer = NulText::new(ev.peer);
        xmpptls_event {
            kind: ev.kind.code(),
            text,
            peer,
            close_reason: ev.close.map_or(0, Named::code),
            error_code: ev.error_code,
            waited: ev.waited.map_or(0, Named::code),
            role,
            returned: ev.returned,
        }
        .into_box()
    }
}

impl xmpptls_event {
    /// The peer's JID, without the NUL kept for C.
    fn peer(&self) -> &[u8] {
        self.peer.as_bytes()
    }

    /// The text, without the NUL kept for C.
    fn text(&self) -> &str {
        self.text.strip_suffix('\0').unwrap_or(&self.text)
    }

    /// This event in a box: the box of the last event freed on this
    /// thread when there is one. A stream of stanzas then makes no
    /// allocation for the event itself: about 120 of the 1,050
    /// instructions the C layer added to a 1 KiB stanza
    /// (`scripts/count-c-layer.sh`).
    fn into_box(self) -> Box<Self> {
        match SPARE_EVENT.try_with(Cell::take).ok().flatten() {
            Some(mut spare) => {
                *spare = self;
                spare
            }
            None => Box::new(self),
        }
    }

    /// Frees what the event holds and keeps its box as this thread's
    /// spare (one per thread: the one kept before is freed).
    fn recycle(mut self: Box<Self>) {
        self.text = String::new();
        self.returned = Vec::new();
        // A thread that is ending has no spare any more: the box is freed.
        let _ = SPARE_EVENT.try_with(|s| s.set(Some(self)));
    }
}

thread_local! {
    /// The box of the last event freed on this thread, its texts freed.
    static SPARE_EVENT: Cell<Option<Box<xmpptls_event>>> = const { Cell::new(None) };
}

/// Everything an event says, in one struct whose strings are borrowed from
/// the event: reading an event is `xmpptls_endpoint_poll_event`,
/// `xmpptls_event_view`, `xmpptls_event_free`. The pointers stay valid
/// until the event is freed; `peer` and `text` are NUL-terminated.
#[repr(C)]
pub struct xmpptls_event_fields {
    /// `XMPPTLS_EVENT_*`.
    pub kind: u32,
    /// The peer's full JID (NUL-terminated).
    pub peer: *const c_char,
    /// Length of `peer` without the NUL.
    pub peer_len: usize,
    /// The report JSON for `ESTABLISHED`, the stanza for `STANZA`, the
    /// reason otherwise (NUL-terminated).
    pub text: *const c_char,
    /// Length of `text` without the NUL.
    pub text_len: usize,
    /// `XMPPTLS_CLOSE_*` for `CLOSED`, 0 otherwise.
    pub close_reason: u32,
    /// The error code of a rejected stanza or of a close by error, 0 otherwise.
    pub error_code: u32,
    /// `XMPPTLS_WAIT_*` for a close by timeout, 0 otherwise.
    pub waited: u32,
    /// How many stanzas a `CLOSED` event hands back (`xmpptls_event_returned`
    /// lends each).
    pub returned_count: usize,
}

/// Fills `*out` with everything `ev` says (see `xmpptls_event_fields`): one
/// call instead of one per field.
///
/// # Safety
/// `ev` is a live event; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_view(
    ev: *const xmpptls_event,
    out: *mut xmpptls_event_fields,
) -> xmpptls_result {
    // SAFETY: per the function's contract; the out-pointers are checked
    // for NULL before they are written.
    unsafe {
        with_ref(ev, |e| {
            let view = xmpptls_event_fields {
                kind: e.kind,
                peer: e.peer.as_ptr(),
                peer_len: e.peer().len(),
                text: e.text.as_ptr().cast(),
                text_len: e.text().len(),
                close_reason: e.close_reason,
                error_code: e.error_code,
                waited: e.waited,
                returned_count: e.returned.len(),
            };
            set(out, view)
        })
    }
}

/// A field of an event, or `default` for NULL (panics caught).
///
/// # Safety
/// `ev` is NULL or a live event.
unsafe fn event_field<T: Copy>(
    ev: *const xmpptls_event,
    default: T,
    field: impl FnOnce(&xmpptls_event) -> T,
) -> T {
    let mut value = default;
    let _ = guard(|| {
        // SAFETY: per the function's contract.
        if let Some(e) = unsafe { ev.as_ref() } {
            value = field(e);
        }
        XMPPTLS_OK
    });
    value
}

/// The kind of an event (`XMPPTLS_EVENT_*`); 0 for NULL.
///
/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_kind(ev: *const xmpptls_event) -> u32 {
    // SAFETY: per the function's contract.
    unsafe { event_field(ev, 0, |e| e.kind) }
}

/// Length (without NUL) of the event's peer JID and of its text.
///
/// # Safety
/// `ev` is a live event; the out-pointers point to `size_t`s.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_lens(
    ev: *const xmpptls_event,
    peer_len: *mut usize,
    text_len: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract; the out-pointers are checked
    // for NULL before they are written.
    unsafe {
        with_ref(ev, |e| {
            if peer_len.is_null() || text_len.is_null() {
                return XMPPTLS_NULL_PARAMETER;
            }
            set(peer_len, e.peer().len());
            set(text_len, e.text().len())
        })
    }
}

/// Copies the event's peer JID (NUL-terminated) into `buf`.
///
/// # Safety
/// `ev` is a live event; `buf` has `len` writable octets; `written` a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_peer(
    ev: *const xmpptls_event,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe { with_ref(ev, |e| write_out(e.peer(), buf.cast(), len, written)) }
}

/// Copies the event's text (NUL-terminated) into `buf`: the report JSON for
/// `ESTABLISHED`, the stanza for `STANZA`, the reason otherwise.
///
/// # Safety
/// `ev` is a live event; `buf` has `len` writable octets; `written` a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_text(
    ev: *const xmpptls_event,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_ref(ev, |e| {
            write_out(e.text().as_bytes(), buf.cast(), len, written)
        })
    }
}

/// Borrows the event's text without copying: `*data`/`*len` stay valid
/// until the event is freed. (Not NUL-terminated.)
///
/// # Safety
/// `ev` is a live event; `data` and `len` are writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_text_ptr(
    ev: *const xmpptls_event,
    data: *mut *const c_char,
    len: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract; the out-pointers are checked
    // for NULL before they are written.
    unsafe {
        with_ref(ev, |e| {
            if data.is_null() || len.is_null() {
                return XMPPTLS_NULL_PARAMETER;
            }
            set(data, e.text.as_ptr().cast());
            set(len, e.text().len())
        })
    }
}

/// The kind of a closed tunnel's reason (`XMPPTLS_CLOSE_*`); 0 for other
/// events and NULL.
///
/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_close_reason(ev: *const xmpptls_event) -> u32 {
    // SAFETY: per the function's contract.
    unsafe { event_field(ev, 0, |e| e.close_reason) }
}

/// The state of the tunnel with `peer` (`XMPPTLS_STATE_*`) into `*state`;
/// `XMPPTLS_EMPTY` when there is none.
///
/// # Safety
/// `ep` is live; `peer` is NUL-terminated; `state` is writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_tunnel_state(
    ep: *mut xmpptls_endpoint,
    peer: *const c_char,
    state: *mut u32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            let peer = match str_arg(peer).and_then(jid) {
                Ok(p) => p,
                Err(err) => return err,
            };
            match e.inner.tunnel_state(&peer) {
                Some(s) => set(state, s.code()),
                None => XMPPTLS_EMPTY,
            }
        })
    }
}

/// The number of tunnels in any state (0 for NULL).
///
/// # Safety
/// `ep` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_tunnel_count(ep: *mut xmpptls_endpoint) -> usize {
    let mut n = 0;
    // SAFETY: per the function's contract.
    let _ = unsafe {
        with_mut(ep, |e| {
            n = e.inner.tunnel_count();
            XMPPTLS_OK
        })
    };
    n
}

/// Accepts (1) or refuses with `service-unavailable` (0) incoming tunnels.
///
/// # Safety
/// `ep` is live.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_set_enabled(
    ep: *mut xmpptls_endpoint,
    enabled: i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            e.inner.set_enabled(enabled != 0);
            XMPPTLS_OK
        })
    }
}

/// Forgets the pin of a bare JID (after the user accepted its new key);
/// `XMPPTLS_EMPTY` when there was none.
///
/// # Safety
/// `ep` is live; `bare_jid` is NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_forget_pin(
    ep: *mut xmpptls_endpoint,
    bare_jid: *const c_char,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| match str_arg(bare_jid) {
            Ok(j) if e.inner.forget_pin(j) => XMPPTLS_OK,
            Ok(_) => XMPPTLS_EMPTY,
            Err(err) => err,
        })
    }
}

/// What a tunnel closed by `XMPPTLS_CLOSE_TIMEOUT` waited for
/// (`XMPPTLS_WAIT_*`); 0 for other events and NULL.
///
/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_waited(ev: *const xmpptls_event) -> u32 {
    // SAFETY: per the function's contract.
    unsafe { event_field(ev, 0, |e| e.waited) }
}

/// Our role in the tunnel an `ESTABLISHED` event announces
/// (`XMPPTLS_ROLE_*`); 0 for other events and NULL. (The report JSON the
/// event carries describes the connection, not which side started it.)
///
/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_role(ev: *const xmpptls_event) -> u32 {
    // SAFETY: per the function's contract.
    unsafe { event_field(ev, 0, |e| e.role) }
}

/// Our public key's pin (lowercase hex SHA-256 of our SubjectPublicKeyInfo,
/// 64 characters) into `buf`, NUL-terminated (`len` at least 65): what
/// peers pin for us, to compare out of band.
///
/// # Safety
/// `ep` is live; `buf` has `len` writable octets; `written` is a `size_t`.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_local_pin(
    ep: *mut xmpptls_endpoint,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> xmpptls_result {
    // SAFETY: per the function's contract.
    unsafe {
        with_mut(ep, |e| {
            write_out(e.inner.local_pin().as_bytes(), buf.cast(), len, written)
        })
    }
}

/// The error code (`XMPPTLS_ERR_*`) of a rejected stanza or of a tunnel
/// closed by an error; 0 otherwise.
///
/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_error_code(ev: *const xmpptls_event) -> u32 {
    // SAFETY: per the function's contract.
    unsafe { event_field(ev, 0, |e| e.error_code) }
}

/// How many stanzas a `CLOSED` event hands back (sent through the tunnel,
/// not acknowledged by the peer); 0 for other events and NULL.
///
/// # Safety
/// `ev` is NULL or a live event.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_returned_count(ev: *const xmpptls_event) -> usize {
    // SAFETY: per the function's contract.
    unsafe { event_field(ev, 0, |e| e.returned.len()) }
}

/// Borrows handed-back stanza `index` (oldest first) without copying:
/// `*data`/`*len` stay valid until the event is freed (not NUL-terminated).
/// `*maybe_delivered` is 1 when it left in a data IQ whose acknowledgement
/// never came (the peer may have it), 0 when it never left.
/// `XMPPTLS_INVALID_PARAMETER` for an index past the end.
///
/// # Safety
/// `ev` is a live event; the out-pointers are writable.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_returned(
    ev: *const xmpptls_event,
    index: usize,
    data: *mut *const c_char,
    len: *mut usize,
    maybe_delivered: *mut i32,
) -> xmpptls_result {
    // SAFETY: per the function's contract; the out-pointers are checked
    // for NULL before they are written.
    unsafe {
        with_ref(ev, |e| {
            if data.is_null() || len.is_null() || maybe_delivered.is_null() {
                return XMPPTLS_NULL_PARAMETER;
            }
            let Some(r) = e.returned.get(index) else {
                return XMPPTLS_INVALID_PARAMETER;
            };
            set(data, r.stanza.as_ptr().cast());
            set(len, r.stanza.len());
            set(maybe_delivered, i32::from(r.maybe_delivered))
        })
    }
}

/// Frees an event (NULL is ignored).
///
/// # Safety
/// `ev` is NULL or was returned by `xmpptls_endpoint_poll_event` and not freed.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_event_free(ev: *mut xmpptls_event) {
    let _ = guard(|| {
        if !ev.is_null() {
            // SAFETY: made by Box::into_raw in xmpptls_endpoint_poll_event
            // and not freed (per the contract).
            unsafe { Box::from_raw(ev) }.recycle();
        }
        XMPPTLS_OK
    });
}

/// Creates an endpoint from a configuration (the configuration stays the
/// caller's to free). `callback` (may be NULL) is called with `userdata`
/// whenever trust on first use pins a key, when the application polls the
/// `ESTABLISHED` event.
///
/// # Safety
/// `cfg` is live; `out` is writable; `callback`, if set, is safe to call
/// with `userdata` from the thread that polls events.
#[no_mangle]
pub unsafe extern "C" fn xmpptls_endpoint_new_with_config(
    cfg: *const xmpptls_endpoint_config,
    callback: xmpptls_pin_callback,
    userdata: *mut c_void,
    out: *mut *mut xmpptls_endpoint,
) -> xmpptls_result {
    guard(|| {
        // SAFETY: per the function's contract.
        let Some(c) = (unsafe { cfg.as_ref() }) else {
            return XMPPTLS_NULL_PARAMETER;
        };
        if out.is_null() {
            return XMPPTLS_NULL_PARAMETER;
        }
        match c.core_endpoint() {
            Ok(inner) => {
                let ep = xmpptls_endpoint::with_callback(inner, callback, userdata);
                // SAFETY: checked non-NULL.
                unsafe { set(out, Box::into_raw(Box::new(ep))) }
            }
            Err(e) => e,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str) -> xmpptls_event {
        xmpptls_event {
            kind: 2,
            peer: NulText::new("juliet@capulet.lit/balcony".to_owned()),
            text: format!("{text}\0"),
            close_reason: 0,
            error_code: 0,
            waited: 0,
            role: 0,
            returned: vec![ReturnedStanza {
                stanza: "<message/>".into(),
                maybe_delivered: true,
            }],
        }
    }

    /// A freed event's box carries the next event of its thread, holding
    /// nothing of the one before; another thread's events get their own.
    #[test]
    fn a_freed_event_box_carries_the_next_event() {
        let first = event("<message>one</message>").into_box();
        let at: *const xmpptls_event = &*first;
        first.recycle();
        let spare = SPARE_EVENT.with(Cell::take).unwrap();
        assert!(spare.text.is_empty() && spare.returned.is_empty());
        spare.recycle();
        let second = event("<message>two</message>").into_box();
        assert_eq!(&*second as *const xmpptls_event, at);
        assert_eq!(second.text(), "<message>two</message>");
        assert_eq!(second.returned.len(), 1);
        let elsewhere = std::thread::spawn(|| {
            let e = event("<message>three</message>").into_box();
            let text = e.text().to_owned();
            e.recycle();
            text
        });
        assert_eq!(elsewhere.join().unwrap(), "<message>three</message>");
        second.recycle();
    }
}
