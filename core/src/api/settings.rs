//! Endpoint settings as plain data, and identity generation, export and
//! import: what every binding's constructor takes, decided once here.

use super::limits::LimitSettings;
use super::names::TrustKind;
use crate::error::Error;
use crate::identity::{certificates_from_pem, Identity};
use crate::jid::Jid;
use crate::pins::PinStore;
use crate::xtls::{Endpoint, EndpointConfig, KeyExchange, TlsVersions, TrustMode};

/// An identity as PEM text (RFC 7468), and its pin: what an application
/// stores to keep its key, and so its pin at its peers, across restarts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IdentityPem {
    /// The certificate chain, leaf first.
    pub chain_pem: String,
    /// The private key (PKCS#8).
    pub key_pem: String,
    /// Lowercase hex SHA-256 of the leaf's SubjectPublicKeyInfo (ignored
    /// when an identity is passed in).
    #[cfg_attr(feature = "uniffi", uniffi(default = ""))]
    pub pin: String,
}

impl IdentityPem {
    /// A new ECDSA P-256 key and a self-signed certificate naming `jid`'s
    /// bare form as XmppAddr (RFC 6120 §13.7.1.4).
    pub fn generate(jid: &str) -> Result<Self, Error> {
        Self::export(&Identity::self_signed(&Jid::parse(jid)?)?)
    }

    /// The PEM form of `identity`.
    pub fn export(identity: &Identity) -> Result<Self, Error> {
        let (chain_pem, key_pem) = identity.to_pem();
        Ok(IdentityPem {
            chain_pem,
            key_pem,
            pin: identity.spki_fingerprint()?,
        })
    }

    /// The identity back; bad PEM is [`Error::Certificate`] (106).
    pub fn import(&self) -> Result<Identity, Error> {
        Identity::from_pem(self.chain_pem.as_bytes(), self.key_pem.as_bytes())
    }
}

/// Everything a binding's endpoint constructor takes, with the defaults
/// every binding documents.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct EndpointSettings {
    /// Our full JID.
    pub jid: String,
    /// How peers are trusted; `None`: trust on first use, the default in
    /// every runtime (uniffi cannot give an enum field a default, so the
    /// field is optional: `trust = TrustMode.OFFER` still reads the same).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub trust: Option<TrustKind>,
    /// Our identity; `None` generates a self-signed one for this run
    /// (store [`IdentityPem::generate`]'s instead to keep the key).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub identity: Option<IdentityPem>,
    /// Roots (PEM) for [`TrustKind::Pkix`]; required there.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub roots_pem: Option<String>,
    /// Pins (a [`PinStore::to_json`] document) for
    /// [`TrustKind::Pinned`] and [`TrustKind::TrustOnFirstUse`].
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub pins_json: Option<String>,
    /// TLS versions; `None`: 1.3 and 1.2 ([`TlsVersions::default`]).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub versions: Option<TlsVersions>,
    /// Post-quantum key exchange; `None`: X25519MLKEM768 preferred,
    /// classical accepted ([`KeyExchange::default`]).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub key_exchange: Option<KeyExchange>,
    /// Announce our certificate hash in XEP-0250 offers (default true).
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub send_offer: bool,
    /// Write our JID as `from` on the IQs we send (default true); a client
    /// whose server stamps `from` (every c2s stream, RFC 6120 §8.1.2.1) may
    /// turn it off to send fewer octets ([`EndpointConfig::send_from`]).
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub send_from: bool,
    /// Offer and accept data in IQ results (default true): two stanzas
    /// per exchange through the servers instead of four, with peers that
    /// offer it too ([`EndpointConfig::piggyback`]).
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub piggyback: bool,
    /// Accept incoming tunnels (default true).
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub enabled: bool,
    /// Every limit and deadline; `None`: the defaults
    /// ([`LimitSettings::default`]).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub limits: Option<LimitSettings>,
}

impl EndpointSettings {
    /// Every field's name (snake_case), for bindings that take settings by
    /// name (the npm package's options object): a name not listed is an
    /// error there, never a setting silently ignored.
    pub const FIELDS: &'static [&'static str] = &[
        "jid",
        "trust",
        "identity",
        "roots_pem",
        "pins_json",
        "versions",
        "key_exchange",
        "send_offer",
        "send_from",
        "piggyback",
        "enabled",
        "limits",
    ];

    /// The defaults for `jid`.
    pub fn new(jid: &str) -> Self {
        EndpointSettings {
            jid: jid.to_owned(),
            trust: None,
            identity: None,
            roots_pem: None,
            pins_json: None,
            versions: None,
            key_exchange: None,
            send_offer: true,
            send_from: true,
            piggyback: true,
            enabled: true,
            limits: None,
        }
    }

    /// The core configuration these settings describe.
    pub fn config(&self) -> Result<EndpointConfig, Error> {
        let jid = Jid::parse(&self.jid)?;
        let identity = match &self.identity {
            Some(pem) => pem.import()?,
            None => Identity::self_signed(&jid)?,
        };
        let pins = match &self.pins_json {
            Some(json) => PinStore::from_json(json)?,
            None => PinStore::new(),
        };
        let trust_kind = self.trust.unwrap_or(TrustKind::TrustOnFirstUse);
        let roots = match (trust_kind, &self.roots_pem) {
            (TrustKind::Pkix, None) => {
                return Err(Error::Config("PKIX trust needs root certificates".into()))
            }
            (TrustKind::Pkix, Some(pem)) => certificates_from_pem(pem.as_bytes())?,
            _ => Vec::new(),
        };
        Ok(self.config_with(jid, identity, trust_kind.mode(roots, pins)))
    }

    /// The core configuration with the JID, identity and trust already made
    /// (C builds them from its own handles, DER roots and pin calls), every
    /// other field applied as [`config`](Self::config) applies it: one
    /// place for what each setting means, whichever runtime set it.
    pub fn config_with(&self, jid: Jid, identity: Identity, trust: TrustMode) -> EndpointConfig {
        let mut config = EndpointConfig::new(jid, identity, trust);
        config.versions = self.versions.unwrap_or_default();
        config.key_exchange = self.key_exchange.unwrap_or_default();
        config.send_offer = self.send_offer;
        config.send_from = self.send_from;
        config.piggyback = self.piggyback;
        config.enabled = self.enabled;
        if let Some(limits) = &self.limits {
            config.limits = limits.into();
        }
        config
    }

    /// The endpoint.
    pub fn build(&self) -> Result<Endpoint, Error> {
        Endpoint::new(self.config()?)
    }
}

#[cfg(test)]
mod tests {
    use super::EndpointSettings;

    #[test]
    fn field_names_are_every_field() {
        // A new field breaks this destructuring: add it to FIELDS too.
        let EndpointSettings {
            jid: _,
            trust: _,
            identity: _,
            roots_pem: _,
            pins_json: _,
            versions: _,
            key_exchange: _,
            send_offer: _,
            send_from: _,
            piggyback: _,
            enabled: _,
            limits: _,
        } = EndpointSettings::new("romeo@montague.lit/orchard");
        assert_eq!(EndpointSettings::FIELDS.len(), 12);
    }
}
