//! The stanza reader, the XTLS wire reader and the tunnel's stanza framer on
//! arbitrary bytes: no panic, and whatever parses must write back to XML that
//! parses to the same tree. The data path's fast readers must take nothing
//! the general reader refuses, and read what they take the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpptls::xml::{
    parse, read_base64_leaf, read_empty_element, Element, StanzaFramer, StartTag, XmlLimits,
};
use xmpptls::xtls::wire::read_iq;

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits::default();
    if let Ok(el) = parse(data, &limits) {
        let again = parse(el.to_xml().as_bytes(), &limits);
        assert_eq!(again.as_ref().ok().map(|e| e.to_xml()), Some(el.to_xml()));
        let _ = read_iq(el);
    }
    let mut decoded = Vec::new();
    if let Some((root, child)) = read_base64_leaf(data, &limits, &mut decoded) {
        let el = parse(data, &limits).expect("fast reader took what the parser refuses");
        same(&root, &el);
        let inner = el.elements().next().expect("one child");
        same(&child, inner);
        assert_eq!(inner.elements().count(), 0);
        let text = base64_simd::STANDARD
            .decode_to_vec(inner.text())
            .expect("base64");
        assert_eq!(text, decoded);
    }
    if let Some(tag) = read_empty_element(data, &limits) {
        let el = parse(data, &limits).expect("fast reader took what the parser refuses");
        same(&tag, &el);
        assert!(el.children.is_empty());
    }
    let mut framer = StanzaFramer::new(4096);
    for chunk in data.chunks(7) {
        framer.push(chunk);
        loop {
            match framer.next_stanza() {
                Ok(Some(s)) => {
                    let _ = parse(&s, &limits);
                }
                Ok(None) | Err(_) => break,
            }
        }
        assert!(framer.buffered() <= 4096 + 7);
    }
});

fn same(tag: &StartTag<'_>, el: &Element) {
    assert_eq!(tag.name(), el.name.as_bytes());
    assert_eq!(tag.ns(), el.ns);
    let attrs: Vec<(&str, &str)> = el
        .attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(tag.attrs().collect::<Vec<_>>(), attrs);
}
