//! A small DER reader (X.690 §8.1, §10.1): tag, definite length, value,
//! enough to read certificates for reports and identity matching
//! ([`super::x509`]). Path validation stays rustls-webpki's. Ours replaces
//! x509-cert and its `der` crate, which cost the npm package about 20 KB of
//! gzip for fields we read in a few dozen lines; the post-quantum hybrid
//! needed that room (README, Costs).
//!
//! Only single-octet tags are read (every tag of RFC 5280's certificate is
//! one); a high tag number, an indefinite or over-long length, or a value
//! running past its container is an error, never a panic.

/// Universal and context tags used in certificates (X.680 §8.4; RFC 5280).
pub(crate) mod tag {
    /// BOOLEAN.
    pub const BOOLEAN: u8 = 0x01;
    /// INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// BIT STRING.
    pub const BIT_STRING: u8 = 0x03;
    /// OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// UTF8String.
    pub const UTF8_STRING: u8 = 0x0c;
    /// NumericString.
    pub const NUMERIC_STRING: u8 = 0x12;
    /// PrintableString.
    pub const PRINTABLE_STRING: u8 = 0x13;
    /// IA5String.
    pub const IA5_STRING: u8 = 0x16;
    /// UTCTime.
    pub const UTC_TIME: u8 = 0x17;
    /// GeneralizedTime.
    pub const GENERALIZED_TIME: u8 = 0x18;
    /// SEQUENCE (constructed).
    pub const SEQUENCE: u8 = 0x30;
    /// SET (constructed).
    pub const SET: u8 = 0x31;
    /// `[n]` constructed, context-specific (EXPLICIT, or IMPLICIT of a
    /// constructed type).
    pub const fn context(n: u8) -> u8 {
        0xa0 | n
    }
    /// `[n]` primitive, context-specific (IMPLICIT of a primitive type).
    pub const fn context_primitive(n: u8) -> u8 {
        0x80 | n
    }
}

/// One element: its tag, its value octets, and the whole encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents.
    pub value: &'a [u8],
    /// Identifier, length and contents.
    pub whole: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The elements inside a constructed value.
    pub(crate) fn children(&self) -> Reader<'a> {
        Reader(self.value)
    }
}

/// The elements of a value, one after another.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// Elements read from `input`.
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader(input)
    }

    /// Nothing left.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tag of the next element, if any.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.0.first().copied()
    }

    /// The next element.
    pub(crate) fn next(&mut self) -> Result<Tlv<'a>, String> {
        let input = self.0;
        let (&tag, rest) = input.split_first().ok_or("DER: missing element")?;
        if tag & 0x1f == 0x1f {
            return Err("DER: high tag numbers are not supported".into());
        }
        let (&first, rest) = rest.split_first().ok_or("DER: missing length")?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err("DER: bad length".into());
            }
            let (octets, rest) = rest.split_at(n);
            (
                octets
                    .iter()
                    .fold(0usize, |l, b| (l << 8) | usize::from(*b)),
                rest,
            )
        };
        if rest.len() < len {
            return Err("DER: value longer than its container".into());
        }
        let (value, after) = rest.split_at(len);
        let header = input.len() - rest.len();
        self.0 = after;
        Ok(Tlv {
            tag,
            value,
            whole: &input[..header + len],
        })
    }

    /// The next element, which must have tag `tag`.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<Tlv<'a>, String> {
        let t = self.next()?;
        if t.tag == tag {
            Ok(t)
        } else {
            Err(format!(
                "DER: tag 0x{:02x} where 0x{tag:02x} belongs",
                t.tag
            ))
        }
    }

    /// The next element if it has tag `tag`.
    pub(crate) fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, String> {
        if self.peek() == Some(tag) {
            self.next().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Exactly one element in `der`, nothing after it.
pub(crate) fn one(der: &[u8]) -> Result<Tlv<'_>, String> {
    let mut r = Reader::new(der);
    let t = r.next()?;
    if r.is_empty() {
        Ok(t)
    } else {
        Err("DER: octets after the element".into())
    }
}

/// The arcs of an OBJECT IDENTIFIER's contents (X.690 §8.19): the first
/// two from the first subidentifier, then base-128 groups. `None` when
/// malformed (empty, a dangling group, an arc over 64 bits).
pub(crate) fn oid_arcs(value: &[u8]) -> Option<Vec<u64>> {
    let mut subs = Vec::new();
    let mut current: u64 = 0;
    let mut open = false;
    for &b in value {
        if current > u64::MAX >> 7 {
            return None;
        }
        current = (current << 7) | u64::from(b & 0x7f);
        open = b & 0x80 != 0;
        if !open {
            subs.push(current);
            current = 0;
        }
    }
    let (&first, rest) = subs.split_first().filter(|_| !open)?;
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut arcs = vec![a, b];
    arcs.extend_from_slice(rest);
    Some(arcs)
}

/// The dotted form of an OBJECT IDENTIFIER's contents (`2.5.4.3`), or its
/// hex for a malformed one.
pub(crate) fn oid_text(value: &[u8]) -> String {
    match oid_arcs(value) {
        Some(arcs) => arcs
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
        None => super::hex(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        let mut r = Reader::new(&[0x04, 0x01, 0xaa, 0x30, 0x00]);
        let a = r.next().unwrap();
        assert_eq!(
            (a.tag, a.value, a.whole),
            (0x04, &[0xaa][..], &[0x04, 0x01, 0xaa][..])
        );
        assert_eq!(r.peek(), Some(0x30));
        assert!(r.expect(0x31).is_err());
        let mut long = vec![0x04, 0x81, 0x82];
        long.extend([7u8; 130]);
        let t = one(&long).unwrap();
        assert_eq!(t.value.len(), 130);
        assert_eq!(t.whole.len(), 133);
    }

    #[test]
    fn malformed_input_is_an_error() {
        for bad in [
            &[][..],
            &[0x04],
            &[0x04, 0x02, 0x00],
            &[0x04, 0x80],
            &[0x04, 0x85, 1, 1, 1, 1, 1],
            &[0x1f, 0x01, 0x00],
            &[0x04, 0x00, 0x00],
        ] {
            assert!(one(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn object_identifiers() {
        assert_eq!(oid_text(&[0x55, 0x04, 0x03]), "2.5.4.3");
        assert_eq!(
            oid_text(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]),
            "1.2.840.113549.1.1.11"
        );
        assert_eq!(
            oid_arcs(&[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x05]),
            Some(vec![1, 3, 6, 1, 5, 5, 7, 8, 5])
        );
        assert_eq!(oid_arcs(&[0x88, 0x37]), Some(vec![2, 999]));
        assert_eq!(oid_arcs(&[]), None);
        assert_eq!(oid_arcs(&[0x86]), None, "a dangling group");
        assert_eq!(oid_text(&[0x86]), "86");
    }
}
