//! The groups of the stable error codes, owned by the core so that no
//! binding restates the ranges.

use super::Error;

/// Which group an [`Error`]'s stable code is in: the hundreds of
/// [`Error::code`], with TLS (300) apart from trust (301–399). uniffi's one
/// error type has a variant per group; C and JS carry the code itself.
/// Exhaustive on purpose: a new group fails the bindings' build until they
/// map it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorGroup {
    /// 1xx: malformed XML, JID, base64, or a payload over a limit.
    Input,
    /// 2xx: an XTLS protocol error, or the peer refused.
    Protocol,
    /// 300: TLS failed.
    Tls,
    /// 301–399: a certificate or key was not accepted.
    Trust,
    /// 4xx: a configured limit was reached.
    Limit,
    /// 5xx: invalid configuration, identity material or argument.
    Config,
}

impl Error {
    /// The group of [`Error::code`].
    pub fn group(&self) -> ErrorGroup {
        match self.code() {
            100..=199 => ErrorGroup::Input,
            200..=299 => ErrorGroup::Protocol,
            300 => ErrorGroup::Tls,
            301..=399 => ErrorGroup::Trust,
            400..=499 => ErrorGroup::Limit,
            _ => ErrorGroup::Config,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_the_group_of_its_hundreds() {
        assert_eq!(Error::Base64.group(), ErrorGroup::Input);
        assert_eq!(Error::TunnelClosed.group(), ErrorGroup::Protocol);
        assert_eq!(
            Error::Posh(super::super::PoshError::Expired).group(),
            ErrorGroup::Trust
        );
        assert_eq!(Error::BufferFull { limit: 1 }.group(), ErrorGroup::Limit);
        assert_eq!(Error::Config("x".into()).group(), ErrorGroup::Config);
    }
}
