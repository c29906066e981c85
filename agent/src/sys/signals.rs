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

/// A watcher of Ctrl-C and SIGTERM for one phase of a command (the drives' self-tests), stopped
/// when the phase ends so that the next phase's watcher gets the signals: two threads waiting on
/// the same signals would each get some.
#[derive(Debug)]
pub struct PhaseWatch {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Blocks SIGINT and SIGTERM (as [`on_interrupt`]) and calls `on_signal` when one arrives,
/// until the returned watch is stopped. `None` when the signals could not be blocked or read.
pub fn watch_phase(on_signal: impl FnOnce(Signal) + Send + 'static) -> Option<PhaseWatch> {
    use nix::sys::signalfd::{SfdFlags, SignalFd};
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.thread_block().ok()?;
    // Non-blocking: the watcher looks a few times a second, and stops when told to.
    let fd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).ok()?;
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let thread = std::thread::spawn(move || {
        while !stopped.load(Ordering::Relaxed) {
            match fd.read_signal() {
                Ok(Some(info)) => {
                    if let Ok(sig) = Signal::try_from(info.ssi_signo as i32) {
                        on_signal(sig);
                    }
                    return;
                }
                Ok(None) => super::clock::sleep(std::time::Duration::from_millis(100)),
                Err(_) => return,
            }
        }
    });
    Some(PhaseWatch {
        stop,
        thread: Some(thread),
    })
}

impl PhaseWatch {
    /// Ends the watch; a signal that arrives afterwards stays pending for the next watcher.
    pub fn stop(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
