//! The bounds every stanza is read under.

/// Bounds applied while reading one stanza. Input larger than `max_bytes` is
/// refused before any parsing, so memory is bounded by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Largest stanza in octets.
    pub max_bytes: usize,
    /// Deepest element nesting (the root is depth 1).
    pub max_depth: usize,
    /// Most attributes on a single element.
    pub max_attributes: usize,
}

impl Default for XmlLimits {
    /// 128 KiB stanzas (half of the 256 KiB common server limit), depth 32,
    /// 64 attributes.
    fn default() -> Self {
        XmlLimits {
            max_bytes: 128 * 1024,
            max_depth: 32,
            max_attributes: 64,
        }
    }
}
