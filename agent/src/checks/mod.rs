//! The hands-on checks a refurbisher does on every laptop, as logic the operator's screen drives:
//! the keyboard map ([`keyboard`]), the screen's solid colours ([`screen`]), a short all-core
//! load read against the sensors ([`cooling`]), and a RAM pattern test run while the disks are
//! wiped ([`ram`]).
//!
//! Each produces the record the certificate carries (`reprise_cert::model::ChecksRecord`), which
//! the verdict's policy weighs. Nothing here touches the OS: the sensors and the physical
//! addresses come from `sys` through parameters, the keys from the screen.

pub mod cooling;
pub mod keyboard;
pub mod ram;
pub mod screen;
