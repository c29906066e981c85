//! Subcommand implementations: argument types (clap) and the glue from arguments to the library.
//!
//! One file per subcommand. Each exposes `Args` and `run(Args) -> anyhow::Result<ExitCode>`;
//! logic lives in the library modules, not here.

pub mod cert;
pub mod console;
pub mod decode;
pub mod demo;
pub mod install;
pub mod key;
pub mod medium;
pub mod plan;
pub mod probe;
pub mod run;
pub mod settings;
pub mod unfreeze;
pub mod upload;
pub mod wipe;

/// Exit code for an error (the chain is printed on stderr).
pub const EXIT_ERROR: u8 = 1;
// Exit code 2: clap rejects the command line (its own, not one of ours).
/// Exit code when a check ran and found a problem (verification failed, wipe failed).
pub const EXIT_CHECK_FAILED: u8 = 3;
/// Exit code when the operator declined or cancelled.
pub const EXIT_CANCELLED: u8 = 4;

/// `--server`: a workshop server the agent can talk to (plain `http://`; an `https://` one is
/// refused here, with the reason `flow::config` gives for the setting).
pub fn server_url(s: &str) -> Result<String, String> {
    crate::flow::config::check_server_url(s)
        .map(|()| s.to_owned())
        .map_err(str::to_owned)
}

/// `--server-key`: a server key's fingerprint (`sha256:…`).
pub fn server_key(s: &str) -> Result<String, String> {
    crate::flow::config::check_server_key(s)
        .map(|()| s.to_owned())
        .map_err(str::to_owned)
}

/// `--level` and `--auto`: the words of the one level type (`clear`, `purge`), listed in the
/// help and checked by clap.
pub fn level_parser() -> impl clap::builder::TypedValueParser<Value = crate::model::Level> {
    use crate::model::Level;
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Level::WORDS).try_map(|s| s.parse::<Level>())
}
