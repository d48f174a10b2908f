//! A short NUL-terminated text kept in place: the peer JID of a C event.

use std::ffi::c_char;

/// Octets a [`NulText`] keeps inside itself, the NUL included: a JID of a
/// user, a domain and a resource is usually shorter.
const INLINE: usize = 64;

/// A text followed by a NUL, inside the value when it fits in [`INLINE`]
/// octets and on the heap otherwise. Each event carries its peer's JID so,
/// with no allocation and no shared counter per event: an `Arc` shared by
/// one peer's events cost two atomic operations per event, the largest
/// part of making a C event in perf, and a heap copy per event cost more
/// (callgrind, `scripts/count-c-layer.sh`).
pub(crate) enum NulText {
    /// `len` octets of `octets`, then a NUL.
    Inline { len: u8, octets: [u8; INLINE] },
    /// The text and its NUL.
    Heap(Vec<u8>),
}

impl NulText {
    /// `text` and a NUL (a JID has no NUL of its own: RFC 7622 §3.2–3.4
    /// exclude control characters).
    pub(crate) fn new(text: String) -> Self {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() < INLINE => {
                let mut octets = [0u8; INLINE];
                octets[..text.len()].copy_from_slice(text.as_bytes());
                NulText::Inline { len, octets }
            }
            _ => {
                let mut v = text.into_bytes();
                v.push(0);
                NulText::Heap(v)
            }
        }
    }

    /// The text, without the NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            NulText::Inline { len, octets } => &octets[..usize::from(*len)],
            NulText::Heap(v) => v.split_last().map_or(&[], |(_, text)| text),
        }
    }

    /// The text and its NUL, for C: valid while `self` is neither moved
    /// nor dropped (events are boxed, so it stays put).
    pub(crate) fn as_ptr(&self) -> *const c_char {
        match self {
            NulText::Inline { octets, .. } => octets.as_ptr().cast(),
            NulText::Heap(v) => v.as_ptr().cast(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_texts_end_in_a_nul() {
        for text in [
            "",
            "juliet@capulet.lit/balcony",
            &"j".repeat(63),
            &"j".repeat(64),
            &"j".repeat(3071),
        ] {
            let t = NulText::new(text.to_owned());
            assert_eq!(t.as_bytes(), text.as_bytes());
            assert_eq!(matches!(t, NulText::Inline { .. }), text.len() < INLINE);
            // SAFETY: `as_ptr` points to the text and its NUL.
            let c = unsafe { std::ffi::CStr::from_ptr(t.as_ptr()) };
            assert_eq!(c.to_bytes(), text.as_bytes());
        }
    }
}
