//! Writing an [`Element`] back to XML text.

use super::{Element, Node};

/// Appends `s` escaped for XML text (or, with `attr`, a quoted attribute
/// value). Text is scanned with SIMD `memchr`: message bodies are large.
pub(crate) fn escape_into(out: &mut String, s: &str, attr: bool) {
    let bytes = s.as_bytes();
    let mut last = 0;
    loop {
        let next = if attr {
            bytes[last..]
                .iter()
                .position(|b| matches!(b, b'&' | b'<' | b'>' | b'\'' | b'"'))
        } else {
            memchr::memchr3(b'&', b'<', b'>', &bytes[last..])
        };
        let Some(off) = next else { break };
        let i = last + off;
        out.push_str(&s[last..i]);
        out.push_str(match bytes[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'\'' => "&apos;",
            _ => "&quot;",
        });
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// Appends `n` in decimal. Ids and `ack` counts are written for every data
/// IQ, and `format!` took about 900 instructions for each (callgrind).
pub(crate) fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        // `n % 10` is below 10, so the cast keeps it whole.
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

impl Element {
    /// Serialises this element. `context_ns` is the default namespace in force
    /// where the element is written (for a stanza in a client stream,
    /// `jabber:client`); an `xmlns` is written only where the element's
    /// namespace differs from its context.
    pub fn write_to(&self, out: &mut String, context_ns: &str) {
        out.push('<');
        out.push_str(&self.name);
        if self.ns != context_ns && !(context_ns == "jabber:client" && self.ns.is_empty()) {
            out.push_str(" xmlns='");
            escape_into(out, &self.ns, true);
            out.push('\'');
        }
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("='");
            escape_into(out, v, true);
            out.push('\'');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        let inner_ns = if self.ns.is_empty() && context_ns == "jabber:client" {
            context_ns
        } else {
            &self.ns
        };
        for child in &self.children {
            match child {
                Node::Element(e) => e.write_to(out, inner_ns),
                Node::Text(t) => escape_into(out, t, false),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// Serialises this element as a stanza of a client stream (no `xmlns` for
    /// `jabber:client`, which the stream declares).
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(64);
        self.write_to(&mut out, "jabber:client");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::push_decimal;
    use crate::xml::{parse, XmlLimits};

    #[test]
    fn decimals_as_format_writes_them() {
        for n in [0, 7, 10, 99, 100, 1_795_305_600, u64::MAX - 1, u64::MAX] {
            let mut out = String::from("id-");
            push_decimal(&mut out, n);
            assert_eq!(out, format!("id-{n}"));
        }
    }

    #[test]
    fn round_trip_escapes_and_namespaces() {
        let src = "<message to='a&amp;b' type='chat'><body>1 &lt; 2 &amp; &quot;q&quot;</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>";
        let e = parse(src.as_bytes(), &XmlLimits::default()).unwrap();
        let out = e.to_xml();
        assert_eq!(
            out,
            "<message to='a&amp;b' type='chat'><body>1 &lt; 2 &amp; \"q\"</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>"
        );
        assert_eq!(parse(out.as_bytes(), &XmlLimits::default()).unwrap(), e);
        let jc = parse(
            b"<iq xmlns='jabber:client'><q xmlns='x'/></iq>",
            &XmlLimits::default(),
        )
        .unwrap();
        assert_eq!(jc.to_xml(), "<iq><q xmlns='x'/></iq>");
    }
}
