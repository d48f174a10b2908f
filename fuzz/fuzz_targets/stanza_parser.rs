//! The stanza reader, the XTLS wire reader and the tunnel's stanza framer on
//! arbitrary bytes: no panic, and whatever parses must write back to XML that
//! parses to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpptls::xml::{parse, StanzaFramer, XmlLimits};
use xmpptls::xtls::wire::read_iq;

fuzz_target!(|data: &[u8]| {
    let limits = XmlLimits::default();
    if let Ok(el) = parse(data, &limits) {
        let again = parse(el.to_xml().as_bytes(), &limits);
        assert_eq!(again.as_ref().ok().map(|e| e.to_xml()), Some(el.to_xml()));
        let _ = read_iq(el);
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
