//! Editing the attributes of a stanza's start tag in its original text, so a
//! 16 KiB message is not rebuilt and re-escaped just to add or drop
//! `from`/`to` (XTLS §4.4 routing).

use super::write::escape_into;

/// One attribute of a start tag: its name and the span of ` name='v'`.
type AttrSpan<'a> = (&'a [u8], usize, usize);

/// The end of the root's name and the attributes of its start tag.
fn attributes(raw: &[u8]) -> Option<(usize, Vec<AttrSpan<'_>>)> {
    let mut i = raw.iter().position(|&b| b == b'<')? + 1;
    while i < raw.len() && !matches!(raw[i], b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/') {
        i += 1;
    }
    let name_end = i;
    let mut attrs = Vec::new();
    loop {
        let space = i;
        while i < raw.len() && raw[i].is_ascii_whitespace() {
            i += 1;
        }
        match raw.get(i)? {
            b'>' | b'/' => return Some((name_end, attrs)),
            _ => {}
        }
        let n0 = i;
        while i < raw.len() && !matches!(raw[i], b'=' | b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        let name = &raw[n0..i];
        while i < raw.len() && raw[i] != b'\'' && raw[i] != b'"' {
            i += 1;
        }
        let q = *raw.get(i)?;
        i += 1 + raw.get(i + 1..)?.iter().position(|&b| b == q)? + 1;
        attrs.push((name, space, i));
    }
}

/// Returns `raw` with the root's attributes named in `remove` dropped and
/// `add` inserted after the element name. `raw` must be a stanza that the
/// strict reader accepted. `None` if the start tag cannot be read.
pub fn splice_root_attrs(raw: &str, remove: &[&str], add: &[(&str, &str)]) -> Option<String> {
    let (name_end, attrs) = attributes(raw.as_bytes())?;
    let mut out = String::with_capacity(raw.len() + 96);
    // Every offset found is at an ASCII delimiter, so slicing is on char
    // boundaries; `get` keeps that a checked fact rather than an assumption.
    out.push_str(raw.get(..name_end)?);
    for (k, v) in add {
        out.push(' ');
        out.push_str(k);
        out.push_str("='");
        escape_into(&mut out, v, true);
        out.push('\'');
    }
    let mut pos = name_end;
    for (name, start, end) in attrs {
        if remove.iter().any(|r| r.as_bytes() == name) {
            out.push_str(raw.get(pos..start)?);
            pos = end;
        }
    }
    out.push_str(raw.get(pos..)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse, XmlLimits};

    #[test]
    fn adds_and_removes() {
        let raw = "<message to='a@b/c' type=\"chat\" from='x'><body a='1'>hi</body></message>";
        let out = splice_root_attrs(raw, &["to", "from"], &[]).unwrap();
        assert_eq!(
            out,
            "<message type=\"chat\"><body a='1'>hi</body></message>"
        );
        let out = splice_root_attrs("<presence/>", &[], &[("from", "o'k")]).unwrap();
        assert_eq!(out, "<presence from='o&apos;k'/>");
        let ns = "<message xmlns:f='urn:f' to='t'><f:x/></message>";
        let out = splice_root_attrs(ns, &["to"], &[("to", "u")]).unwrap();
        assert_eq!(out, "<message to='u' xmlns:f='urn:f'><f:x/></message>");
        assert!(parse(out.as_bytes(), &XmlLimits::default()).is_ok());
        let utf = "<message to='é'><body>ü</body></message>";
        assert_eq!(
            splice_root_attrs(utf, &["to"], &[]).unwrap(),
            "<message><body>ü</body></message>"
        );
    }
}
