//! One row of the generated suite table (`table.rs`): a suite's facts as
//! small numbers, indexes into the table's lists of key exchanges,
//! authentications, ciphers and MACs, and its name as where it ends in the
//! table's one string of names. The registry has about 400 suites: as
//! records with six string slices each, the table was 6,763 B of the npm
//! package's gzip; as rows, 957 B less (measured 2026-12-07; the names
//! are most of what is left). [`super::Suite`] is built from a row when it
//! is looked up.

/// In the IANA registry.
pub(super) const IANA: u8 = 1;
/// A TLS 1.3 suite.
pub(super) const TLS13: u8 = 2;
/// An AEAD cipher.
pub(super) const AEAD: u8 = 4;
/// Ephemeral key exchange.
pub(super) const FORWARD_SECRECY: u8 = 8;
/// EXPORT-grade.
pub(super) const EXPORT: u8 = 16;
/// A signalling value (SCSV).
pub(super) const SIGNALLING: u8 = 32;

/// A suite in the generated table.
pub(super) struct Row {
    /// The two-octet code point.
    pub code: u16,
    /// Where the name ends in `NAMES` (it starts where the previous row's ends).
    pub name_end: u16,
    /// Index into `KX`.
    pub kx: u8,
    /// Index into `AUTH`.
    pub auth: u8,
    /// Index into `CIPHER`.
    pub cipher: u8,
    /// Index into `MAC`.
    pub mac: u8,
    /// Security strength in bits (3DES: 112; EXPORT: 40 or 56).
    pub security_bits: u16,
    /// The flags above.
    pub flags: u8,
}

impl Row {
    /// A row, as the generator writes it.
    #[allow(clippy::too_many_arguments)]
    pub(super) const fn new(
        code: u16,
        name_end: u16,
        kx: u8,
        auth: u8,
        cipher: u8,
        mac: u8,
        security_bits: u16,
        flags: u8,
    ) -> Self {
        Row {
            code,
            name_end,
            kx,
            auth,
            cipher,
            mac,
            security_bits,
            flags,
        }
    }
}
