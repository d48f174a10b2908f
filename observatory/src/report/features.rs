//! What a server's `<stream:features>` offered (RFC 6120 §4.3.2): STARTTLS,
//! the SASL mechanisms (RFC 6120 §6.4.1), channel-binding types (XEP-0440)
//! and Server Dialback (XEP-0220), read from the features' text.

/// What a stream's features offered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// STARTTLS was advertised.
    pub starttls: bool,
    /// STARTTLS was advertised as `<required/>`.
    pub required: bool,
    /// The SASL mechanisms offered (before TLS, PLAIN is a finding).
    pub mechanisms: Vec<String>,
    /// Channel-binding types advertised (XEP-0440: `tls-exporter`, …).
    pub channel_bindings: Vec<String>,
    /// Server Dialback (XEP-0220) was advertised.
    pub dialback: bool,
}

impl Features {
    /// Reads `<stream:features>`: SASL mechanisms (RFC 6120 §6.4.1),
    /// channel-binding types (XEP-0440), dialback (XEP-0220). STARTTLS is
    /// read by the core's STARTTLS decision
    /// (`xmpptls::starttls`).
    pub fn parse(features: &str) -> Features {
        let mut cb = Vec::new();
        if let Some(i) = features.find("urn:xmpp:sasl-cb:0") {
            let mut rest = &features[i..];
            while let Some(j) = rest.find("<channel-binding") {
                rest = &rest[j + "<channel-binding".len()..];
                let end = rest.find('>').unwrap_or(rest.len());
                if let Some(t) = attr(&rest[..end], "type") {
                    cb.push(t.to_owned());
                }
            }
        }
        Features {
            mechanisms: mechanisms(features),
            channel_bindings: cb,
            dialback: features.contains("urn:xmpp:features:dialback"),
            ..Features::default()
        }
    }
}

/// The value of attribute `name` in the text of one start tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    for q in ['\'', '"'] {
        let key = format!(" {name}={q}");
        if let Some(i) = tag.find(&key) {
            let rest = &tag[i + key.len()..];
            return rest.find(q).map(|e| &rest[..e]);
        }
    }
    None
}

pub(crate) fn mechanisms(features: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = features;
    while let Some(i) = rest.find("<mechanism>") {
        rest = &rest[i + "<mechanism>".len()..];
        if let Some(end) = rest.find("</mechanism>") {
            out.push(rest[..end].trim().to_owned());
            rest = &rest[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_binding_types_are_read_from_the_features() {
        let f = Features::parse("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256-PLUS</mechanism></mechanisms><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/><channel-binding type=\"tls-server-end-point\"/></sasl-channel-binding></stream:features>");
        assert_eq!(f.mechanisms, vec!["SCRAM-SHA-256-PLUS"]);
        assert_eq!(
            f.channel_bindings,
            vec!["tls-exporter", "tls-server-end-point"]
        );
        assert!(!f.dialback);
    }

    #[test]
    fn sasl_mechanisms_are_read_from_the_features() {
        let f = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
        assert_eq!(mechanisms(f), vec!["SCRAM-SHA-1", "PLAIN"]);
    }
}
