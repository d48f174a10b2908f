//! XML names (XML 1.0 §2.3), checked on every tag of every stanza.

/// The octets [`valid_name`] refuses anywhere in a name, as a table (names
/// are checked on every tag of every stanza through a tunnel).
const NOT_IN_NAME: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_whitespace()
            || b.is_ascii_control()
            || matches!(
                b,
                b'<' | b'>' | b'&' | b'\'' | b'"' | b'=' | b'/' | b'!' | b'?'
            );
        i += 1;
    }
    table
};

/// XML 1.0 §2.3 `Name`, as far as it matters for safety: not empty, no
/// character that delimits markup, and not starting with a digit, `-` or
/// `.`. (quick-xml reads `< />` as an element with an empty name.)
pub(super) fn valid_name(name: &[u8]) -> bool {
    match name.first() {
        None => false,
        Some(b'-' | b'.' | b'0'..=b'9') => false,
        Some(_) => !name.iter().any(|&b| NOT_IN_NAME[usize::from(b)]),
    }
}
