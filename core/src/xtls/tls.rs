//! rustls configuration for tunnels: versions and suites (RFC 7525), our
//! certificate, resumption stores, and the caller-driven clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::{ClientSessionMemoryCache, ResolvesClientCert, Resumption, Tls12Resumption};
use rustls::crypto::CryptoProvider;
use rustls::server::{
    ClientHello, NoServerSessionStorage, ResolvesServerCert, ServerSessionMemoryCache,
    StoresServerSessions,
};
use rustls::sign::CertifiedKey;
use rustls::time_provider::TimeProvider;
use rustls::{ClientConfig, ServerConfig, SignatureScheme, SupportedProtocolVersion};
use rustls_pki_types::UnixTime;

use super::config::{EndpointConfig, TlsVersions, MAX_TLS_RECORD};
use super::trust::{ClientVerifier, PeerRegistry, PeerSlot};
use crate::error::Error;
use crate::provider::{provider_for, KeyExchange};

/// The clock rustls reads: the last `now` the caller passed in. The core never
/// reads the system time itself.
#[derive(Debug, Default)]
pub(crate) struct Clock(AtomicU64);

impl Clock {
    pub(crate) fn set(&self, now: UnixTime) {
        self.0.store(now.as_secs(), Ordering::Relaxed);
    }
}

impl TimeProvider for Clock {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(Duration::from_secs(
            self.0.load(Ordering::Relaxed),
        )))
    }
}

/// Our certificate, for both TLS roles.
#[derive(Debug)]
struct OwnCert(Arc<CertifiedKey>);

impl ResolvesClientCert for OwnCert {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

impl ResolvesServerCert for OwnCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Everything shared by the tunnels of one endpoint.
#[derive(Debug)]
pub(crate) struct TlsSetup {
    pub provider: Arc<CryptoProvider>,
    pub clock: Arc<Clock>,
    versions: &'static [&'static SupportedProtocolVersion],
    cert: Arc<OwnCert>,
    server_sessions: Arc<dyn StoresServerSessions>,
    /// The one client configuration (see [`PeerRegistry`] for why one).
    client: Arc<ClientConfig>,
    pub registry: Arc<PeerRegistry>,
    /// rustls's record size limit, from [`record_size`].
    fragment: Option<usize>,
}

/// TLS 1.3 and 1.2, for tunnels and the checking client.
#[cfg(feature = "tls12")]
pub(crate) static TLS12_AND_13: &[&SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];
/// A build without the `tls12` feature offers what it has.
#[cfg(not(feature = "tls12"))]
pub(crate) static TLS12_AND_13: &[&SupportedProtocolVersion] = TLS13_ONLY;
/// TLS 1.3 alone.
pub(crate) static TLS13_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];

/// TLS 1.2 alone, or a configuration error in a build without it.
#[cfg(feature = "tls12")]
fn tls12_only() -> Result<&'static [&'static SupportedProtocolVersion], Error> {
    static TLS12_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];
    Ok(TLS12_ONLY)
}

#[cfg(not(feature = "tls12"))]
fn tls12_only() -> Result<&'static [&'static SupportedProtocolVersion], Error> {
    Err(Error::Config(
        "TLS 1.2 only: this build has no TLS 1.2 (xmpptls feature \"tls12\")".into(),
    ))
}

/// The name of a key exchange group as reports show it (rustls's spelling of
/// the IANA "TLS Supported Groups" entries, e.g. `X25519`, `secp256r1`), or
/// its code point in hex for a group rustls does not name.
pub(crate) fn group_name(group: rustls::NamedGroup) -> String {
    group
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("0x{:04x}", u16::from(group)))
}

/// rustls's `max_fragment_size` (a record's plaintext plus its 5-octet
/// header) that lets whole records fill `max_data_bytes`: `None` (16 KiB
/// records) when a data IQ holds at least one full record, smaller records
/// otherwise, so that no record has to be split across data IQs.
fn record_size(max_data_bytes: usize) -> Option<usize> {
    const MAX: usize = 16_384 + 5;
    let per_iq = (max_data_bytes / MAX_TLS_RECORD).max(1);
    let size = (max_data_bytes / per_iq).saturating_sub(MAX_TLS_RECORD - MAX);
    (size < MAX).then_some(size.max(32))
}

