//! How a peer's certificate is judged (XTLS §4.2, RFC 7590 §3.4, §3.6): the
//! endpoint's trust mode, its pins and the application's pin storage.

use super::*;

impl Endpoint {
    /// The pin store (pinned and trust-on-first-use modes): persist it after
    /// [`Event::Established`] with a first use.
    pub fn pins(&self) -> &PinStore {
        &self.pins
    }

    /// The pin store, to add pins or forget a changed key after the user
    /// accepted it.
    pub fn pins_mut(&mut self) -> &mut PinStore {
        &mut self.pins
    }

    /// Keeps pins in the application's own storage (a database, the platform
    /// keychain) instead of the in-memory [`PinStore`] given in the trust
    /// mode: pinned and trust-on-first-use modes read a peer's pins from it
    /// when a tunnel starts and write a key pinned on first use to it (also
    /// mirrored into [`Endpoint::pins`]). RFC 7590 §3.6 asks that a changed
    /// key be noticed across restarts, which needs storage that outlives the
    /// endpoint.
    pub fn set_pin_storage(&mut self, storage: Box<dyn PinStorage + Send>) {
        self.storage = Some(ExternalPins(storage));
    }

    /// Keeps pins in a store shared with the server check and the
    /// application ([`SharedPins`]): [`Endpoint::set_pin_storage`] over it.
    /// Pins come from one place: an endpoint whose configuration already
    /// holds pins (given in the trust mode) is refused with
    /// [`Error::Config`], as the pins would otherwise split between two
    /// stores.
    pub fn share_pins(&mut self, pins: SharedPins) -> Result<(), Error> {
        if self.pins.entries().next().is_some() {
            return Err(Error::Config(
                "pins come from either the configuration or a pin store, not both".into(),
            ));
        }
        self.set_pin_storage(Box::new(pins));
        Ok(())
    }

    /// Forgets the pins of `bare_jid` (after the user accepted its new
    /// key), in the application's storage too when set; whether it had any.
    pub fn forget_pin(&mut self, bare_jid: &str) -> bool {
        let stored = match &mut self.storage {
            Some(s) => crate::pins::forget(s.0.as_mut(), bare_jid),
            None => false,
        };
        self.pins.remove(bare_jid) || stored
    }

    /// The pins of a bare JID, from the application's storage if set.
    pub(super) fn pins_of(&self, bare: &str) -> Vec<String> {
        match &self.storage {
            Some(s) => s.0.pins(bare),
            None => self.pins.get(bare).to_vec(),
        }
    }

    pub(super) fn check_for(
        &self,
        peer: &Jid,
        peer_is_server: bool,
        offer: Option<&Offer>,
    ) -> Result<PeerCheck, Error> {
        let offer_hashes = offer
            .map(|o| offer_hashes(&o.x509_hashes))
            .unwrap_or_default();
        let kind = match &self.trust {
            Trust::Pkix(a) => CheckKind::Pkix(a.clone()),
            Trust::Pinned => {
                let pins = self.pins_of(peer.bare_str());
                if pins.is_empty() {
                    return Err(Error::Trust(TrustError::UnknownPeer));
                }
                CheckKind::Pinned(pins)
            }
            Trust::Offer => {
                if offer_hashes.is_empty() {
                    return Err(Error::Trust(TrustError::UnknownPeer));
                }
                CheckKind::Offer
            }
            Trust::Tofu => CheckKind::Tofu(self.pins_of(peer.bare_str())),
        };
        Ok(PeerCheck {
            peer: peer.clone(),
            peer_is_server,
            kind,
            offer_hashes,
            algs: self.tls.provider.signature_verification_algorithms,
        })
    }
}

/// The application's pin storage, set with [`Endpoint::set_pin_storage`].
pub(super) struct ExternalPins(pub(super) Box<dyn PinStorage + Send>);

impl std::fmt::Debug for ExternalPins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExternalPins")
    }
}

#[derive(Debug)]
pub(super) enum Trust {
    Pkix(Arc<Roots>),
    Pinned,
    Offer,
    Tofu,
}
