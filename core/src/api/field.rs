//! Records given field by field, by name: a runtime without typed records
//! for input (the npm package's option objects) hands each field's value
//! over by its own type, and the core decides which field the name is, what
//! the value means and which type the field takes. One table per record,
//! here, instead of one per binding.

use super::names::{Named, TrustKind};
use super::negotiation::Negotiation;
use super::settings::EndpointSettings;
use crate::error::Error;
use crate::policy::AuthMethod;
use crate::{KeyExchange, TlsVersions};

/// One field's value, by the type the runtime gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    /// A boolean.
    Switch(bool),
    /// A string (a name is parsed by the field's table).
    Text(String),
    /// A whole number.
    Number(u64),
    /// Octets (DER, an SCT list).
    Bytes(Vec<u8>),
    /// A list of octet strings (a certificate chain).
    List(Vec<Vec<u8>>),
}

impl FieldValue {
    fn kind(&self) -> &'static str {
        match self {
            FieldValue::Switch(_) => "a boolean",
            FieldValue::Text(_) => "a string",
            FieldValue::Number(_) => "a whole number",
            FieldValue::Bytes(_) => "bytes",
            FieldValue::List(_) => "a list of byte strings",
        }
    }
}

/// The error for a value a field does not take, or a name no field has.
fn refused(record: &str, fields: &[&str], name: &str, value: &FieldValue) -> Error {
    Error::Config(if fields.contains(&name) {
        format!("{record} field {name} does not take {}", value.kind())
    } else {
        format!("unknown {record} field \"{name}\"")
    })
}

impl Negotiation {
    /// Sets the field `name` (snake_case, [`Negotiation::FIELDS`]); a
    /// value of the wrong type or an unknown name is [`Error::Config`], a
    /// name no table knows [`Error::UnknownName`].
    pub fn set(&mut self, name: &str, value: FieldValue) -> Result<(), Error> {
        use FieldValue::{Bytes, List, Number, Switch, Text};
        let bits =
            |n: u64| u32::try_from(n).map_err(|_| Error::Config(format!("{name} is too large")));
        match (name, value) {
            ("encrypted", Switch(b)) => self.encrypted = b,
            ("tls_version", Text(s)) => self.tls_version = Some(s),
            ("cipher_suite", Text(s)) => self.cipher_suite = Some(s),
            ("kx_group", Text(s)) => self.kx_group = Some(s),
            ("kx_bits", Number(n)) => self.kx_bits = Some(bits(n)?),
            ("peer_key_type", Text(s)) => self.peer_key_type = Some(s),
            ("peer_key_bits", Number(n)) => self.peer_key_bits = Some(bits(n)?),
            ("compression", Switch(b)) => self.compression = b,
            ("resumed", Switch(b)) => self.resumed = b,
            ("ticket", Switch(b)) => self.ticket = b,
            ("extended_master_secret", Switch(b)) => self.extended_master_secret = Some(b),
            ("authentication", Text(s)) => {
                self.authentication = Some(AuthMethod::parse_or_err(&s)?)
            }
            ("peer_chain", List(chain)) => self.peer_chain = chain,
            ("sct_list", Bytes(b)) => self.sct_list = Some(b),
            ("ocsp_response", Bytes(b)) => self.ocsp_response = Some(b),
            ("time", Number(n)) => self.time = Some(n),
            (name, v) => return Err(refused("negotiation", Self::FIELDS, name, &v)),
        }
        Ok(())
    }
}

impl EndpointSettings {
    /// Sets the field `name` (snake_case, [`EndpointSettings::FIELDS`])
    /// that takes a plain value: every one but `jid` (the constructor's),
    /// `identity` and `limits` (records of their own). Errors as
    /// [`Negotiation::set`].
    pub fn set(&mut self, name: &str, value: FieldValue) -> Result<(), Error> {
        use FieldValue::{Switch, Text};
        match (name, value) {
            ("trust", Text(s)) => self.trust = Some(TrustKind::parse_or_err(&s)?),
            ("roots_pem", Text(s)) => self.roots_pem = Some(s),
            ("pins_json", Text(s)) => self.pins_json = Some(s),
            ("versions", Text(s)) => self.versions = Some(TlsVersions::parse_or_err(&s)?),
            ("key_exchange", Text(s)) => self.key_exchange = Some(KeyExchange::parse_or_err(&s)?),
            ("send_offer", Switch(b)) => self.send_offer = b,
            ("send_from", Switch(b)) => self.send_from = b,
            ("piggyback", Switch(b)) => self.piggyback = b,
            ("enabled", Switch(b)) => self.enabled = b,
            (name, v) => return Err(refused("settings", Self::FIELDS, name, &v)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_take_their_type_by_name() {
        let mut n = Negotiation::default();
        n.set("tls_version", FieldValue::Text("TLSv1.3".into()))
            .unwrap();
        n.set("kx_bits", FieldValue::Number(253)).unwrap();
        n.set("authentication", FieldValue::Text("posh".into()))
            .unwrap();
        assert_eq!(n.tls_version.as_deref(), Some("TLSv1.3"));
        assert_eq!(n.kx_bits, Some(253));
        assert_eq!(n.authentication, Some(AuthMethod::Posh));
        let e = n.set("kx_bits", FieldValue::Number(1 << 40)).unwrap_err();
        assert_eq!(e.code(), 500);
        let e = n
            .set("resumed", FieldValue::Text("yes".into()))
            .unwrap_err();
        assert!(e.to_string().contains("does not take a string"), "{e}");
        let e = n
            .set("tlsversion", FieldValue::Text("x".into()))
            .unwrap_err();
        assert!(e.to_string().contains("unknown negotiation field"), "{e}");
        assert_eq!(
            n.set("authentication", FieldValue::Text("magic".into()))
                .unwrap_err()
                .code(),
            501
        );

        let mut s = EndpointSettings::new("romeo@montague.lit/orchard");
        s.set("trust", FieldValue::Text("pkix".into())).unwrap();
        s.set("piggyback", FieldValue::Switch(false)).unwrap();
        assert_eq!(s.trust, Some(TrustKind::Pkix));
        assert!(!s.piggyback && s.send_offer, "only what was set changes");
        assert!(s.set("limits", FieldValue::Number(1)).is_err());
    }
}
