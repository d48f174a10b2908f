//! Stable names and numeric codes for every small enum a binding shows
//! ([`Named`]): each type owns its table, written next to it with
//! the crate's `named!` macro, so C's `XMPPTLS_*` constants, the JS
//! string unions and the Kotlin/Swift/Python enums cannot drift apart. A
//! code once given is never reused; names are the lowercase, hyphenated
//! forms JS and JSON use (each binding recases them for its language).
//! Codes: settings start at 0 (their default), everything else at 1, TLS
//! versions are their wire code points; published codes never change.
//! This is the bottom of the crate: every layer may use it.

/// A small enum with a stable name and code, shared by every binding.
pub trait Named: Sized + Copy + PartialEq + 'static {
    /// Every value, in code order.
    const ALL: &'static [Self];
    /// What the enum is called in error messages (`trust mode`).
    const WHAT: &'static str;

    /// The stable name (`trust-on-first-use`).
    fn name(self) -> &'static str;

    /// The stable number (C's constant).
    fn code(self) -> u32;

    /// The value named `name` (exactly as [`Named::name`] spells it).
    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }

    /// The value numbered `code`.
    fn from_code(code: u32) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }

    /// [`Named::parse`], or the typed error every binding reports for a name
    /// it does not know ([`Error::UnknownName`](crate::Error::UnknownName)).
    fn parse_or_err(name: &str) -> Result<Self, crate::Error> {
        Self::parse(name).ok_or_else(|| crate::Error::UnknownName {
            what: Self::WHAT,
            name: name.to_owned(),
        })
    }

    /// [`Named::from_code`], or the same typed error.
    fn from_code_or_err(code: u32) -> Result<Self, crate::Error> {
        Self::from_code(code).ok_or_else(|| crate::Error::UnknownName {
            what: Self::WHAT,
            name: code.to_string(),
        })
    }
}

/// Implements [`Named`] from one table of `Variant = code, "name"`.
macro_rules! named {
    ($ty:ident, $what:literal $(, parse = $parse:path)? { $($variant:ident = $code:literal, $name:literal;)+ }) => {
        impl $crate::names::Named for $ty {
            const ALL: &'static [Self] = &[$($ty::$variant),+];
            const WHAT: &'static str = $what;
            $(fn parse(name: &str) -> Option<Self> {
                $parse(name)
            })?
            fn name(self) -> &'static str {
                match self { $($ty::$variant => $name,)+ }
            }
            fn code(self) -> u32 {
                match self { $($ty::$variant => $code,)+ }
            }
        }

        /// Serialized by its stable name, as every binding shows it.
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::names::Named::name(*self))
            }
        }
    };
}

pub(crate) use named;
