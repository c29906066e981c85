//! The types every layer shares (the bottom of the house, with `parse`): a value read from the
//! machine or why it is unknown ([`Field`]), how a disk is attached ([`Transport`]) and what it is
//! made of ([`MediaType`]), its stable name ([`DiskId`]) and its one identity ([`DiskIdentity`]),
//! the sanitization level ([`Level`]) and the kind of a wipe error ([`ErrorKind`]).
//!
//! Nothing here performs I/O or knows another module of the agent: `probe`, `wipe`, `verdict`,
//! `cert` and `flow` all speak these types, so a disk is named the same way everywhere.

mod disk;
mod field;
mod wipe;

pub use disk::{DevNo, DiskId, DiskIdentity, MediaType, Transport, is_world_wide_name};
pub use field::Field;
pub use reprise_cert::Language;
pub use wipe::{ErrorKind, Level};