impl TlsSetup {
    pub(crate) fn new(config: &EndpointConfig) -> Result<Self, Error> {
        let provider = Arc::new(provider_for(config.key_exchange));
        let key = provider
            .key_provider
            .load_private_key(config.identity.key().clone_key())
            .map_err(|e| Error::Certificate(format!("our private key cannot be used: {e}")))?;
        let certified = CertifiedKey::new(config.identity.chain().to_vec(), key);
        let versions = match config.versions {
            TlsVersions::Tls12And13 => TLS12_AND_13,
            TlsVersions::Tls13Only => TLS13_ONLY,
            TlsVersions::Tls12Only => tls12_only()?,
        };
        let versions = match config.key_exchange {
            // TLS 1.2 has no hybrid group: a required hybrid leaves TLS 1.3.
            KeyExchange::PostQuantumRequired if config.versions == TlsVersions::Tls12Only => {
                return Err(Error::Config(
                    "post-quantum-required needs TLS 1.3 (TLS 1.2 has no hybrid group)".into(),
                ))
            }
            KeyExchange::PostQuantumRequired => TLS13_ONLY,
            _ => versions,
        };
        let clock = Arc::new(Clock::default());
        let cert = Arc::new(OwnCert(Arc::new(certified)));
        let registry = PeerRegistry::new(provider.signature_verification_algorithms);
        let mut c = ClientConfig::builder_with_details(provider.clone(), clock.clone())
            .with_protocol_versions(versions)?
            .dangerous()
            .with_custom_certificate_verifier(registry.clone())
            .with_client_cert_resolver(cert.clone());
        // RFC 7525 §3.4 and the IETF 88 slides: session IDs rather than
        // tickets for TLS 1.2; TLS 1.3 resumption uses the server's stateful
        // store. Sessions are keyed per peer (see `session_name`).
        let sessions = config.limits.resumption_sessions;
        c.resumption = if sessions == 0 {
            Resumption::disabled()
        } else {
            Resumption::store(Arc::new(ClientSessionMemoryCache::new(sessions)))
                .tls12_resumption(Tls12Resumption::SessionIdOnly)
        };
        // No SNI: the server name is a per-peer key, not a host name.
        c.enable_sni = false;
        let fragment = record_size(config.limits.max_data_bytes);
        c.max_fragment_size = fragment;
        Ok(TlsSetup {
            provider,
            clock,
            versions,
            cert,
            server_sessions: if sessions == 0 {
                Arc::new(NoServerSessionStorage {})
            } else {
                ServerSessionMemoryCache::new(sessions)
            },
            client: Arc::new(c),
            registry,
            fragment,
        })
    }

    /// The client configuration; register the tunnel's check first.
    pub(crate) fn client(&self) -> Arc<ClientConfig> {
        self.client.clone()
    }

    /// A server configuration for one tunnel that requires a client
    /// certificate (XTLS §4.3: mutual authentication is desired).
    pub(crate) fn server(&self, slot: Arc<PeerSlot>) -> Result<Arc<ServerConfig>, Error> {
        let mut s = ServerConfig::builder_with_details(self.provider.clone(), self.clock.clone())
            .with_protocol_versions(self.versions)?
            .with_client_cert_verifier(Arc::new(ClientVerifier(slot)))
            .with_cert_resolver(self.cert.clone());
        s.session_storage = self.server_sessions.clone();
        s.max_fragment_size = self.fragment;
        if !self.server_sessions.can_cache() {
            s.send_tls13_tickets = 0;
        }
        Ok(Arc::new(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records fill data IQs whole: two 16 KiB records in the default IQ,
    /// smaller records when the IQ is smaller than one.
    #[test]
    fn records_fit_the_data_iq() {
        assert_eq!(record_size(2 * MAX_TLS_RECORD), None);
        assert_eq!(record_size(MAX_TLS_RECORD), None);
        let small = record_size(4096).unwrap();
        assert_eq!(small + (MAX_TLS_RECORD - 16_389), 4096);
        let between = record_size(20_000).unwrap_or(16_389);
        assert!(between + MAX_TLS_RECORD - 16_389 <= 20_000);
        assert_eq!(record_size(10), Some(32), "rustls's minimum");
    }

    #[test]
    fn group_names() {
        assert_eq!(group_name(rustls::NamedGroup::X25519), "X25519");
        assert_eq!(group_name(rustls::NamedGroup::secp384r1), "secp384r1");
        assert_eq!(group_name(rustls::NamedGroup::from(0x1234)), "0x1234");
    }

    #[test]
    fn rsa_identities_load_only_with_the_feature() {
        let jid = crate::jid::Jid::parse("romeo@montague.lit/orchard").unwrap();
        let id = crate::identity::Identity::from_pem(
            include_bytes!("../../../tests/fixtures/certs/rsa-identity.pem"),
            include_bytes!("../../../tests/fixtures/certs/rsa-identity.key"),
        )
        .unwrap();
        let config = EndpointConfig::new(jid, id, crate::xtls::TrustMode::Offer);
        let setup = TlsSetup::new(&config);
        if cfg!(feature = "rsa-identities") {
            assert!(setup.is_ok());
        } else {
            assert!(matches!(setup, Err(Error::Certificate(_))));
        }
    }

    #[cfg(not(feature = "tls12"))]
    #[test]
    fn tls12_only_is_refused_without_the_feature() {
        let jid = crate::jid::Jid::parse("romeo@montague.lit/orchard").unwrap();
        let id = crate::identity::Identity::self_signed(&jid).unwrap();
        let mut config = EndpointConfig::new(jid, id, crate::xtls::TrustMode::Offer);
        config.versions = TlsVersions::Tls12Only;
        assert!(matches!(TlsSetup::new(&config), Err(Error::Config(_))));
        config.versions = TlsVersions::Tls12And13;
        assert!(
            TlsSetup::new(&config).is_ok(),
            "both means what the build has"
        );
    }
}
