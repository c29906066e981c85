//! The operator's screen: a terminal UI (ratatui + crossterm) for the whole run, in The Elm
//! Architecture — [`model::Model`], [`msg::Msg`], [`update::update`] (pure), [`view::view`]
//! (draws), and [`runtime`] (the terminal, the threads, the effects).
//!
//! It tells the same truth as the line console (`cli::console`): a disk is sanitized only when
//! its record says so (`DeviceWipe::is_sanitized`), the exit code comes from `flow::status`.
//! 80×25 and 16 colours (the VGA console) first; French and English; only keys that sit at the
//! same place on AZERTY and QWERTY drive the run. It sits between `cli` and `flow`: terminal I/O
//! through crossterm is its own business; the machine is read through `sys`.

pub mod i18n;
pub mod keys;
pub mod model;
pub mod msg;
pub mod palette;
pub mod qr;
pub mod rate;
pub mod runtime;
pub mod update;
pub mod view;

pub use model::{Config, Exit, Model, Screen};
pub use msg::{Effect, Msg};
pub use runtime::{Ending, Session, TuiError, restore_terminal, run};
pub use update::update;
pub use view::view;
