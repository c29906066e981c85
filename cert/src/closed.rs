//! Closed sets of words in the contract: a certificate member (or a wipe or probe report's) that
//! takes one of a few fixed values is an enum, declared once by `closed_set!` with the exact
//! word each variant is written as.
//!
//! The word given for a variant is both its serde name and what `as_str` returns, so the JSON,
//! the database columns and the command lines cannot disagree; a value outside the set is
//! refused by serde (a certificate carrying one is not one Reprise issued) and by `FromStr` with
//! an [`UnknownWord`]. How the words read for people, in French and English, is
//! [`crate::messages`].

/// A word that is not one of its set, from `FromStr`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {word:?} (expected {})", expected.join(", "))]
pub struct UnknownWord {
    /// What the word was meant to name ("level", "result").
    pub what: &'static str,
    pub word: String,
    /// The words of the set, in declaration order.
    pub expected: &'static [&'static str],
}

/// Declares a closed set: the enum with `Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize,
/// Deserialize` (more derives may be given as attributes), each variant written as its word;
/// `ALL`, `WORDS`, `as_str`, `Display` and `FromStr` (error [`UnknownWord`] naming `$what`).
macro_rules! closed_set {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
        )]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $word)] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every word, in declaration order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            /// The word as the contract writes it (the serde name).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::closed::UnknownWord;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($name::$variant),)+
                    other => Err($crate::closed::UnknownWord {
                        what: $what,
                        word: other.to_owned(),
                        expected: Self::WORDS,
                    }),
                }
            }
        }
    };
}
