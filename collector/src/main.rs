//! `reprise-collector`: parses the command line, runs it, prints the whole error chain and exits
//! non-zero on failure (1 error, 2 usage).

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = reprise_collector::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("reprise-collector: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(reprise_collector::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reprise-collector: {e:#}");
            ExitCode::from(1)
        }
    }
}
