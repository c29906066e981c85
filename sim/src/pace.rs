//! [`VirtualPace`]: the firmware path's clock in the tests, which moves only when slept on, so
//! that a simulated sanitize of an hour, and its timeout, run in no time.

use std::time::Duration;

use reprise::wipe::firmware::Pace;

/// A clock that moves only when slept on.
#[derive(Debug, Default)]
pub struct VirtualPace {
    pub now: Duration,
}

impl Pace for VirtualPace {
    fn elapsed(&self) -> Duration {
        self.now
    }
    fn sleep(&mut self, d: Duration) {
        self.now += d;
    }
}
