//! Trust roots for the commands that connect: the system's store by
//! default, as every TLS tool a user knows does, plus or instead of PEM
//! files named with `--ca`.

use xmpptls::CertificateDer;

use crate::certs::Usage;

/// Where systems keep their roots as one PEM bundle: `$SSL_CERT_FILE`
/// (OpenSSL's variable) first, then Debian/Ubuntu, Fedora/RHEL, Alpine and
/// openSUSE, macOS Homebrew.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
    "/opt/homebrew/etc/ca-certificates/cert.pem",
];

/// The system's roots: the first bundle that exists.
pub fn system() -> Result<Vec<CertificateDer<'static>>, Usage> {
    let env = std::env::var("SSL_CERT_FILE").ok();
    let path = env
        .as_deref()
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().copied())
        .find(|p| std::path::Path::new(p).is_file())
        .ok_or_else(|| {
            Usage("no system trust roots found (set SSL_CERT_FILE or pass --ca)".into())
        })?;
    read(path)
}

/// The certificates of one file (PEM, or one DER certificate).
pub fn read(path: &str) -> Result<Vec<CertificateDer<'static>>, Usage> {
    crate::certs::read_certs(path)
}

/// The roots a command trusts: the system's unless `system` is false, plus
/// every file of `extra`.
pub fn load(system_roots: bool, extra: &[String]) -> Result<Vec<CertificateDer<'static>>, Usage> {
    let mut roots = if system_roots { system()? } else { Vec::new() };
    for path in extra {
        roots.extend(read(path)?);
    }
    Ok(roots)
}
