//! Ctrl-C and SIGTERM turned into a callback (cancellation), for every long-running command.

use nix::sys::signal::{SigSet, Signal};

/// Blocks SIGINT and SIGTERM in the calling thread (threads started afterwards inherit the mask)
/// and calls `on_signal` from a watcher thread when one arrives. Returns false when the signals
/// could not be blocked (they then keep their default action: the process ends).
///
/// Call it before starting the workers, so no thread is left to receive the signal the default
/// way.
pub fn on_interrupt(on_signal: impl FnOnce(Signal) + Send + 'static) -> bool {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    if set.thread_block().is_err() {
        return false;
    }
    std::thread::spawn(move || {
        if let Ok(sig) = set.wait() {
            on_signal(sig);
        }
    });
    true
}
