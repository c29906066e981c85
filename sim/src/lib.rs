//! Simulated drives for Reprise's tests, with real state behind the agent's seams: the
//! [`Passthrough`](reprise::sys::passthrough::Passthrough) a drive's firmware answers through,
//! and the [`BlockIo`](reprise::sys::blockdev::BlockIo) the wipe engine writes through. The
//! probe's health reading, the self-test, the plan, every firmware technique and every failure
//! path run against them without hardware.
//!
//! A crate of its own, a dev-dependency of the agent only, so that none of it ships in the
//! `reprise` binary (`agent/tests/it/architecture.rs` checks that the agent names it nowhere
//! else). One module per protocol — [`ata`] (with what a USB bridge answers), [`nvme`],
//! [`scsi`] — which do not import each other; what they share is below them: the medium
//! ([`media`]), a self-test's course ([`self_test`]), and the answers to a protocol a drive
//! does not speak (`refusal`). Beside them, the overwrite engine's in-memory device with faults
//! ([`device`]) and the firmware path's virtual clock ([`pace`]).

pub mod ata;
pub mod device;
pub mod media;
pub mod nvme;
pub mod pace;
mod refusal;
pub mod scsi;
pub mod self_test;
