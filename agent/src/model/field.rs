//! [`Field`]: a value read from the machine, or the reason it is unknown.

use serde::{Deserialize, Serialize};

/// A value read from the machine, or the reason it is unknown.
///
/// "Unknown, because the file was missing" must stay distinguishable from an empty or zero value:
/// an unknown is never taken as good (the verdict states it as a reason of its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "value")]
pub enum Field<T> {
    /// Read successfully.
    Known(T),
    /// Not available; the string says why (e.g. "sys/class/dmi/id/product_serial: not found").
    Unknown(String),
}

impl<T> Field<T> {
    /// The value when known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Field::Known(v) => Some(v),
            Field::Unknown(_) => None,
        }
    }

    /// The value when known, by value.
    pub fn into_known(self) -> Option<T> {
        match self {
            Field::Known(v) => Some(v),
            Field::Unknown(_) => None,
        }
    }
}
